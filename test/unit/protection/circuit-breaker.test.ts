import { breakerSettings, parseConfig } from '../../../src/config';
import { attemptResult } from '../../../src/domain/attempt-outcome';
import { DEFAULT_BREAKER, breakerSignal, disableDue, openReason, probeDelayMs } from '../../../src/protection/circuit-breaker';

// The circuit breaker's rules: what counts as a failure, when the circuit opens, how probes
// back off, when an open circuit disables its subscriber, and the settings' validation.

const base = { WEBHOOK_INBOUND_SECRET: 's3cret', ADMIN_TOKEN: 'a'.repeat(16) };
const at = 1_000_000;

describe('circuit breaker rules', () => {
  it('counts 5xx, other refusals by the receiver, network errors and timeouts as failures; not a 429, our own refusal or a 410', () => {
    expect(breakerSignal(attemptResult(1, at, at, 'success', { statusCode: 200 }))).toBe('success');
    expect(breakerSignal(attemptResult(1, at, at, 'failure', { statusCode: 500 }))).toBe('failure');
    expect(breakerSignal(attemptResult(1, at, at, 'network_error'))).toBe('failure');
    expect(breakerSignal(attemptResult(1, at, at, 'timeout'))).toBe('timeout');
    expect(breakerSignal(attemptResult(1, at, at, 'failure', { statusCode: 429 }))).toBeNull();
    expect(breakerSignal(attemptResult(1, at, at, 'refused'))).toBeNull();
    expect(breakerSignal(attemptResult(1, at, at, 'gone', { statusCode: 410 }))).toBeNull();
    expect(breakerSignal(null)).toBeNull();
  });

  it('stays closed on the defaults after one flaky response, or many failures among too few attempts', () => {
    expect(openReason({ windowAttempts: 1, windowFailures: 1, timeoutsInRow: 1 }, DEFAULT_BREAKER)).toBeNull();
    expect(openReason({ windowAttempts: 19, windowFailures: 19, timeoutsInRow: 4 }, DEFAULT_BREAKER)).toBeNull();
    expect(openReason({ windowAttempts: 40, windowFailures: 20, timeoutsInRow: 0 }, DEFAULT_BREAKER)).toBeNull();
    expect(openReason({ windowAttempts: 20, windowFailures: 15, timeoutsInRow: 0 }, DEFAULT_BREAKER)).toBeNull();
  });

  it('opens on a failure rate at the threshold with enough attempts, or on N timeouts in a row, and says why', () => {
    expect(openReason({ windowAttempts: 20, windowFailures: 16, timeoutsInRow: 0 }, DEFAULT_BREAKER)).toBe('16 of 20 attempts failed within 60s');
    expect(openReason({ windowAttempts: 5, windowFailures: 5, timeoutsInRow: 5 }, DEFAULT_BREAKER)).toBe('5 timeouts in a row');
  });

  it('backs probes off by doubling from the interval up to the cap', () => {
    const s = { ...DEFAULT_BREAKER, probeMinMs: 1_000, probeMaxMs: 5_000 };
    expect([0, 1, 2, 3, 4, 50].map((n) => probeDelayMs(n, s))).toEqual([1_000, 2_000, 4_000, 5_000, 5_000, 5_000]);
  });

  it('disables once the circuit has been open for WEBHOOK_DISABLE_AFTER (default 5 days)', () => {
    const fiveDays = 5 * 24 * 3_600_000;
    expect(disableDue(0, fiveDays - 1, DEFAULT_BREAKER)).toBe(false);
    expect(disableDue(0, fiveDays, DEFAULT_BREAKER)).toBe(true);
  });
});

describe('breaker settings', () => {
  it('defaults to the documented values, and takes seconds for tests', () => {
    expect(breakerSettings(parseConfig(base))).toEqual(DEFAULT_BREAKER);
    expect(breakerSettings(parseConfig({ ...base, WEBHOOK_DISABLE_AFTER: '3s', WEBHOOK_BREAKER_PROBE_INTERVAL: '1s' }))).toMatchObject({ disableAfterMs: 3_000, probeMinMs: 1_000 });
  });

  it.each([
    ['WEBHOOK_BREAKER_FAILURE_RATE', '0', /WEBHOOK_BREAKER_FAILURE_RATE.*above 0/],
    ['WEBHOOK_BREAKER_FAILURE_RATE', '1.5', /WEBHOOK_BREAKER_FAILURE_RATE.*at most 1/],
    ['WEBHOOK_BREAKER_FAILURE_RATE', 'half', /WEBHOOK_BREAKER_FAILURE_RATE/],
    ['WEBHOOK_BREAKER_MIN_ATTEMPTS', '0', /WEBHOOK_BREAKER_MIN_ATTEMPTS/],
    ['WEBHOOK_BREAKER_TIMEOUTS', '-1', /WEBHOOK_BREAKER_TIMEOUTS/],
    ['WEBHOOK_BREAKER_WINDOW', '500ms', /WEBHOOK_BREAKER_WINDOW.*at least 1s/],
    ['WEBHOOK_BREAKER_PROBE_INTERVAL', 'soon', /WEBHOOK_BREAKER_PROBE_INTERVAL/],
    ['WEBHOOK_DISABLE_AFTER', '10ms', /WEBHOOK_DISABLE_AFTER.*at least 1s/],
  ])('refuses %s=%s, naming it and the allowed range', (key, value, message) => {
    expect(() => parseConfig({ ...base, [key]: value })).toThrow(message);
  });
});

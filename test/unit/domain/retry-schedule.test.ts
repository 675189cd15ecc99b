import { parseConfig, retryDelays } from '../../../src/config';
import { maxAttempts, nextDelayMs, parseRetryAfter } from '../../../src/domain/retry-schedule';

describe('retry schedule', () => {
  // The default comes from the one config schema.
  const plan = { delaysMs: retryDelays(parseConfig({ WEBHOOK_VALIDATE_SIGNATURE: 'false' })) };

  it('is 1s, 5s, 30s, 2m, 10m, 30m with seven attempts at most', () => {
    expect(plan.delaysMs).toEqual([1_000, 5_000, 30_000, 120_000, 600_000, 1_800_000]);
    expect(maxAttempts(plan)).toBe(7);
    expect([1, 2, 3, 4, 5, 6, 7].map((a) => nextDelayMs(plan, a))).toEqual([1_000, 5_000, 30_000, 120_000, 600_000, 1_800_000, null]);
  });

  it('honours Retry-After but caps it at twice the step it replaces', () => {
    expect(nextDelayMs(plan, 3, 10_000)).toBe(10_000);
    expect(nextDelayMs(plan, 3, 3_600_000)).toBe(60_000);
    expect(nextDelayMs(plan, 7, 1_000)).toBeNull();
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('7', now)).toBe(7_000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(undefined, now)).toBeNull();
  });
});

import { parseConfig } from '../../../src/config';
import { parseRetentionAge } from '../../../src/retention/retention-age';

const base = { WEBHOOK_INBOUND_SECRET: 's' };

describe('retention ages', () => {
  it('reads a bare number as days and a unit as a duration', () => {
    expect(parseRetentionAge('30')).toBe(30 * 86_400_000);
    expect(parseRetentionAge('0.5')).toBe(43_200_000);
    expect(parseRetentionAge('12h')).toBe(43_200_000);
    expect(parseRetentionAge('3s')).toBe(3000);
    expect(parseRetentionAge('0')).toBe(0);
  });

  it('defaults to 30 days of payloads and response bodies and 90 days of logs, pruned hourly', () => {
    const c = parseConfig(base);
    expect(c.WEBHOOK_RETENTION_PAYLOAD_DAYS).toBe(30 * 86_400_000);
    expect(c.WEBHOOK_RETENTION_RESPONSE_DAYS).toBe(30 * 86_400_000);
    expect(c.WEBHOOK_RETENTION_LOG_DAYS).toBe(90 * 86_400_000);
    expect(c.WEBHOOK_RETENTION_INTERVAL).toBe(3_600_000);
  });

  it('names the variable of an age it cannot read', () => {
    expect(() => parseConfig({ ...base, WEBHOOK_RETENTION_LOG_DAYS: 'soon' })).toThrow(/WEBHOOK_RETENTION_LOG_DAYS .*retention age/);
  });

  it('refuses to keep logs and delivery rows for less time than the payloads they hold', () => {
    expect(() => parseConfig({ ...base, WEBHOOK_RETENTION_PAYLOAD_DAYS: '30', WEBHOOK_RETENTION_LOG_DAYS: '7' })).toThrow(/WEBHOOK_RETENTION_LOG_DAYS/);
  });
});

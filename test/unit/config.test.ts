import { ConfigError, inboundSecrets, parseConfig, retryDelays } from '../../src/config';

const base = { WEBHOOK_INBOUND_SECRET: 's3cret', ADMIN_TOKEN: 'a'.repeat(16) };

describe('config', () => {
  it('reads the documented defaults', () => {
    const c = parseConfig(base);
    expect(c.PORT).toBe(3000);
    expect(c.WEBHOOK_BODY_LIMIT).toBe(1024 * 1024);
    expect(c.WEBHOOK_MAX_CLOCK_SKEW).toBe(120);
    expect(c.WEBHOOK_TIMEOUT).toBe(5);
    expect(c.WEBHOOK_CONCURRENCY).toBe(10);
    expect(c.WEBHOOK_INBOUND_PATH).toBe('/webhook/inbound');
    expect(c.WEBHOOK_SECRET_GRACE).toBe(24 * 3600 * 1000);
  });

  it('keeps endpoint protection on unless WEBHOOK_ENDPOINT_PROTECTION=false turns the shared gate off', () => {
    expect(parseConfig(base).WEBHOOK_ENDPOINT_PROTECTION).toBe(true);
    expect(parseConfig({ ...base, WEBHOOK_ENDPOINT_PROTECTION: 'false' }).WEBHOOK_ENDPOINT_PROTECTION).toBe(false);
    expect(() => parseConfig({ ...base, WEBHOOK_ENDPOINT_PROTECTION: 'maybe' })).toThrow(ConfigError);
  });

  it('pins the default retry schedule to 1s, 5s, 30s, 2m, 10m, 30m: six retries after the first attempt', () => {
    expect(retryDelays(parseConfig(base))).toEqual([1_000, 5_000, 30_000, 120_000, 600_000, 1_800_000]);
  });

  it('selects the queue driver with QUEUE_DRIVER: temporal by default; pgboss needs a real PostgreSQL, said in one line', () => {
    expect(parseConfig(base).QUEUE_DRIVER).toBe('temporal');
    expect(parseConfig({ ...base, QUEUE_DRIVER: 'pgboss', DATABASE_URL: 'postgres://h/db' })).toMatchObject({ QUEUE_DRIVER: 'pgboss', QUEUE_LIVENESS: 30_000 });
    let error: unknown;
    try {
      parseConfig({ ...base, QUEUE_DRIVER: 'pgboss' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues).toEqual([{ variable: 'QUEUE_DRIVER', message: expect.stringMatching(/^is pgboss, which needs a real PostgreSQL: set DATABASE_URL/) }]);
    expect(() => parseConfig({ ...base, QUEUE_DRIVER: 'graphile' })).toThrow(/QUEUE_DRIVER/);
  });

  it('shortens the schedule with WEBHOOK_MAX_RETRIES', () => {
    expect(retryDelays(parseConfig({ ...base, WEBHOOK_MAX_RETRIES: '2' }))).toEqual([1_000, 5_000]);
  });

  it('fails closed: signature validation without a secret names WEBHOOK_INBOUND_SECRET', () => {
    expect(() => parseConfig({})).toThrow(/WEBHOOK_INBOUND_SECRET/);
    expect(() => parseConfig({ WEBHOOK_VALIDATE_SIGNATURE: 'false' })).not.toThrow();
  });

  it('splits WEBHOOK_INBOUND_SECRET into the secrets in force, trimmed', () => {
    expect(inboundSecrets(parseConfig({ ...base, WEBHOOK_INBOUND_SECRET: 'new-secret, old-secret' }))).toEqual(['new-secret', 'old-secret']);
    expect(inboundSecrets(parseConfig({ ...base, WEBHOOK_INBOUND_SECRET: undefined, WEBHOOK_VALIDATE_SIGNATURE: 'false' }))).toEqual([]);
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['WEBHOOK_RETRY_SCHEDULE', '1s,soon'],
    ['WEBHOOK_VALIDATE_SIGNATURE', 'maybe'],
    ['DATABASE_URL', 'mysql://x'],
    ['WEBHOOK_BODY_LIMIT', 'lots'],
    ['WEBHOOK_INBOUND_PATH', 'no-slash'],
    ['WEBHOOK_MAX_RETRIES', '9'],
    // An empty secret would verify an HMAC made with an empty key.
    ['WEBHOOK_INBOUND_SECRET', ','],
    ['WEBHOOK_INBOUND_SECRET', 's,'],
    ['WEBHOOK_INBOUND_SECRET', 'good-secret, ,other'],
    ['WEBHOOK_INBOUND_SECRET', '   '],
    ['ADMIN_TOKEN', ' '.repeat(20)],
  ])('names %s when it holds %p', (variable, value) => {
    try {
      parseConfig({ ...base, [variable]: value });
      throw new Error('expected a ConfigError');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).issues.map((i) => i.variable)).toContain(variable);
      expect((err as Error).message).toContain(variable);
    }
  });
});

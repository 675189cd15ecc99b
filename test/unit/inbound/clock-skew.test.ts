import { buildTestGateway, envelope, NOW_S, type TestGateway } from '../../helpers/inbound-app';

// The clock is pinned, so "exactly at the limit" is exact.

describe('inbound gateway: clock skew', () => {
  let gw: TestGateway;
  let n = 0;

  beforeAll(async () => {
    gw = await buildTestGateway({ WEBHOOK_MAX_CLOCK_SKEW: '120' });
  });
  afterAll(() => gw.close());

  const at = async (timestamp: number) => {
    const res = await gw.send(envelope({ timestamp, id: `skew-${n++}` }));
    return res.status === 200 ? 200 : `${res.status} ${res.json.error}`;
  };

  it('accepts a timestamp exactly WEBHOOK_MAX_CLOCK_SKEW seconds old', async () => {
    expect(await at(NOW_S - 120)).toBe(200);
  });

  it('refuses a timestamp one second past the limit with 422 invalid_timestamp', async () => {
    expect(await at(NOW_S - 121)).toBe('422 invalid_timestamp');
  });

  it('is symmetric: accepts exactly the limit in the future and refuses one second more', async () => {
    expect(await at(NOW_S + 120)).toBe(200);
    expect(await at(NOW_S + 121)).toBe('422 invalid_timestamp');
  });

  it('refuses a timestamp far in the future and says so', async () => {
    const res = await gw.send(envelope({ timestamp: NOW_S + 3600 }));
    expect(res.status).toBe(422);
    expect(res.json.message).toMatch(/3600 s in the future/);
  });

  it('follows WEBHOOK_MAX_CLOCK_SKEW', async () => {
    const strict = await buildTestGateway({ WEBHOOK_MAX_CLOCK_SKEW: '5' });
    try {
      expect((await strict.send(envelope({ timestamp: NOW_S - 5 }))).status).toBe(200);
      expect((await strict.send(envelope({ timestamp: NOW_S - 6 }))).status).toBe(422);
    } finally {
      await strict.close();
    }
  });
});

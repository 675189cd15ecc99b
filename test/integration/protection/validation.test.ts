import { startHarness, type Harness } from '../../helpers/harness';

// Bad protection settings get a 400 that names the field and the allowed range; nothing is written.

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ LOG_LEVEL: 'silent' }, { worker: false });
});
afterAll(async () => {
  await h?.stop();
});

const base = { url: 'http://127.0.0.1:9/x', events: ['order.*'] };

it.each([0, -1, 1001, 2.5, '8', true])('refuses max_in_flight %p on create, naming the field and range', async (bad) => {
  const res = await h.admin('POST', '/subscribers', { ...base, max_in_flight: bad });
  expect(res.status).toBe(400);
  expect(res.json.details).toEqual([{ field: 'max_in_flight', message: 'must be an integer from 1 to 1000' }]);
  expect((await h.admin('GET', '/subscribers')).json.data).toHaveLength(0);
});

it('refuses a bad max_in_flight on update and keeps the old value; null goes back to the default', async () => {
  const created = await h.admin('POST', '/subscribers', { ...base, max_in_flight: 4 });
  expect(created.status).toBe(201);
  const bad = await h.admin('PATCH', `/subscribers/${created.json.id}`, { max_in_flight: 5000 });
  expect(bad.status).toBe(400);
  expect(bad.json.message).toContain('max_in_flight: must be an integer from 1 to 1000');
  expect((await h.admin('GET', `/subscribers/${created.json.id}`)).json.max_in_flight).toBe(4);
  const reset = await h.admin('PATCH', `/subscribers/${created.json.id}`, { max_in_flight: null });
  expect(reset.status).toBe(200);
  expect(reset.json.max_in_flight).toBeNull();
});

const perSecond = 'must be a number of requests per second from 0.01 to 10000';
it.each([
  [{ per_second: 0 }, 'rate_limit.per_second', perSecond],
  [{ per_second: 20_000 }, 'rate_limit.per_second', perSecond],
  [{ per_second: 'fast' }, 'rate_limit.per_second', perSecond],
  [{ per_second: 5, burst: 0 }, 'rate_limit.burst', 'must be an integer from 1 to 10000'],
  [{ per_second: 5, burst: 1.5 }, 'rate_limit.burst', 'must be an integer from 1 to 10000'],
  [5, 'rate_limit', 'must be an object {per_second, burst?} or null'],
])('refuses rate_limit %p, naming %s', async (bad, field, message) => {
  const res = await h.admin('POST', '/subscribers', { ...base, rate_limit: bad });
  expect(res.status).toBe(400);
  expect(res.json.details).toContainEqual({ field, message });
  expect((await h.admin('GET', '/subscribers')).json.data.filter((s: { rate_limit: unknown }) => s.rate_limit !== null)).toHaveLength(0);
});

it('refuses an unknown key in rate_limit and accepts a good one with burst defaulting to 1', async () => {
  expect((await h.admin('POST', '/subscribers', { ...base, rate_limit: { per_second: 5, bursts: 3 } })).status).toBe(400);
  const ok = await h.admin('POST', '/subscribers', { ...base, rate_limit: { per_second: 2.5 } });
  expect(ok.status).toBe(201);
  expect(ok.json.rate_limit).toEqual({ per_second: 2.5, burst: 1 });
});

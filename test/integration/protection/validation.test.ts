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

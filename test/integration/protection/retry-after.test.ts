import { eventually, startHarness, type Harness } from '../../helpers/harness';
import { startReceiver, type Receiver } from '../../helpers/receiver';

// A 429 with Retry-After pauses the whole subscriber (every delivery, not only the refused one)
// until then; the waits are deferrals, not attempts, and every delivery then arrives.

let h: Harness;
let receiver: Receiver;
let refusedAt = 0;

beforeAll(async () => {
  receiver = await startReceiver((_req, index) => {
    if (index === 0) {
      refusedAt = Date.now();
      return { status: 429, headers: { 'retry-after': '10' } };
    }
    return { status: 200 };
  });
  // S6 caps a Retry-After at twice the step, so the first step is 5 s (10 s doubled); the pause
  // holds every other delivery for those 10 s too.
  h = await startHarness({ WEBHOOK_RETRY_SCHEDULE: '5s,200ms,200ms', LOG_LEVEL: 'silent' });
});
afterAll(async () => {
  await h?.stop();
  await receiver?.close();
});

it('sends nothing to the subscriber for Retry-After seconds, then delivers everything once', async () => {
  const sub = await h.admin('POST', '/subscribers', { url: `${receiver.url}/busy`, events: ['busy.*'] });
  expect(sub.status).toBe(201);
  expect((await h.admin('POST', '/events', { event: 'busy.test', data: { e: 0 } })).status).toBe(202);
  await receiver.waitFor(1, 20_000);
  // Let the refusal be recorded, then send more while the pause is in force.
  await new Promise((r) => setTimeout(r, 500));
  for (let e = 1; e <= 4; e++) expect((await h.admin('POST', '/events', { event: 'busy.test', data: { e } })).status).toBe(202);

  const paused = await h.admin('GET', `/subscribers/${sub.json.id}/protection`);
  expect(paused.status).toBe(200);
  expect(paused.json.state).toBe('paused');
  expect(paused.json.pause_reason).toContain('429');
  // A 429 is also an overload signal: the adaptive cap halved the default 8.
  expect(paused.json.effective_max_in_flight).toBe(4);
  const metrics = await h.app.inject({ method: 'GET', url: '/metrics' });
  expect(metrics.body).toContain(`webhook_endpoint_paused{subscriber_id="${sub.json.id}"} 1`);

  await eventually(async () => (await h.admin('GET', '/deliveries?status=succeeded&limit=100')).json.data.length === 5, 60_000);
  const after = receiver.requests.slice(1);
  expect(after).toHaveLength(5);
  // Nothing arrived during the pause (a little slack for the two clocks' rounding).
  for (const r of after) expect(r.at - refusedAt).toBeGreaterThanOrEqual(9_800);
  const seen = after.map((r) => JSON.parse(r.body).data.e).sort();
  expect(seen).toEqual([0, 1, 2, 3, 4]);
  // The refused delivery used one attempt for the 429 and one for the success: waiting was not an attempt.
  const first = (await h.admin('GET', '/deliveries?limit=100')).json.data.find((d: { attempts: number }) => d.attempts === 2);
  expect(first).toBeDefined();
  expect((await h.admin('GET', '/deliveries?limit=100')).json.data.filter((d: { attempts: number }) => d.attempts === 1)).toHaveLength(4);
});

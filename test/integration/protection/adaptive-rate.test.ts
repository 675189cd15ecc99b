import { eventually, startHarness, type Harness } from '../../helpers/harness';
import { startReceiver, type Receiver } from '../../helpers/receiver';

// The adaptive rate: a rate-limited subscriber whose receiver signals overload (a 503 here, no
// Retry-After) has its effective rate halved, shown in the admin API, and successes raise it
// back to its rate_limit.

let h: Harness;
let receiver: Receiver;
let overloaded = true;

beforeAll(async () => {
  receiver = await startReceiver(() => (overloaded ? { status: 503 } : { status: 200 }));
  h = await startHarness({ WEBHOOK_RETRY_SCHEDULE: '1h', LOG_LEVEL: 'silent' });
});
afterAll(async () => {
  await h?.stop();
  await receiver?.close();
});

it('halves a rate-limited subscriber’s effective rate on overload, shows it, and restores it with successes', async () => {
  const created = await h.admin('POST', '/subscribers', { url: `${receiver.url}/rated`, events: ['rated.*'], rate_limit: { per_second: 10, burst: 5 } });
  expect(created.status).toBe(201);
  const id = created.json.id as string;
  expect((await h.admin('GET', `/subscribers/${id}/protection`)).json.effective_rate_per_second).toBe(10);

  expect((await h.admin('POST', '/events', { event: 'rated.one', data: { n: 0 } })).status).toBe(202);
  await eventually(async () => (await h.admin('GET', `/subscribers/${id}/protection`)).json.effective_rate_per_second === 5);

  overloaded = false;
  for (let n = 1; n <= 10; n++) expect((await h.admin('POST', '/events', { event: 'rated.one', data: { n } })).status).toBe(202);
  await eventually(async () => (await h.admin('GET', `/subscribers/${id}/protection`)).json.effective_rate_per_second === 10, 20_000);
});

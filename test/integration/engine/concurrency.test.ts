import { eventually, startHarness, type Harness } from '../../helpers/harness';
import { startReceiver, type Receiver } from '../../helpers/receiver';

// WEBHOOK_CONCURRENCY caps POSTs in flight per worker, across fan-out pages and delivery
// workflows together.

let h: Harness;
let receiver: Receiver;
let inFlight = 0;
let most = 0;

beforeAll(async () => {
  const tries = new Map<string, number>();
  receiver = await startReceiver(async (req) => {
    inFlight++;
    most = Math.max(most, inFlight);
    await new Promise((r) => setTimeout(r, 150));
    inFlight--;
    // Half the subscribers fail their first attempt, so retries run in delivery workflows beside the pages.
    const key = String(req.headers['x-webhook-delivery']);
    const n = (tries.get(key) ?? 0) + 1;
    tries.set(key, n);
    return { status: req.url.includes('/flaky/') && n === 1 ? 503 : 200 };
  });
  h = await startHarness({ WEBHOOK_CONCURRENCY: '3', WEBHOOK_RETRY_SCHEDULE: '100ms,100ms', LOG_LEVEL: 'silent' });
});
afterAll(async () => {
  await h?.stop();
  await receiver?.close();
});

it('never has more than WEBHOOK_CONCURRENCY POSTs in flight from one worker', async () => {
  for (let i = 0; i < 12; i++) {
    const res = await h.admin('POST', '/subscribers', { url: `${receiver.url}/${i % 2 ? 'flaky' : 'steady'}/${i}`, events: ['load.*'] });
    expect(res.status).toBe(201);
  }
  for (let e = 0; e < 4; e++) expect((await h.admin('POST', '/events', { event: 'load.test', data: { e } })).status).toBe(202);
  await eventually(async () => {
    const res = await h.admin('GET', '/deliveries?status=succeeded&limit=100');
    return res.json.data.length === 48;
  }, 90_000);
  expect(receiver.requests.length).toBe(48 + 24);
  expect(most).toBeLessThanOrEqual(3);
  expect(most).toBe(3);
});

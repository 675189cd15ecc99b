import { eventually, startHarness, type Harness } from '../../helpers/harness';
import { startReceiver, type Receiver } from '../../helpers/receiver';
import { startSecondWorker } from './second-worker';

// max_in_flight caps POSTs to one subscriber across all workers (it protects the receiver), with
// two workers that each have WEBHOOK_CONCURRENCY slots to spare.

let h: Harness;
let second: { stop(): Promise<void> };
let receiver: Receiver;
let inFlight = 0;
let most = 0;

beforeAll(async () => {
  receiver = await startReceiver(async () => {
    inFlight++;
    most = Math.max(most, inFlight);
    await new Promise((r) => setTimeout(r, 300));
    inFlight--;
    return { status: 200 };
  });
  h = await startHarness({ WEBHOOK_CONCURRENCY: '10', LOG_LEVEL: 'silent' });
  second = await startSecondWorker(h);
});
afterAll(async () => {
  await second?.stop();
  await h?.stop();
  await receiver?.close();
});

it('never lets a receiver see more than its max_in_flight, with two workers, and delivers every event once', async () => {
  const created = await h.admin('POST', '/subscribers', { url: `${receiver.url}/capped`, events: ['cap.*'], max_in_flight: 2 });
  expect(created.status).toBe(201);
  expect(created.json.max_in_flight).toBe(2);
  await Promise.all(Array.from({ length: 12 }, (_, e) => h.admin('POST', '/events', { event: 'cap.test', data: { e } })));
  await eventually(async () => (await h.admin('GET', '/deliveries?status=succeeded&limit=100')).json.data.length === 12, 90_000);
  expect(most).toBeLessThanOrEqual(2);
  expect(most).toBe(2);
  const seen = receiver.requests.map((r) => JSON.parse(r.body).data.e);
  expect(new Set(seen).size).toBe(12);
  expect(seen).toHaveLength(12);
  // Every lease was given back (a warm lease lingers 50 ms at this max_in_flight).
  await eventually(async () => (await h.runtime.repos.protection.state(created.json.id))?.inFlight === 0, 5_000);
});

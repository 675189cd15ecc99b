import { eventually, startHarness, type Harness } from '../../helpers/harness';
import { startReceiver, type Receiver } from '../../helpers/receiver';
import { startSecondWorker } from './second-worker';

// rate_limit holds across all workers: work over the limit waits (a deferral, never an attempt)
// and is never dropped.

let h: Harness;
let second: { stop(): Promise<void> };
let receiver: Receiver;

beforeAll(async () => {
  receiver = await startReceiver(() => ({ status: 200 }));
  h = await startHarness({ LOG_LEVEL: 'silent' });
  second = await startSecondWorker(h);
});
afterAll(async () => {
  await second?.stop();
  await h?.stop();
  await receiver?.close();
});

it('sends 100 events to a subscriber limited to 5 per second at that rate, with two workers, losing none', async () => {
  const sub = await h.admin('POST', '/subscribers', { url: `${receiver.url}/limited`, events: ['rate.*'], rate_limit: { per_second: 5, burst: 1 } });
  expect(sub.status).toBe(201);
  expect(sub.json.rate_limit).toEqual({ per_second: 5, burst: 1 });
  for (let start = 0; start < 100; start += 20) {
    await Promise.all(Array.from({ length: 20 }, (_, i) => h.admin('POST', '/events', { event: 'rate.test', data: { e: start + i } })));
  }
  await eventually(async () => (await h.admin('GET', '/deliveries?status=succeeded&limit=100')).json.data.length === 100, 120_000, 500);
  const times = receiver.requests.map((r) => r.at).sort((a, b) => a - b);
  expect(times).toHaveLength(100);
  // At the rate: the typical spacing is one token's 200 ms, within 10 %.
  const gaps = times.slice(1).map((t, i) => t - times[i]).sort((a, b) => a - b);
  const median = gaps[Math.floor(gaps.length / 2)];
  expect(median).toBeGreaterThanOrEqual(180);
  expect(median).toBeLessThanOrEqual(220);
  // And not much slower overall: a booked send time whose delivery comes back late (Temporal's
  // timers fire on whole seconds; a loaded machine adds more) is lost, never made up with a burst.
  const span = times.at(-1)! - times[0];
  expect(span).toBeLessThan(2.5 * 20_000);
  // Never faster than the limit: any 5 s window holds at most its 25 tokens and the burst of 1 (and a little clock slack).
  let most = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i] - times[j] >= 5_000) j++;
    most = Math.max(most, i - j + 1);
  }
  expect(most).toBeLessThanOrEqual(27);
  const seen = receiver.requests.map((r) => JSON.parse(r.body).data.e);
  expect(new Set(seen).size).toBe(100);
  // Waiting was never an attempt.
  const attempts = (await h.admin('GET', '/deliveries?limit=100')).json.data.map((d: { attempts: number }) => d.attempts);
  expect(attempts.every((n: number) => n === 1)).toBe(true);
}, 180_000);

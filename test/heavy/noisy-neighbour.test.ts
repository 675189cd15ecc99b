import { DEFAULT_RETRY_SCHEDULE } from '../../src/config';
import { eventually, startHarness, type Harness } from '../helpers/harness';
import { startReceiver, type Receiver } from '../helpers/receiver';

// The headline: on the defaults, a healthy subscriber that shares every event with one that
// answers after 4 s and one that never answers keeps its latency (p99 within 3 times its p99
// alone, and under 1.5 s), and receives every event exactly once. The shape is `npm start`'s:
// the api and the worker in one process, so an event's workflow starts eagerly on its worker
// (bench/protection.ts measures the two-process shape too).

let h: Harness;
let healthy: Receiver;
let slow: Receiver;
let dead: Receiver;

beforeAll(async () => {
  healthy = await startReceiver(() => ({ status: 200 }));
  slow = await startReceiver(() => ({ status: 200, delayMs: 4_000 }));
  dead = await startReceiver(() => new Promise(() => undefined));
  // The defaults, not the harness's short test settings; the api and the worker in one process, as `npm start` runs them.
  h = await startHarness({ WEBHOOK_TIMEOUT: '5', WEBHOOK_RETRY_SCHEDULE: DEFAULT_RETRY_SCHEDULE, LOG_LEVEL: 'silent' });
});
afterAll(async () => {
  await h?.stop();
  await Promise.all([healthy?.close(), slow?.close(), dead?.close()]);
});

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};

/** Sends `count` events of `type` at 10 per second; returns when each was sent, by index. */
async function sendAt10PerSecond(type: string, count: number): Promise<number[]> {
  const sentAt: number[] = [];
  const start = Date.now();
  const pending: Promise<unknown>[] = [];
  for (let e = 0; e < count; e++) {
    const due = start + e * 100;
    if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
    sentAt[e] = Date.now();
    pending.push(h.admin('POST', '/events', { event: type, data: { e } }).then((res) => expect(res.status).toBe(202)));
  }
  await Promise.all(pending);
  return sentAt;
}

function latencies(type: string, sentAt: number[]): number[] {
  const mine = healthy.requests.filter((r) => r.headers['x-webhook-event'] === type);
  const byEvent = new Map<number, number>();
  for (const r of mine) {
    const e = JSON.parse(r.body).data.e as number;
    expect(byEvent.has(e)).toBe(false); // exactly once
    byEvent.set(e, r.at - sentAt[e]);
  }
  expect(byEvent.size).toBe(sentAt.length);
  return [...byEvent.values()];
}

// Session 9: on npm start's shape (one process), six runs of which the last two after the fix
// below: beside p99 75, 109, 117, 77, then 40 and 55 ms, against alone p99 34–41 ms. The tail before
// the fix was a burst: a dead receiver's first deliveries queued in the pages while its first POSTs
// hung (their POST time was unknown), and when its circuit opened about 40 were handed to their
// workflows at once, which stalled the Temporal server's writes for ~300 ms (src/engine/admission.ts,
// postTimeMs). Session 5 measured beside p99 622–1,010 ms. `npm test` (scripts/test.sh) runs it
// after the rest of the suite, alone, because a 3 × ratio of two p99s is not steady while other
// tests load the 2-core CI machine; `npm run test:heavy` runs it too.
it('keeps the healthy subscriber fast beside a slow and a dead neighbour', async () => {
  const ok = await h.admin('POST', '/subscribers', { url: `${healthy.url}/ok`, events: ['nn.*'] });
  expect(ok.status).toBe(201);

  // Warm-up, not measured: a fresh worker's first events pay for compiling and connecting (one
  // run measured an alone p99 of 1,060 ms without it, which made the 3 × bound meaningless).
  await sendAt10PerSecond('nn.warmup', 20);
  await eventually(async () => healthy.requests.length >= 20, 60_000);
  // As many events alone as beside (200): two p99s of samples of one size, each the second largest.
  const aloneSent = await sendAt10PerSecond('nn.alone', 200);
  await eventually(async () => healthy.requests.length >= 220, 60_000);
  const alone = latencies('nn.alone', aloneSent);

  for (const r of [slow, dead]) expect((await h.admin('POST', '/subscribers', { url: `${r.url}/bad`, events: ['nn.mixed'] })).status).toBe(201);
  const mixedSent = await sendAt10PerSecond('nn.mixed', 200);
  await eventually(async () => healthy.requests.length >= 420, 90_000);
  const beside = latencies('nn.mixed', mixedSent);

  const figures = {
    alone: { p50: percentile(alone, 50), p99: percentile(alone, 99) },
    beside: { p50: percentile(beside, 50), p99: percentile(beside, 99) },
    slowReceived: slow.requests.length,
    deadReceived: dead.requests.length,
  };
  console.log(`noisy neighbour: ${JSON.stringify(figures)}`);
  expect(figures.beside.p99).toBeLessThan(1_500);
  expect(figures.beside.p99).toBeLessThanOrEqual(3 * figures.alone.p99);
  // The bad neighbours were held to their max_in_flight (8 by default), not given the worker.
  expect(dead.requests.filter((r) => r.answered === undefined).length).toBeLessThanOrEqual(8);
}, 240_000);

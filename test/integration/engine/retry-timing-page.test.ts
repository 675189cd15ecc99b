import { startHarness, type Harness } from '../../helpers/harness';
import { startReceiver, type Receiver } from '../../helpers/receiver';

// A failed first attempt gets its delivery workflow at once, not when its page ends: on a page
// of 500 where 400 receivers take 2 s, each failed delivery's second attempt still fires 1 s ± 1 s
// after its first.

let h: Harness;
let receiver: Receiver;

beforeAll(async () => {
  receiver = await startReceiver(async (req) => {
    if (req.url.includes('/slow/')) {
      await new Promise((r) => setTimeout(r, 2_000));
      return { status: 200 };
    }
    return { status: 500 };
  });
  h = await startHarness({ WEBHOOK_RETRY_SCHEDULE: '1s,1s', WEBHOOK_CONCURRENCY: '500', WEBHOOK_FANOUT_CONCURRENCY: '500', WEBHOOK_TIMEOUT: '10', LOG_LEVEL: 'silent' });
});
afterAll(async () => {
  await h?.stop();
  await receiver?.close();
});

it('fires each failed delivery’s second attempt 1 s ± 1 s after its first, on a page of 500 with slow neighbours', async () => {
  for (let i = 0; i < 500; i++) {
    await h.runtime.repos.subscribers.create({ url: `${receiver.url}/${i % 5 === 0 ? 'fail' : 'slow'}/${i}`, secret: 'whsec_dGltaW5nLXNlY3JldA==', events: ['timing.page'] });
  }
  expect((await h.admin('POST', '/events', { event: 'timing.page', data: {} })).status).toBe(202);
  // 400 slow successes + 100 × 3 attempts.
  await receiver.waitFor(700, 90_000);

  const keys = receiver.requests.map((r) => `${r.url.split('/')[2]} ${r.headers['x-webhook-delivery']}#${r.headers['x-webhook-attempt']}`);
  const dupes = keys.filter((k, i) => keys.indexOf(k) !== i);
  expect({ total: keys.length, dupes: dupes.slice(0, 5), dupeCount: dupes.length }).toEqual({ total: 700, dupes: [], dupeCount: 0 });
  const byDelivery = new Map<string, Map<number, number>>();
  for (const r of receiver.requests.filter((q) => q.url.includes('/fail/'))) {
    const id = String(r.headers['x-webhook-delivery']);
    const attempts = byDelivery.get(id) ?? new Map<number, number>();
    attempts.set(Number(r.headers['x-webhook-attempt']), r.at);
    byDelivery.set(id, attempts);
  }
  expect(byDelivery.size).toBe(100);
  const incomplete = [...byDelivery.entries()].filter(([, a]) => !a.has(1) || !a.has(2)).map(([id, a]) => `${id}: ${[...a.keys()].join(',')}`);
  expect(incomplete).toEqual([]);
  const gaps = [...byDelivery.values()].map((a) => a.get(2)! - a.get(1)!);
  expect(Math.min(...gaps)).toBeGreaterThanOrEqual(950);
  expect(Math.max(...gaps)).toBeLessThanOrEqual(2_000);
}, 150_000);

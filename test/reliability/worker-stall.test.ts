import { eq } from 'drizzle-orm';
import { deliveries } from '../../src/db/schema';
import { eventually, type Harness } from '../helpers/harness';
import type { Receiver } from '../helpers/receiver';
import { startPageFault } from '../helpers/page-fault';
import { tearDown } from '../helpers/service-process';

// A worker that stalls without dying (a starved machine, a long GC pause; here SIGSTOP for 14 s)
// while its local fan-out page is half way through the first attempts. A stall is not a crash:
// when the worker goes on, nobody may have been sent an attempt twice. Found by the delivery
// bench on a machine whose cores were oversubscribed (230 duplicates in 10,000 deliveries): the
// page's workflow task timed out on the server during the stall (it was 10 s), so the resumed
// worker's page was cut off and the page ran again, resending what it had in flight.

const SUBSCRIBERS = 100;
const STALL_MS = 14_000;

let h: Harness | undefined;
let receiver: Receiver | undefined;

afterAll(() =>
  tearDown(
    () => receiver?.close(),
    () => h?.stop(),
  ),
);

it('sends no attempt twice when the worker stalls for 14 s mid-page', async () => {
  const fault = await startPageFault({ name: 'stall', subscribers: SUBSCRIBERS, localFanOut: true });
  h = fault.h;
  receiver = fault.receiver;
  const { worker, eventId } = fault;

  // Mid-page: 10 POSTs at a time (WEBHOOK_CONCURRENCY), 300 ms each.
  await receiver.waitFor(20, 60_000);
  worker.kill('SIGSTOP');
  await new Promise((r) => setTimeout(r, STALL_MS));
  worker.kill('SIGCONT');

  const db = h.database.db;
  await eventually(
    async () => {
      const all = await db.select().from(deliveries).where(eq(deliveries.eventId, eventId));
      return all.length === SUBSCRIBERS && all.every((d) => d.status === 'succeeded') ? all : null;
    },
    120_000,
    500,
  );
  // An attempt whose answer the stalled worker could not read in time counts as a timeout and
  // is retried as the next attempt: that is a retry, not a resend. The same attempt twice is.
  const posts = new Map<string, number>();
  const subscribers = new Set<string>();
  for (const r of receiver.requests) {
    subscribers.add(r.url);
    const key = `${r.url} attempt ${String(r.headers['x-webhook-attempt'])}`;
    posts.set(key, (posts.get(key) ?? 0) + 1);
  }
  const twice = [...posts.values()].filter((n) => n > 1).length;
  console.log(`[worker-stall] ${SUBSCRIBERS} deliveries, ${receiver.requests.length} POSTs received, ${posts.size - subscribers.size} retries, ${twice} attempts sent twice`);
  expect(subscribers.size).toBe(SUBSCRIBERS);
  expect(twice).toBe(0);
  await worker.stop();
}, 240_000);

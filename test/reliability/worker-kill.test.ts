import { eq } from 'drizzle-orm';
import { deliveries, logs } from '../../src/db/schema';
import { eventually, type Harness } from '../helpers/harness';
import type { Receiver } from '../helpers/receiver';
import { startPageFault } from '../helpers/page-fault';
import { spawnService, tearDown, waitForWorker } from '../helpers/service-process';

// A worker process dies without warning (SIGKILL) while its fan-out is half way through the
// first attempts. Temporal notices (the workflow task's timeout for a local fan-out, the missed
// heartbeat for a regular activity) and a new worker resumes the page, skipping what was
// recorded: at least once, never lost, duplicates only for the attempts in flight or not yet
// recorded, each carrying the same X-Webhook-Delivery.

const SUBSCRIBERS = 500;

describe.each([
  { mode: 'local fan-out', local: 'true' },
  { mode: 'fan-out activity', local: 'false' },
])('worker killed mid-flight ($mode)', ({ mode, local }) => {
  let h: Harness | undefined;
  let receiver: Receiver | undefined;

  afterAll(() =>
    tearDown(
      () => receiver?.close(),
      () => h?.stop(),
    ),
  );

  it('delivers every one of 500 deliveries after the worker is SIGKILLed mid-flight, duplicates carrying the same delivery id', async () => {
    // Slow enough that the fan-out's 50 lanes take a few seconds over the 500 first attempts.
    const fault = await startPageFault({ name: 'kill', subscribers: SUBSCRIBERS, localFanOut: local === 'true' });
    h = fault.h;
    receiver = fault.receiver;
    const { env, eventId, worker: first } = fault;

    // Mid-flight: some attempts answered and recorded, others in flight or not sent yet.
    await receiver.waitFor(150, 60_000);
    first.kill('SIGKILL');
    await first.exited;
    const receivedAtKill = receiver.requests.length;
    expect(receivedAtKill).toBeLessThan(SUBSCRIBERS);

    const second = spawnService('worker', env);
    await waitForWorker(h.runtime.client, h.config.TEMPORAL_TASK_QUEUE, second);

    // The dead worker's fan-out is retried after its workflow task or heartbeat times out (30 s, 35 s).
    const db = h.database.db;
    const rows = await eventually(
      async () => {
        const all = await db.select().from(deliveries).where(eq(deliveries.eventId, eventId));
        return all.length === SUBSCRIBERS && all.every((d) => d.status === 'succeeded') ? all : null;
      },
      120_000,
      500,
    );

    // Every delivery id reached the receiver at least once.
    const byDelivery = new Map<string, string[]>();
    for (const r of receiver.requests) {
      const id = String(r.headers['x-webhook-delivery']);
      byDelivery.set(id, [...(byDelivery.get(id) ?? []), r.url]);
    }
    for (const d of rows) expect(byDelivery.has(d.id)).toBe(true);
    expect(byDelivery.size).toBe(SUBSCRIBERS);

    // A duplicate is a second POST to the same subscriber for this event: it must carry the same
    // delivery id (and the frozen body), so the receiver can drop it.
    const bySubscriberUrl = new Map<string, { delivery: string; body: string }[]>();
    for (const r of receiver.requests) {
      bySubscriberUrl.set(r.url, [...(bySubscriberUrl.get(r.url) ?? []), { delivery: String(r.headers['x-webhook-delivery']), body: r.body }]);
    }
    expect(bySubscriberUrl.size).toBe(SUBSCRIBERS);
    let duplicates = 0;
    for (const [, seen] of bySubscriberUrl) {
      duplicates += seen.length - 1;
      expect(new Set(seen.map((s) => s.delivery)).size).toBe(1);
      expect(new Set(seen.map((s) => s.body)).size).toBe(1);
    }
    // One log row per attempt number; a re-sent first attempt overwrites its row.
    const logRows = await db.select({ deliveryId: logs.deliveryId }).from(logs).where(eq(logs.eventId, eventId));
    expect(logRows.length).toBe(SUBSCRIBERS);

    console.log(
      `[worker-kill, ${mode}] ${SUBSCRIBERS} deliveries, ${receiver.requests.length} POSTs received (${receivedAtKill} before the SIGKILL), ` +
        `${duplicates} duplicates, each with the same X-Webhook-Delivery`,
    );
    // Only what was not yet recorded can be sent twice: the 50 lanes in flight, the slice being
    // filled (under 50) and a slice being written (50).
    expect(duplicates).toBeLessThanOrEqual(150);

    await second.stop();
  }, 240_000);
});

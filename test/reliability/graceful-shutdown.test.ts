import { inArray } from 'drizzle-orm';
import { deliveries, logs } from '../../src/db/schema';
import { eventually, startHarness, type Harness } from '../helpers/harness';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { readTestRuntime } from '../helpers/runtime-file';
import { baseServiceEnv, tearDown, spawnService, waitForWorker } from '../helpers/service-process';

// SIGTERM on a worker stops it polling but lets the attempts it holds finish within the
// shutdown grace time (10 s, src/worker.ts): the in-flight POSTs are answered and recorded, and
// nothing is sent twice when the next worker takes over.

const FAN_OUT = 100;
const RETRYING = 10;
const GRACE_MS = 10_000;

describe('graceful shutdown', () => {
  let h: Harness | undefined;
  let receiver: Receiver | undefined;

  afterAll(() =>
    tearDown(
      () => receiver?.close(),
      () => h?.stop(),
    ),
  );

  it('lets the deliveries in flight at SIGTERM finish within the grace time, and loses or repeats none', async () => {
    const rt = readTestRuntime();
    h = await startHarness({}, { worker: false });
    // /r<i>: refuses the first attempt, then answers slowly (a delivery workflow's attempt in flight).
    // /f<i>: answers slowly (first attempts in flight inside the fan-out activity).
    receiver = await startReceiver((req) => {
      if (req.url.includes('/r')) return req.headers['x-webhook-attempt'] === '1' ? { status: 500 } : { status: 200, delayMs: 3_000 };
      return { status: 200, delayMs: 2_000 };
    });
    const retryEvent = `fault.term.retry.${Date.now()}`;
    const fanOutEvent = `fault.term.fanout.${Date.now()}`;
    for (let i = 0; i < RETRYING; i++) await h.runtime.repos.subscribers.create({ url: `${receiver.url}/r${i}`, secret: `r${i}`, events: [retryEvent] });
    for (let i = 0; i < FAN_OUT; i++) await h.runtime.repos.subscribers.create({ url: `${receiver.url}/f${i}`, secret: `f${i}`, events: [fanOutEvent] });

    const env = baseServiceEnv({
      DATABASE_URL: h.database.url,
      TEMPORAL_ADDRESS: rt.temporalAddress,
      TEMPORAL_TASK_QUEUE: h.config.TEMPORAL_TASK_QUEUE,
      WEBHOOK_RETRY_SCHEDULE: '1s,1s',
      WEBHOOK_TIMEOUT: '8',
      // POST slots for the ten retries and both waves of the fan-out (50 each) at once.
      WEBHOOK_CONCURRENCY: '120',
    });
    const first = spawnService('worker', env);
    await waitForWorker(h.runtime.client, h.config.TEMPORAL_TASK_QUEUE, first);

    const retry = await h.admin('POST', '/events', { event: retryEvent, data: {} });
    expect(retry.status).toBe(202);
    // The second attempts run in the delivery workflows' activities, each answered after 3 s.
    await eventually(async () => receiver!.requests.filter((r) => r.headers['x-webhook-attempt'] === '2').length === RETRYING, 30_000, 20);
    const fanOut = await h.admin('POST', '/events', { event: fanOutEvent, data: {} });
    expect(fanOut.status).toBe(202);
    await eventually(async () => receiver!.requests.some((r) => r.url.includes('/f')), 30_000, 20);

    const inFlight = receiver.requests.filter((r) => r.answered === undefined).length;
    const termAt = Date.now();
    first.kill('SIGTERM');
    const exit = await first.exited;
    const stoppedInMs = Date.now() - termAt;
    expect(exit).toEqual({ code: 0, signal: null });
    // The fan-out's second wave of 50 starts after the first (2 s each): about 4 s in all.
    expect(stoppedInMs).toBeLessThan(GRACE_MS + 5_000);
    console.log(`[graceful-shutdown] ${inFlight} POSTs in flight at SIGTERM; the worker exited 0 after ${stoppedInMs} ms`);

    // Every POST it made was answered in full: none was cut off by the shutdown.
    await eventually(async () => receiver!.requests.every((r) => r.answered !== undefined), 5_000, 50);
    expect(receiver.requests.filter((r) => r.answered === false)).toEqual([]);
    expect(receiver.requests.filter((r) => r.url.includes('/f')).length).toBe(FAN_OUT);

    const second = spawnService('worker', env);
    await waitForWorker(h.runtime.client, h.config.TEMPORAL_TASK_QUEUE, second);
    const eventIds = [retry.json.event_id as string, fanOut.json.event_id as string];
    const db = h.database.db;
    const rows = await eventually(
      async () => {
        const all = await db.select().from(deliveries).where(inArray(deliveries.eventId, eventIds));
        return all.length === FAN_OUT + RETRYING && all.every((d) => d.status === 'succeeded') ? all : null;
      },
      60_000,
      250,
    );
    // Nothing was sent again: each fan-out delivery once, each retrying one twice.
    expect(receiver.requests.length).toBe(FAN_OUT + 2 * RETRYING);
    expect(new Set(receiver.requests.map((r) => `${r.headers['x-webhook-delivery']}/${r.headers['x-webhook-attempt']}`)).size).toBe(receiver.requests.length);
    expect(rows.filter((d) => d.attempts === 2).length).toBe(RETRYING);
    const logRows = await db.select({ id: logs.id }).from(logs).where(inArray(logs.eventId, eventIds));
    expect(logRows.length).toBe(FAN_OUT + 2 * RETRYING);

    await second.stop();
  }, 180_000);
});

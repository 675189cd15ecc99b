import { randomUUID } from 'node:crypto';
import { verify as octokitVerify } from '@octokit/webhooks-methods';
import { and, eq } from 'drizzle-orm';
import { Webhook } from 'standardwebhooks';
import { deliveries, events, logs } from '../../../src/db/schema';
import { DEAD_LETTER_EVENT } from '../../../src/domain/internal-events';
import { WorkNotRunningError, type QueueDriver } from '../../../src/engine/queue-driver';
import { eventually, startHarness, type Harness } from '../../helpers/harness';
import { startReceiver, type Receiver, type Responder } from '../../helpers/receiver';
import { readTestRuntime } from '../../helpers/runtime-file';
import { baseServiceEnv, spawnService, tearDown, waitForWorker, type ServiceProcess } from '../../helpers/service-process';

// The queue-driver contract: what the app asks of the delivery engine, run against both drivers
// with real PostgreSQL, a real Temporal dev server for the Temporal driver, and real receivers on
// loopback. The pg-boss driver runs the same admission, attempt, outcome and finish code.

/** Four retries: 1 s and 2 s (the timing check), then long waits that only retry-now or cancel end. */
const SCHEDULE = '1s,2s,30s,30s';
const SECRET = 'whsec_' + Buffer.from('contract-suite-secret-0123456789').toString('base64');

const drivers: { name: string; env: Record<string, string> }[] = [
  { name: 'temporal', env: {} },
  { name: 'pgboss', env: { QUEUE_DRIVER: 'pgboss', QUEUE_LIVENESS: '4s' } },
];

describe.each(drivers)('the $name queue driver', ({ name, env }) => {
  let h: Harness;
  let driver: QueueDriver;
  const receivers: Receiver[] = [];

  beforeAll(async () => {
    h = await startHarness({ WEBHOOK_RETRY_SCHEDULE: SCHEDULE, ...env });
    driver = h.runtime.driver;
  });
  afterAll(async () => {
    await Promise.all(receivers.map((r) => r.close()));
    await h?.stop();
  });

  async function receiver(responder: Responder = () => ({ status: 200 })) {
    const r = await startReceiver(responder);
    receivers.push(r);
    return r;
  }
  const eventName = (base: string) => `${base}.${randomUUID().slice(0, 8)}`;
  async function dispatch(event: string, data: Record<string, unknown> = {}) {
    const res = await h.admin('POST', '/events', { event, data });
    expect(res.status).toBe(202);
    return res.json as { event_id: string; workflow_id: string };
  }
  const deliveryOf = (eventId: string, check: (d: typeof deliveries.$inferSelect) => boolean, timeoutMs = 20_000) =>
    eventually(async () => {
      const [d] = await h.database.db.select().from(deliveries).where(eq(deliveries.eventId, eventId));
      return d && check(d) ? d : null;
    }, timeoutMs);

  it('runs the driver', () => {
    expect(driver.name).toBe(name);
  });

  it('fans out to the matching subscribers only, signed v1 (octokit verifies) and v2 (standardwebhooks verifies)', async () => {
    const r = await receiver();
    const ev = eventName('contract.fan');
    const both = await h.admin('POST', '/subscribers', { url: `${r.url}/both`, events: [ev], secret: SECRET });
    await h.admin('POST', '/subscribers', { url: `${r.url}/wildcard`, events: [`${ev.split('.').slice(0, 2).join('.')}.*`], signature_version: 'v2' });
    await h.admin('POST', '/subscribers', { url: `${r.url}/other`, events: [`${ev}.other`] });
    const { event_id } = await dispatch(ev, { n: 1 });
    await r.waitFor(2);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(r.requests.map((q) => q.url).sort()).toEqual(['/hook/both', '/hook/wildcard']);
    const signed = r.requests.find((q) => q.url === '/hook/both')!;
    await expect(octokitVerify(both.json.secret, signed.body, String(signed.headers['x-agent-signature']))).resolves.toBe(true);
    expect(new Webhook(SECRET).verify(signed.body, signed.headers as Record<string, string>)).toMatchObject({ event: ev, data: { n: 1 } });
    const rows = await h.database.db.select().from(deliveries).where(eq(deliveries.eventId, event_id));
    expect(rows.map((d) => d.status)).toEqual(['succeeded', 'succeeded']);
  });

  it('answers 500, 500, 200 with exactly three log rows, the retries on the schedule (1 s, then 2 s)', async () => {
    const r = await receiver((_req, i) => ({ status: i < 2 ? 500 : 200 }));
    const ev = eventName('contract.retry');
    await h.admin('POST', '/subscribers', { url: r.url, events: [ev] });
    const { event_id } = await dispatch(ev);
    const row = await deliveryOf(event_id, (d) => d.status === 'succeeded');
    const rows = await h.database.db.select().from(logs).where(eq(logs.deliveryId, row.id));
    expect(rows.map((l) => [l.attempts, l.responseCode]).sort()).toEqual([
      [1, 500],
      [2, 500],
      [3, 200],
    ]);
    const [a, b, c] = r.requests.map((q) => q.at);
    // Each step counts from the end of the failed attempt; slack for a shared machine.
    expect(b - a).toBeGreaterThanOrEqual(1_000 - 20);
    expect(b - a).toBeLessThan(1_000 + 750);
    expect(c - b).toBeGreaterThanOrEqual(2_000 - 20);
    expect(c - b).toBeLessThan(2_000 + 750);
  });

  async function failingDelivery(r: Receiver) {
    const ev = eventName('contract.failing');
    await h.admin('POST', '/subscribers', { url: r.url, events: [ev] });
    const { event_id, workflow_id } = await dispatch(ev);
    // Three attempts (1 s and 2 s apart), then the 30 s wait.
    const row = await deliveryOf(event_id, (d) => d.attempts === 3 && d.workflowStartedAt !== null);
    return { row, eventWorkflowId: workflow_id };
  }

  it('reports the fan-out result, lists, queries, retries now and cancels a delivery in flight', async () => {
    const r = await receiver(() => ({ status: 500 }));
    const { row, eventWorkflowId } = await failingDelivery(r);
    await expect(driver.eventResult(eventWorkflowId, new AbortController().signal)).resolves.toMatchObject({ deliveries: 1 });

    const inFlight = await eventually(async () => (await driver.listInFlight(1000)).find((w) => w.workflowId === row.workflowId));
    expect(inFlight).toMatchObject({ kind: 'delivery', startedAt: expect.any(Date) });
    const listed = await h.admin('GET', '/in-flight?limit=1000');
    expect(listed.json).toMatchObject({ driver: name, data: expect.arrayContaining([{ workflow_id: row.workflowId, kind: 'delivery', started_at: expect.any(String) }]) });
    const status = await eventually(async () => {
      const s = await driver.liveStatus(row.workflowId);
      return s?.nextAttemptAt ? s : null;
    });
    expect(status).toMatchObject({ deliveryId: row.id, status: 'pending', maxAttempts: 5 });
    expect(status.attempts.map((a) => a.attempt)).toEqual([1, 2, 3]);
    expect(status.nextAttemptAt! - Date.now()).toBeGreaterThan(20_000);

    // Retry now: the fourth attempt at once, not in 30 s.
    const asked = Date.now();
    const retried = await h.admin('POST', `/deliveries/${row.id}/retry`);
    expect(retried.status).toBeLessThan(300);
    await r.waitFor(4, 10_000);
    expect(r.requests[3].at - asked).toBeLessThan(5_000);
    await deliveryOf(row.eventId, (d) => d.attempts === 4);

    const cancelled = await h.admin('POST', `/deliveries/${row.id}/cancel`, { reason: 'stopped by the contract suite' });
    expect(cancelled.status).toBeLessThan(300);
    const done = await deliveryOf(row.eventId, (d) => d.status === 'cancelled');
    expect(done.lastError ?? '').toContain('stopped by the contract suite');
    await eventually(async () => !(await driver.listInFlight(1000)).some((w) => w.workflowId === row.workflowId));
    expect([null, 'cancelled']).toContain((await driver.liveStatus(row.workflowId))?.status ?? null);
    expect(r.requests.length).toBe(4);
  });

  it('starts a delivery handed over waiting for capacity: no attempt before its turn, its wait visible, and retry-now sends it at once', async () => {
    const r = await receiver();
    const ev = eventName('contract.later');
    const sub = (await h.admin('POST', '/subscribers', { url: `${r.url}/later`, events: [`${ev}.none`] })).json;
    const id = `evt_later_${randomUUID().slice(0, 8)}`;
    await h.database.db.insert(events).values({ id, source: 'api', externalId: id, type: ev, payload: { n: 1 }, workflowId: `event/${id}`, status: 'processed', workflowStartedAt: new Date() });
    const [row] = await h.database.db
      .insert(deliveries)
      .values({ id: `dlv_${id}`, eventId: id, subscriberId: sub.id, eventType: ev, workflowId: `event/${id}/sub/${sub.id}` })
      .returning();
    const reason = 'waiting for a POST slot: the contract suite says so';
    const input = { deliveryId: row.id, eventId: id, eventType: ev, subscriberId: sub.id, target: 'later', retryDelaysMs: [1_000], attemptTimeoutMs: 10_000, searchAttributes: false, adminUrl: null, firstAttempt: null, waitFirst: { until: Date.now() + 60_000, reason } };
    expect(await driver.startDelivery(input, row.workflowId)).toBe(true);
    expect(await driver.startDelivery(input, row.workflowId)).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(r.requests).toHaveLength(0);
    expect(await eventually(async () => (await driver.liveStatus(row.workflowId))?.waiting ?? null)).toBe(reason);
    await driver.retryNow(row.workflowId);
    await r.waitFor(1, 10_000);
    await deliveryOf(id, (d) => d.status === 'succeeded');
  });

  it('dead-letters a delivery, announces webhook.delivery.dead_lettered, and replays it', async () => {
    let healthy = false;
    const r = await receiver(() => ({ status: healthy ? 200 : 500 }));
    const { row } = await failingDelivery(r);
    // Skip the two 30 s waits.
    const dead = await eventually(
      async () => {
        const [d] = await h.database.db.select().from(deliveries).where(eq(deliveries.id, row.id));
        if (d.status === 'dead') return d;
        await driver.retryNow(row.workflowId).catch(() => undefined);
        return null;
      },
      30_000,
      500,
    );
    expect(dead.attempts).toBe(5);
    expect(r.requests.length).toBe(5);
    const announced = await eventually(async () => {
      const [e] = await h.database.db
        .select()
        .from(events)
        .where(and(eq(events.type, DEAD_LETTER_EVENT), eq(events.externalId, `dead/${row.id}`)));
      return e;
    });
    expect(announced.payload).toMatchObject({ delivery_id: row.id, attempts: 5 });

    healthy = true;
    const replay = await h.admin('POST', '/dead-letters/replay', { ids: [row.id] });
    expect(replay.status).toBe(202);
    const replayId = replay.json.replayed[0].delivery_id as string;
    await eventually(async () => {
      const [d] = await h.database.db.select().from(deliveries).where(eq(deliveries.id, replayId));
      return d?.status === 'succeeded';
    });
    const last = r.requests.at(-1)!;
    expect(last.headers['x-webhook-replay']).toBe(replayId);
    expect(last.headers['x-webhook-delivery']).toBe(row.id);
    expect(last.body).toBe(r.requests[0].body);
  });

  it('answers WorkNotRunningError for work that does not exist, and refuses a second start of the same delivery', async () => {
    await expect(driver.retryNow('event/nope/sub/nope')).rejects.toBeInstanceOf(WorkNotRunningError);
    await expect(driver.cancel('event/nope/sub/nope', 'x')).rejects.toBeInstanceOf(WorkNotRunningError);
    await expect(driver.eventResult('event/nope', new AbortController().signal)).rejects.toBeInstanceOf(WorkNotRunningError);
    const r = await receiver(() => ({ status: 500 }));
    const { row } = await failingDelivery(r);
    const input = {
      deliveryId: row.id,
      eventId: row.eventId,
      eventType: row.eventType,
      subscriberId: row.subscriberId,
      target: '127.0.0.1',
      retryDelaysMs: [30_000],
      searchAttributes: false,
      adminUrl: null,
      firstAttempt: null,
    };
    await expect(driver.startDelivery(input, row.workflowId)).resolves.toBe(false);
    await expect(driver.healthy()).resolves.toBe(true);
    const health = await h.app.inject({ method: 'GET', url: '/health' });
    expect(health.json()).toMatchObject({ checks: { [name]: true, worker: true } });
  });
});

// A worker process dies without warning (SIGKILL) with every first attempt of a fan-out in
// flight. Another worker takes the work over (Temporal: the fan-out's heartbeat timeout; pg-boss:
// the job's lease, QUEUE_LIVENESS): every delivery arrives, a duplicate carries the same delivery id.
describe.each(drivers)('the $name queue driver, its worker SIGKILLed mid-flight', ({ name, env }) => {
  const SUBSCRIBERS = 20;
  let h: Harness | undefined;
  let r: Receiver | undefined;
  afterAll(() =>
    tearDown(
      () => r?.close(),
      () => h?.stop(),
    ),
  );

  it('loses nothing', async () => {
    h = await startHarness({ WEBHOOK_RETRY_SCHEDULE: '1s,1s,1s', ...env }, { worker: false });
    // The first worker's POSTs hang past its death; the second worker's are answered at once.
    let slow = true;
    r = await startReceiver(() => ({ status: 200, delayMs: slow ? 60_000 : 0 }));
    const ev = `contract.kill.${randomUUID().slice(0, 8)}`;
    for (let i = 0; i < SUBSCRIBERS; i++) await h.admin('POST', '/subscribers', { url: `${r.url}/${i}`, events: [ev] });
    const serviceEnv = baseServiceEnv({
      DATABASE_URL: h.database.url,
      // The pg-boss worker is given no Temporal at all.
      ...(name === 'temporal' ? { TEMPORAL_ADDRESS: readTestRuntime().temporalAddress, TEMPORAL_TASK_QUEUE: h.config.TEMPORAL_TASK_QUEUE } : {}),
      WEBHOOK_RETRY_SCHEDULE: '1s,1s,1s',
      WEBHOOK_TIMEOUT: '3',
      LOG_LEVEL: 'info',
      ...env,
    });
    const startWorker = async (): Promise<ServiceProcess> => {
      const w = spawnService('worker', serviceEnv);
      if (name === 'temporal') await waitForWorker(h!.runtime.client, h!.config.TEMPORAL_TASK_QUEUE, w);
      else
        await eventually(
          async () => {
            if (!w.running()) throw new Error(`the worker exited:\n${w.output()}`);
            return w.output().includes('pg-boss worker running');
          },
          60_000,
          200,
        );
      return w;
    };
    const first = await startWorker();
    const { event_id } = await dispatch(h, ev);
    await r.waitFor(SUBSCRIBERS, 30_000);
    first.kill('SIGKILL');
    await first.exited;
    slow = false;
    const second = await startWorker();
    const rows = await eventually(
      async () => {
        const all = await h!.database.db.select().from(deliveries).where(eq(deliveries.eventId, event_id));
        return all.length === SUBSCRIBERS && all.every((d) => d.status === 'succeeded') ? all : null;
      },
      90_000,
      500,
    );
    const seen = new Map<string, Set<string>>();
    for (const q of r.requests) seen.set(q.url, (seen.get(q.url) ?? new Set()).add(String(q.headers['x-webhook-delivery'])));
    expect(seen.size).toBe(SUBSCRIBERS);
    for (const ids of seen.values()) expect(ids.size).toBe(1);
    expect(new Set(rows.map((d) => d.id))).toEqual(new Set([...seen.values()].map((ids) => [...ids][0])));
    await second.stop();
  }, 150_000);
});

async function dispatch(h: Harness, event: string) {
  const res = await h.admin('POST', '/events', { event, data: {} });
  expect(res.status).toBe(202);
  return res.json as { event_id: string };
}

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { inArray } from 'drizzle-orm';
import { openDatabase, type Database } from '../../src/db/database';
import { createRepositories } from '../../src/db/repositories';
import { deliveries, events, logs } from '../../src/db/schema';
import { resendRefused, sendInbound, startFaultStack, startSender, type FaultStack, type SendResult } from '../helpers/fault-stack';
import { ADMIN_TOKEN } from '../helpers/harness';
import { eventually } from '../helpers/harness';
import { startPostgres, type PostgresServer } from '../helpers/postgres-server';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { readTestRuntime } from '../helpers/runtime-file';
import { tearDown } from '../helpers/service-process';

// PostgreSQL stops for ten seconds while events arrive and deliveries are under way, some of
// them retrying. The gateway refuses cleanly (503, Retry-After) while it is away; the worker's
// activities retry and the delivery workflow records deferred attempts, so once it is back
// every delivery finishes, with a log row for every attempt.

const OUTAGE_MS = 10_000;
const SUBSCRIBERS = 3;

describe('Postgres stopped mid-run', () => {
  let pg: PostgresServer | undefined;
  let database: Database | undefined;
  let receiver: Receiver | undefined;
  let stack: FaultStack | undefined;

  afterAll(() =>
    tearDown(
      () => stack?.client.connection.close(),
      () => receiver?.close(),
      () => database?.close(),
      () => pg?.stop(),
    ),
  );

  it('refuses inbound events with 503 while Postgres is down, then finishes and logs every delivery', async () => {
    pg = await startPostgres();
    database = await openDatabase({ url: pg.url(), dataDir: '', poolSize: 2 });
    // /0 answers at once; /1 refuses every first attempt, and its delivery workflow's retry is
    // answered after a second (so some are answered while the database is down); /2 is slow.
    receiver = await startReceiver((req) => {
      if (req.url.endsWith('/1')) return req.headers['x-webhook-attempt'] === '1' ? { status: 500 } : { status: 200, delayMs: 1_000 };
      return { status: 200, delayMs: req.url.endsWith('/2') ? 300 : 0 };
    });
    const event = `fault.postgres.${Date.now()}`;
    const repos = createRepositories(database.db);
    for (let i = 0; i < SUBSCRIBERS; i++) await repos.subscribers.create({ url: `${receiver.url}/${i}`, secret: `secret-${i}`, events: [event] });

    stack = await startFaultStack({
      temporalAddress: readTestRuntime().temporalAddress,
      databaseUrl: pg.url(),
      // /1 refuses every first attempt: a burst of them opens its circuit, and a probe (a first
      // attempt too) can never close it. The breaker has its own tests; here it stays out of the way.
      env: { WEBHOOK_RETRY_SCHEDULE: '1s,2s,2s,2s,2s,2s', WEBHOOK_SWEEP_INTERVAL: '2s', WEBHOOK_BREAKER_MIN_ATTEMPTS: '100000', WEBHOOK_BREAKER_TIMEOUTS: '100000' },
    });
    // A named source: its lookup reads the database before anything else.
    const source = { name: 'outage-probe', secret: 'outage-probe-secret' };
    const created = await fetch(`${stack.apiUrl}/admin/api/sources`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: source.name, verifier: 'generic', secrets: [source.secret] }),
    });
    expect(created.status).toBe(201);
    const probeEvent = `${event}.probe`;
    expect((await sendInbound(stack.apiUrl, probeEvent, 0, { source })).status).toBe(200);

    const sender = startSender(stack.apiUrl, event, { lanes: 2, intervalMs: 100 });
    let downAt = 0;
    let upAt = 0;
    const probes: SendResult[] = [];
    try {
      await eventually(async () => sender.results.filter((r) => r.status === 200).length >= 20, 30_000, 50);
      downAt = Date.now();
      pg.pause();
      const probing = (async () => {
        for (let i = 1; Date.now() < downAt + OUTAGE_MS - 6_000; i++) probes.push(await sendInbound(stack!.apiUrl, probeEvent, i, { source }));
      })();
      await new Promise((r) => setTimeout(r, OUTAGE_MS));
      await probing;
      pg.resume();
      upAt = Date.now();
      await eventually(async () => sender.results.some((r) => r.startedAt > upAt && r.status === 200), 30_000, 100);
      await new Promise((r) => setTimeout(r, 2_000));
    } finally {
      await sender.stop();
    }

    const results = sender.results;
    const refused = results.filter((r) => r.status !== 200);
    const during = results.filter((r) => r.startedAt >= downAt && r.startedAt + r.ms < upAt);
    const slowest = Math.max(...results.map((r) => r.ms));
    console.log(
      `[postgres-outage] ${results.length} events sent: ${results.length - refused.length} acknowledged, ${refused.length} refused ` +
        `(${during.length} sent and answered while Postgres was down); slowest answer ${slowest} ms; down for ${upAt - downAt} ms`,
    );
    // Clean refusals: 503 with Retry-After, never a 500 and never a hang.
    expect(during.length).toBeGreaterThan(0);
    for (const r of refused) {
      expect({ status: r.status, retryAfter: r.retryAfter, error: r.body?.error }).toEqual({ status: 503, retryAfter: expect.stringMatching(/^\d+$/), error: 'unavailable' });
    }
    expect(during.filter((r) => r.status === 200)).toEqual([]);
    expect(slowest).toBeLessThan(12_000);
    // The named source's lookup fails over to 503 the same way.
    expect(probes.length).toBeGreaterThan(0);
    for (const p of probes) expect({ status: p.status, error: p.body?.error, fast: p.ms < 9_000 }).toEqual({ status: 503, error: 'unavailable', fast: true });

    // The sender retries what was refused; then every event reaches every subscriber.
    await resendRefused(stack.apiUrl, event, refused);
    const expected = new Set(results.map((r) => r.seq));
    const delivered = () => new Set(receiver!.requests.filter((q) => q.answered !== false).map((q) => `${JSON.parse(q.body).data.seq}@${q.url}`));
    await eventually(async () => delivered().size === expected.size * SUBSCRIBERS, 120_000, 250).catch(async (err: Error) => {
      throw new Error(`${err.message}\n${await diagnose(database!, stack!, event, expected, delivered())}`);
    });

    // Status updates and attempt logs caught up: every delivery succeeded, each attempt logged once.
    const db = database.db;
    const eventRows = await db.select({ id: events.id }).from(events).where(inArray(events.type, [event]));
    expect(eventRows.length).toBe(expected.size);
    const eventIds = eventRows.map((e) => e.id);
    const rows = await eventually(
      async () => {
        const all = await db.select().from(deliveries).where(inArray(deliveries.eventId, eventIds));
        return all.length === expected.size * SUBSCRIBERS && all.every((d) => d.status === 'succeeded') ? all : null;
      },
      60_000,
      500,
    ).catch(async (err: Error) => {
      const all = await db.select().from(deliveries).where(inArray(deliveries.eventId, eventIds));
      const stuck = all.filter((d) => d.status !== 'succeeded').map((d) => `${d.id} ${d.status} attempts=${d.attempts} ${d.lastError ?? ''}`);
      throw new Error(`${err.message}: ${all.length} deliveries, not succeeded: ${stuck.join('; ')}`);
    });
    const logRows = await db.select().from(logs).where(inArray(logs.eventId, eventIds));
    const logged = new Set(logRows.map((l) => `${l.deliveryId}/${l.attempts}`));
    expect(logged.size).toBe(logRows.length);
    for (const d of rows) for (let a = 1; a <= d.attempts; a++) expect(logged.has(`${d.id}/${a}`)).toBe(true);
    expect(logRows.length).toBe(rows.reduce((n, d) => n + d.attempts, 0));
    // Every /1 delivery needed its delivery workflow's retry.
    expect(rows.filter((d) => d.attempts >= 2).length).toBeGreaterThanOrEqual(expected.size);

    // Attempts answered while the database was down are logged once it is back: the activity's
    // write succeeds on a new connection, or fails and the workflow records it (deferred).
    const deferred = (stack.worker.output().match(/attempt log deferred/g) ?? []).length;
    const posts = receiver.requests.map((q) => `${q.headers['x-webhook-delivery']}/${q.headers['x-webhook-attempt']}`);
    console.log(
      `[postgres-outage] ${rows.length} deliveries succeeded with ${logRows.length} attempts logged; ${deferred} attempt logs deferred to the workflow; ` +
        `${posts.length - new Set(posts).size} attempts sent twice (a fan-out page retried after its bookkeeping failed)`,
    );

    // Both processes lived through it: the driver fails a query, never the process.
    expect({ api: stack.api.running(), worker: stack.worker.running() }).toEqual({ api: true, worker: true });
    await stack.stop();
  }, 240_000);
});

/** What became of the events and deliveries that never reached the receiver. */
async function diagnose(database: Database, stack: FaultStack, event: string, expected: Set<number>, delivered: Set<string>): Promise<string> {
  const lines: string[] = [];
  const evs = await database.db.select().from(events).where(inArray(events.type, [event]));
  const byId = new Map(evs.map((e) => [`${event}/${(e.payload as { seq: number }).seq}`, e]));
  for (const seq of expected) {
    const missing = [...Array(SUBSCRIBERS).keys()].filter((i) => ![...delivered].some((d) => d === `${seq}@/hook/${i}`));
    if (missing.length === 0) continue;
    const e = [...byId.values()].find((x) => (x.payload as { seq: number }).seq === seq);
    if (!e) {
      lines.push(`event ${seq}: no row`);
      continue;
    }
    const ds = await database.db.select().from(deliveries).where(inArray(deliveries.eventId, [e.id]));
    const wf = await stack.client.workflow
      .getHandle(e.workflowId)
      .describe()
      .then((d) => {
        const pending = (d.raw.pendingActivities ?? []).map(
          (a) =>
            `${a.activityType?.name} state=${a.state} attempt=${a.attempt} worker=${a.lastWorkerIdentity} ` +
            `started=${a.lastStartedTime?.seconds ?? '-'} heartbeat=${a.lastHeartbeatTime?.seconds ?? '-'} failure=${a.lastFailure?.message ?? '-'}`,
        );
        return `${d.status.name} history=${d.historyLength} now=${Math.floor(Date.now() / 1000)}${pending.length ? ` pending: ${pending.join(' | ')}` : ''}`;
      })
      .catch((x: Error) => `describe failed: ${x.message}`);
    lines.push(
      `event ${seq} (${e.id}, started ${e.workflowStartedAt?.toISOString() ?? 'never'}, workflow ${wf}) missing at /${missing.join(', /')}: ` +
        ds.map((d) => `${d.subscriberId.slice(0, 8)} ${d.status} attempts=${d.attempts} ${d.lastError ?? ''}`).join('; '),
    );
    for (const d of ds.filter((x) => x.status === 'pending')) {
      const st = await stack.client.workflow
        .getHandle(d.workflowId)
        .describe()
        .then((x) => x.status.name)
        .catch((x: Error) => `none (${x.message})`);
      lines.push(`  delivery ${d.id} workflow ${d.workflowId}: ${st}`);
    }
  }
  writeFileSync(path.resolve(__dirname, '../.runtime/postgres-outage-worker.log'), stack.worker.output());
  for (const p of [stack.api, stack.worker]) if (!p.running()) lines.push(`the ${p.role} process exited: ${JSON.stringify(await p.exited)}`);
  lines.push(`worker output tail:\n${stack.worker.output().slice(-6_000)}`);
  return lines.join('\n');
}

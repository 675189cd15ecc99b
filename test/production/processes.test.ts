import postgres from 'postgres';
import { openDatabase, type Database } from '../../src/db/database';
import { createRepositories } from '../../src/db/repositories';
import { normalizeEvent, toEventRow } from '../../src/events/normalized-event';
import { eventually } from '../helpers/harness';
import { startReceiver, type ReceivedRequest, type Receiver } from '../helpers/receiver';
import { sendInbound, type SendResult } from '../helpers/fault-stack';
import { tearDown } from '../helpers/service-process';
import { counterTotal, startProductionStack, type ProductionStack } from './production-stack';
import { recordResult } from './results';
import { startRealTemporalServer, type RealTemporalServer } from './temporal-server';

// The production shape on the real Temporal server (4 history shards, PostgreSQL persistence):
// two `npm run api` and two `npm run worker` processes on one PostgreSQL database. Each test
// sends its own event type to five subscribers on a loopback receiver.

const SUBSCRIBERS = 5;

describe('two apis and two workers on a real multi-shard Temporal server', () => {
  let temporal: RealTemporalServer | undefined;
  let stack: ProductionStack | undefined;
  let receiver: Receiver | undefined;
  let sql: postgres.Sql | undefined;
  let database: Database | undefined;

  beforeAll(async () => {
    temporal = await startRealTemporalServer({ shards: 4 });
    receiver = await startReceiver();
    stack = await startProductionStack({
      temporal,
      apis: 2,
      workers: 2,
      env: { WEBHOOK_RETRY_SCHEDULE: '1s,1s,1s', WEBHOOK_SWEEP_INTERVAL: '2s', WEBHOOK_TIMEOUT: '5' },
    });
    sql = postgres(stack.databaseUrl, { max: 2, onnotice: () => undefined });
  }, 900_000);

  afterAll(() =>
    tearDown(
      () => sql?.end(),
      () => database?.close(),
      () => receiver?.close(),
      () => stack?.stop(),
      () => temporal?.stop(),
    ),
  );

  async function subscribe(event: string): Promise<void> {
    for (let i = 0; i < SUBSCRIBERS; i++) {
      const res = await stack!.admin('POST', '/subscribers', { url: `${receiver!.url}/${event}/${i}`, events: [event] });
      expect(res.status).toBe(201);
    }
  }

  /** Sends events `from..to-1`, alternating between the api processes, `lanes` at a time. */
  async function sendAlternating(event: string, from: number, to: number, lanes = 6): Promise<SendResult[]> {
    const results: SendResult[] = [];
    let next = from;
    await Promise.all(
      Array.from({ length: lanes }, async () => {
        while (next < to) {
          const seq = next++;
          results.push(await sendInbound(stack!.apis[seq % stack!.apis.length]!.url, event, seq));
        }
      }),
    );
    return results;
  }

  async function settled(event: string, expected: number, timeoutMs = 240_000): Promise<void> {
    await eventually(
      async () => {
        const [row] = await sql!`select count(*) filter (where status = 'succeeded')::int as ok, count(*)::int as n from webhook_deliveries where event_type = ${event}`;
        return row!.ok === expected;
      },
      timeoutMs,
      500,
    );
  }

  /** The POSTs of one event type: by delivery id, and by (subscriber URL, body). */
  function received(event: string): { requests: ReceivedRequest[]; byDelivery: Map<string, ReceivedRequest[]> } {
    const requests = receiver!.requests.filter((r) => r.url.startsWith(`/hook/${event}/`));
    const byDelivery = new Map<string, ReceivedRequest[]>();
    for (const r of requests) {
      const id = String(r.headers['x-webhook-delivery']);
      byDelivery.set(id, [...(byDelivery.get(id) ?? []), r]);
    }
    return { requests, byDelivery };
  }

  /** Every (event, subscriber) pair must have reached the receiver, and only under one delivery id. */
  function expectEveryPairDelivered(event: string, events: number): { duplicates: number } {
    const { requests, byDelivery } = received(event);
    const idsByPair = new Map<string, Set<string>>();
    for (const r of requests) {
      const body = JSON.parse(r.body) as { id?: string; data?: { seq?: number } };
      const pair = `${r.url}|${body.data?.seq}`;
      idsByPair.set(pair, (idsByPair.get(pair) ?? new Set()).add(String(r.headers['x-webhook-delivery'])));
    }
    expect(idsByPair.size).toBe(events * SUBSCRIBERS);
    for (const [, ids] of idsByPair) expect(ids.size).toBe(1);
    expect(byDelivery.size).toBe(events * SUBSCRIBERS);
    // A duplicate carries the same delivery id and the same bytes.
    for (const [, copies] of byDelivery) expect(new Set(copies.map((c) => c.body)).size).toBe(1);
    return { duplicates: requests.length - byDelivery.size };
  }

  it('delivers events accepted by either api exactly once per subscriber', async () => {
    const event = `prod.both.${Date.now()}`;
    await subscribe(event);
    const EVENTS = 200;
    const started = Date.now();
    const results = await sendAlternating(event, 0, EVENTS);
    expect(results.filter((r) => r.status !== 200).map((r) => `${r.status} ${JSON.stringify(r.body)}`)).toEqual([]);
    await settled(event, EVENTS * SUBSCRIBERS);
    const seconds = (Date.now() - started) / 1000;

    const { duplicates } = expectEveryPairDelivered(event, EVENTS);
    // No process crashed: not one duplicate.
    expect(duplicates).toBe(0);
    const attempts = await Promise.all(stack!.workers.map(async (w) => counterTotal(await (await fetch(w.metricsUrl)).text(), 'webhook_delivery_attempts_total')));
    expect(attempts.reduce((a, b) => a + b, 0)).toBe(EVENTS * SUBSCRIBERS);
    recordResult('exactly-once', {
      passed: true,
      detail: `${EVENTS} events through 2 apis (alternating) × ${SUBSCRIBERS} subscribers = ${EVENTS * SUBSCRIBERS} deliveries in ${seconds.toFixed(1)} s, 0 duplicates; attempts per worker ${attempts.join(' / ')}`,
    });
  }, 300_000);

  it('loses nothing when a worker is SIGKILLed mid-run, and a worker that joins takes work', async () => {
    const event = `prod.kill.${Date.now()}`;
    await subscribe(event);
    // Slow answers keep deliveries in flight when the worker dies.
    receiver!.respond(() => ({ status: 200, body: 'ok', delayMs: 200 }));
    const EVENTS = 200;
    const firstHalf = sendAlternating(event, 0, EVENTS / 2, 4);
    await eventually(async () => received(event).requests.length >= 150, 120_000, 100);
    const victim = stack!.workers[0]!;
    victim.kill('SIGKILL');
    await victim.exited;
    const atKill = received(event).requests.length;

    const joined = await stack!.startWorker();
    const secondHalf = await sendAlternating(event, EVENTS / 2, EVENTS, 4);
    const sent = [...(await firstHalf), ...secondHalf];
    expect(sent.filter((r) => r.status !== 200).map((r) => `${r.seq}: ${r.status}`)).toEqual([]);

    // The dead worker's activities come back after their heartbeat or start-to-close timeout.
    await settled(event, EVENTS * SUBSCRIBERS);
    const { duplicates } = expectEveryPairDelivered(event, EVENTS);
    const joinedAttempts = counterTotal(await (await fetch(joined.metricsUrl)).text(), 'webhook_delivery_attempts_total');
    expect(joinedAttempts).toBeGreaterThan(0);
    // Only attempts in flight or not yet recorded on the dead worker can be sent again.
    expect(duplicates).toBeLessThanOrEqual(150);
    receiver!.respond(() => ({ status: 200, body: 'ok' }));
    recordResult('worker-kill', {
      passed: true,
      detail: `${EVENTS * SUBSCRIBERS} deliveries; one worker SIGKILLed after ${atKill} POSTs; all delivered, ${duplicates} duplicates (same X-Webhook-Delivery and body); the worker that joined made ${joinedAttempts} attempts`,
    });
  }, 400_000);

  it('lets the sweepers of both apis start each unstarted event once, without errors', async () => {
    const event = `prod.sweep.${Date.now()}`;
    await subscribe(event);
    // Events recorded a minute ago whose workflow never started (a crash between the two).
    database = await openDatabase({ url: stack!.databaseUrl, dataDir: '', migrate: false, poolSize: 2 });
    const EVENTS = 60;
    const rows = Array.from({ length: EVENTS }, (_, seq) =>
      toEventRow(normalizeEvent({ source: 'default', type: event, externalId: `${event}/${seq}`, data: { seq } }, new Date(Date.now() - 60_000))),
    );
    const marks = stack!.apis.map((api) => api.output().length);
    await createRepositories(database.db).events.insertManyIfAbsent(rows);

    await settled(event, EVENTS * SUBSCRIBERS, 120_000);
    const { duplicates } = expectEveryPairDelivered(event, EVENTS);
    expect(duplicates).toBe(0);

    // Each api's sweep log: started here, or found started by the other.
    const ids = new Set(rows.map((r) => r.id));
    const startedBy = new Map<string, number>();
    let foundStarted = 0;
    const errors: string[] = [];
    stack!.apis.forEach((api, index) => {
      for (const line of api.output().slice(marks[index]).split('\n')) {
        if (!line.startsWith('{')) continue;
        const entry = JSON.parse(line) as { level: number; eventId?: string; startedHere?: boolean; msg: string };
        if (entry.level >= 50) errors.push(line);
        if (!entry.eventId || !ids.has(entry.eventId)) continue;
        if (entry.startedHere === true) startedBy.set(entry.eventId, (startedBy.get(entry.eventId) ?? 0) + 1);
        if (entry.startedHere === false) foundStarted++;
      }
    });
    expect(errors).toEqual([]);
    expect(startedBy.size).toBe(EVENTS);
    expect([...startedBy.values()].every((n) => n === 1)).toBe(true);
    const [row] = await sql!`select count(*)::int as n from webhook_events where type = ${event} and workflow_started_at is null`;
    expect(row!.n).toBe(0);
    recordResult('sweepers', {
      passed: true,
      detail: `${EVENTS} unstarted events, 2 apis sweeping every 2 s: each workflow started once (${foundStarted} found already started by the other api), ${EVENTS * SUBSCRIBERS} deliveries, 0 duplicates, no error logged`,
    });
  }, 300_000);
});

import { connect, createServer, type Server, type Socket } from 'node:net';
import { and, count, eq } from 'drizzle-orm';
import { openDatabase, type Database } from '../../src/db/database';
import { createRepositories } from '../../src/db/repositories';
import { deliveries, logs, subscribers } from '../../src/db/schema';
import { normalizeEvent, toEventRow } from '../../src/events/normalized-event';
import { createLogger } from '../../src/logger';
import { startRuntime, type Runtime } from '../../src/runtime';
import { eventually, startHarness, type Harness } from '../helpers/harness';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { readTestRuntime } from '../helpers/runtime-file';

// Issue 11, bounded memory: the worker loads a large event once per page, and holds and sends
// its frozen body once per recorded batch, not once per delivery (a 1 MiB event to 1,000
// subscribers once cost 1 MiB per attempt log row, parsed, plus 1 MiB per delivery update).
// Measured as the bytes the worker exchanges with PostgreSQL, through a counting proxy: what it
// sends, it built in memory, and what it reads, it held.

const PAYLOAD = 256 * 1024;
const SUBSCRIBERS = 100;

/** A TCP proxy to PostgreSQL that counts the bytes its clients send and receive. */
async function countingProxy(target: { host: string; port: number }) {
  let sent = 0;
  let received = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    sockets.add(client).add(upstream);
    client.on('data', (chunk: Buffer) => (sent += chunk.length));
    upstream.on('data', (chunk: Buffer) => (received += chunk.length));
    client.pipe(upstream).pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    sent: () => sent,
    received: () => received,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('fan-out of a large event', () => {
  let h: Harness;
  let r: Receiver;
  let proxy: Awaited<ReturnType<typeof countingProxy>>;
  let workerDb: Database;
  let worker: Runtime;

  beforeAll(async () => {
    // The api (and its dispatch) on the harness's own connection; the worker alone through the proxy.
    h = await startHarness({ TEMPORAL_SEARCH_ATTRIBUTES: 'false', WEBHOOK_TIMEOUT: '10' }, { worker: false });
    const url = new URL(h.database.url);
    proxy = await countingProxy({ host: url.hostname, port: Number(url.port) });
    url.hostname = '127.0.0.1';
    url.port = String(proxy.port);
    workerDb = await openDatabase({ url: url.toString(), dataDir: '', migrate: false, poolSize: 5 });
    worker = await startRuntime({
      config: h.config,
      database: workerDb,
      logger: createLogger('silent'),
      temporalAddress: readTestRuntime().temporalAddress,
      api: false,
      worker: true,
      workflowBundlePath: readTestRuntime().workflowBundlePath,
      workerOptions: { shutdownGraceTime: '1s' },
    });
    r = await startReceiver(() => ({ status: 204 }));
  }, 60_000);
  afterAll(async () => {
    await worker?.stop();
    await workerDb?.close();
    await proxy?.close();
    await r?.close();
    await h?.stop();
  });

  it('reads the payload once per page, sends the frozen body about once per batch, and the attempt view still shows it', async () => {
    const rows = Array.from({ length: SUBSCRIBERS }, (_, i) => ({ url: `${r.url}?n=${i}`, events: ['large.body'], secret: `secret-${i}-0123456789` }));
    await h.database.db.insert(subscribers).values(rows);
    const before = proxy.sent();
    const readBefore = proxy.received();

    const data = { blob: 'x'.repeat(PAYLOAD) };
    const { event_id } = (await h.admin('POST', '/events', { event: 'large.body', data })).json;
    await r.waitFor(SUBSCRIBERS, 120_000);
    await eventually(async () => {
      const [row] = await h.database.db.select({ n: count() }).from(logs).where(eq(logs.eventId, event_id));
      return row!.n === SUBSCRIBERS;
    }, 60_000, 200);
    const sent = proxy.sent() - before;
    const read = proxy.received() - readBefore;
    console.log(`fan-out of ${PAYLOAD / 1024} KiB to ${SUBSCRIBERS}: the worker sent ${(sent / 2 ** 20).toFixed(2)} MiB to PostgreSQL and read ${(read / 2 ** 20).toFixed(2)} MiB`);

    // Before: two copies per delivery (the log row's JSON and the delivery's frozen text), 50 MiB
    // here. Now: the body once per (event, hash), plus the batches already in flight before the
    // first one committed (about 4 copies measured), whatever the number of subscribers.
    expect(sent / 2 ** 20).toBeLessThan((PAYLOAD * 8) / 2 ** 20);
    // And it reads the payload once per page, not once per delivery row (25 MiB here before).
    expect(read / 2 ** 20).toBeLessThan((PAYLOAD * 8) / 2 ** 20);

    // Every delivery froze the exact bytes that were sent, and the attempt view shows them.
    const [frozen] = await h.database.db
      .select({ n: count() })
      .from(deliveries)
      .where(and(eq(deliveries.eventId, event_id), eq(deliveries.requestBody, r.requests[0]!.body)));
    expect(frozen!.n).toBe(SUBSCRIBERS);
    const [one] = await h.database.db.select({ id: deliveries.id }).from(deliveries).where(eq(deliveries.eventId, event_id)).limit(1);
    const view = await h.admin('GET', `/deliveries/${one!.id}`);
    expect(view.status).toBe(200);
    expect(view.json.attempts).toHaveLength(1);
    expect(view.json.attempts[0].request_body).toEqual(JSON.parse(r.requests[0]!.body));
    expect(view.json.attempts[0].request_body.data).toEqual(data);
  }, 180_000);

  it("reads no frozen body back when a page is run again, except a delivery's it still has to send", async () => {
    // A page re-run after a crash finds its rows made: those attempted already go to their
    // workflows, so their frozen bodies (a copy of the payload each) must not be read back.
    const body = JSON.stringify({ blob: 'y'.repeat(PAYLOAD) });
    const { event } = await h.runtime.repos.events.insertIfAbsent(toEventRow(normalizeEvent({ source: 'api', type: 'rerun.body', externalId: 'rerun', data: { blob: 'y'.repeat(PAYLOAD) } })));
    const subs = await h.database.db
      .insert(subscribers)
      .values(Array.from({ length: SUBSCRIBERS }, (_, i) => ({ url: `${r.url}?rerun=${i}`, events: ['rerun.body'], secret: `secret-${i}-0123456789` })))
      .returning();
    // All attempted once (bodies frozen), but the last, which was frozen and never attempted.
    const rows = subs.map((sub, i) => ({
      id: `dlv_rerun_${i}`,
      eventId: event.id,
      subscriberId: sub.id,
      eventType: 'rerun.body',
      workflowId: `event/${event.id}/sub/${sub.id}`,
      requestBody: body,
      attempts: i === subs.length - 1 ? 0 : 1,
    }));
    await h.runtime.repos.deliveries.createMany(rows);

    const before = proxy.received();
    const page = await createRepositories(workerDb.db).deliveries.createPage(event.id, rows, new Map(subs.map((sub) => [sub.id, sub])), new Set(rows.map((row) => row.id)));
    const read = proxy.received() - before;
    console.log(`a re-run page of ${SUBSCRIBERS} deliveries of a ${PAYLOAD / 1024} KiB event read ${(read / 2 ** 20).toFixed(2)} MiB`);
    expect(page!.rows).toHaveLength(SUBSCRIBERS);
    expect(page!.rows.filter((row) => row.delivery.requestBody !== null).map((row) => row.delivery.id)).toEqual([`dlv_rerun_${SUBSCRIBERS - 1}`]);
    expect(page!.rows.find((row) => row.delivery.attempts === 0)!.delivery.requestBody).toBe(body);
    // The event once, the one body to send, and the rows: not a body per delivery (25 MiB here).
    expect(read / 2 ** 20).toBeLessThan((PAYLOAD * 4) / 2 ** 20);
  }, 60_000);
});

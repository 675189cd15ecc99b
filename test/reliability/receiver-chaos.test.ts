import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { inArray } from 'drizzle-orm';
import { deliveries, logs } from '../../src/db/schema';
import { eventually, startHarness, type Harness } from '../helpers/harness';

// A receiver that misbehaves in every way a real one does: 5xx, silence past the timeout,
// connection resets before and during the answer, and bodies dripped slowly. Whatever happens,
// each delivery ends in a final state, and every attempt that reached the receiver has its log row.

const EVENTS = 30;
const SUBSCRIBERS = 10;
const SEED = 'chaos-1';

type Behaviour = 'ok' | 'drip-fast' | '5xx' | 'silent' | 'reset' | 'reset-mid-body' | 'drip-slow';

/** The behaviour for one attempt of one delivery, from a hash: the same on every run, whatever the arrival order. */
function behaviourFor(deliveryId: string, attempt: string): Behaviour {
  const x = createHash('sha256').update(`${SEED}/${deliveryId}/${attempt}`).digest().readUInt32BE(0) / 2 ** 32;
  if (x < 0.35) return 'ok';
  if (x < 0.45) return 'drip-fast';
  if (x < 0.6) return '5xx';
  if (x < 0.7) return 'silent';
  if (x < 0.8) return 'reset';
  if (x < 0.9) return 'reset-mid-body';
  return 'drip-slow';
}

interface Arrival {
  deliveryId: string;
  attempt: number;
  behaviour: Behaviour;
  status?: number;
}

async function startChaosReceiver() {
  const arrivals: Arrival[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };
  const server: Server = createServer((req, res) => {
    // Counted on arrival, before the body is read: a reset later still counts as an attempt received.
    const deliveryId = String(req.headers['x-webhook-delivery']);
    const attempt = String(req.headers['x-webhook-attempt']);
    const behaviour = behaviourFor(deliveryId, attempt);
    const arrival: Arrival = { deliveryId, attempt: Number(attempt), behaviour };
    arrivals.push(arrival);
    req.resume();
    req.on('end', () => {
      switch (behaviour) {
        case 'ok':
          res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
          return;
        case '5xx':
          arrival.status = [500, 502, 503, 504][Number(attempt) % 4];
          res.writeHead(arrival.status, { 'content-type': 'text/plain' }).end('chaos');
          return;
        case 'silent':
          return; // never answers; the client gives up after WEBHOOK_TIMEOUT
        case 'reset':
          req.socket.destroy();
          return;
        case 'reset-mid-body':
          res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '100' });
          res.write('partial');
          later(50, () => req.socket.destroy());
          return;
        case 'drip-fast':
        case 'drip-slow': {
          // Ten chunks: 200 ms in all (inside the timeout) or 3 s (past it).
          const step = behaviour === 'drip-fast' ? 20 : 300;
          res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '10' });
          let sent = 0;
          const drip = () => {
            if (res.destroyed) return;
            res.write('.');
            if (++sent === 10) res.end();
            else later(step, drip);
          };
          later(step, drip);
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/hook`,
    arrivals,
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('receiver chaos', () => {
  let h: Harness | undefined;
  let receiver: Awaited<ReturnType<typeof startChaosReceiver>> | undefined;

  afterAll(async () => {
    await h?.stop();
    await receiver?.close();
  });

  it('ends every delivery succeeded or dead against 5xx, silence, resets and slow bodies, with a log row for every attempt', async () => {
    // Failing over half of its attempts, this receiver would (rightly) open its circuits and have
    // its deliveries held for probes (test/integration/protection/circuit-breaker.test.ts): here
    // the breaker stays out of the way, since the test is about each attempt's own outcome.
    h = await startHarness({
      WEBHOOK_RETRY_SCHEDULE: '1s,1s',
      WEBHOOK_TIMEOUT: '1',
      WEBHOOK_CONCURRENCY: '20',
      WEBHOOK_BREAKER_MIN_ATTEMPTS: '100000',
      WEBHOOK_BREAKER_TIMEOUTS: '100000',
    });
    receiver = await startChaosReceiver();
    const event = `fault.chaos.${Date.now()}`;
    for (let i = 0; i < SUBSCRIBERS; i++) {
      await h.runtime.repos.subscribers.create({ url: `${receiver.url}/${i}`, secret: `secret-${i}`, events: [event] });
    }
    const eventIds: string[] = [];
    for (let i = 0; i < EVENTS; i++) {
      const res = await h.admin('POST', '/events', { event, data: { i } });
      expect(res.status).toBe(202);
      eventIds.push(res.json.event_id);
    }

    const db = h.database.db;
    const started = EVENTS * SUBSCRIBERS;
    const rows = await eventually(
      async () => {
        const all = await db.select().from(deliveries).where(inArray(deliveries.eventId, eventIds));
        return all.length === started && all.every((d) => d.status !== 'pending') ? all : null;
      },
      90_000,
      500,
    );
    const count = (status: string) => rows.filter((d) => d.status === status).length;
    // No 410 and no refused target here, so nothing ends `failed`.
    expect(count('succeeded') + count('dead')).toBe(started);
    expect(count('failed') + count('cancelled')).toBe(0);

    // Every attempt has its log row: attempts 1..n of each delivery, no gap and no extra.
    const logRows = await db.select().from(logs).where(inArray(logs.eventId, eventIds));
    const logged = new Map(logRows.map((l) => [`${l.deliveryId}/${l.attempts}`, l]));
    expect(logged.size).toBe(logRows.length);
    for (const d of rows) {
      for (let a = 1; a <= d.attempts; a++) expect(logged.has(`${d.id}/${a}`)).toBe(true);
      if (d.status === 'dead') expect(d.attempts).toBe(3);
      else expect(d.attempts).toBeGreaterThanOrEqual(1);
    }
    expect(logRows.length).toBe(rows.reduce((n, d) => n + d.attempts, 0));

    // Every attempt that reached the receiver was logged, with what the receiver did to it.
    const keys = receiver.arrivals.map((a) => `${a.deliveryId}/${a.attempt}`);
    expect(new Set(keys).size).toBe(keys.length);
    const misread: unknown[] = [];
    let late = 0;
    for (const a of receiver.arrivals) {
      const row = logged.get(`${a.deliveryId}/${a.attempt}`);
      if (!row) {
        misread.push({ ...a, row: 'missing' });
        continue;
      }
      // On a loaded machine any answer can miss the 1 s timeout (the receiver shares this
      // process's event loop): then the attempt is a timeout, honestly timed, whatever was coming.
      const timedOut = row.outcome === 'timeout' && (row.durationMs ?? 0) >= 1_000;
      if (timedOut && a.behaviour !== 'silent' && a.behaviour !== 'drip-slow') late++;
      const ok =
        timedOut ||
        (a.behaviour === 'ok' || a.behaviour === 'drip-fast'
          ? row.outcome === 'success' && row.responseCode === 200
          : a.behaviour === '5xx'
            ? row.outcome === 'failure' && row.responseCode === a.status
            : a.behaviour === 'reset' || a.behaviour === 'reset-mid-body'
              ? row.outcome === 'network_error'
              : false);
      if (!ok) misread.push({ ...a, outcome: row.outcome, code: row.responseCode, error: row.error, ms: row.durationMs, body: row.responseBody });
    }
    expect(misread).toEqual([]);
    const notArrived = logRows.length - receiver.arrivals.length;
    const byBehaviour: Record<string, number> = {};
    for (const a of receiver.arrivals) byBehaviour[a.behaviour] = (byBehaviour[a.behaviour] ?? 0) + 1;
    console.log(
      `[receiver-chaos] ${started} deliveries: ${count('succeeded')} succeeded, ${count('dead')} dead; ` +
        `${logRows.length} log rows, ${receiver.arrivals.length} attempts received (${notArrived} never reached the receiver, ${late} other answers too late for the timeout); ` +
        `behaviours ${JSON.stringify(byBehaviour)}`,
    );
    // Attempts that never reached the receiver (a pooled connection reset under them) are rare.
    expect(notArrived).toBeGreaterThanOrEqual(0);
    expect(notArrived).toBeLessThanOrEqual(Math.ceil(logRows.length * 0.05));
  }, 150_000);
});

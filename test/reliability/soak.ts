// Soak (not in CI): `npm run test:soak -- [--duration 10m] [--rate 10] [--sample 5s] [--tolerance 0.2]`
//
// Runs the production shape (an api and a worker process, a PostgreSQL and a Temporal dev
// server of its own, a loopback receiver) at a steady rate of signed inbound events that mix
// first-time successes, retries and dead letters. It prints the RSS of the api and the worker
// over time and fails (exit 1) when either grows steadily: the mean of the last "minute"
// (a fifth of the run when it is shorter than five minutes) against the mean of the second,
// with a tolerance of `--tolerance` of the baseline or 32 MB, whichever is larger. It also
// fails when an acknowledged event is not delivered or the gateway answers anything but 200/503.

import { createServer, type Server } from 'node:http';
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import { openDatabase, type Database } from '../../src/db/database';
import { createRepositories } from '../../src/db/repositories';
import { formatDuration, parseDuration } from '../../src/domain/duration';
import { findTemporalCli } from '../../src/temporal/cli-path';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server';
import { sendInbound, startFaultStack, type FaultStack, type SendResult } from '../helpers/fault-stack';
import { startPostgres, type PostgresServer } from '../helpers/postgres-server';
import { killAllServices } from '../helpers/service-process';

interface Sample {
  t: number;
  apiMb: number;
  workerMb: number;
  sent: number;
  acknowledged: number;
  received: number;
  pending: number;
}

const MB = 1024 * 1024;

function options() {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '10m' },
      rate: { type: 'string', default: '10' },
      sample: { type: 'string', default: '5s' },
      tolerance: { type: 'string', default: '0.2' },
    },
  });
  const durationMs = parseDuration(values.duration!);
  const rate = Number(values.rate);
  const tolerance = Number(values.tolerance);
  if (durationMs < 30_000) throw new Error('--duration must be at least 30s');
  if (!(rate > 0)) throw new Error('--rate must be a positive number of events per second');
  return { durationMs, rate, sampleMs: parseDuration(values.sample!), tolerance };
}

/** Subscribers: /ok answers 200, /flaky refuses each first attempt, /slow answers in 200 ms, /dead always fails. */
async function startSoakReceiver() {
  let received = 0;
  const server: Server = createServer((req, res) => {
    received++;
    req.resume();
    req.on('end', () => {
      const attempt = req.headers['x-webhook-attempt'];
      if (req.url?.endsWith('/dead')) return void res.writeHead(500).end('no');
      if (req.url?.endsWith('/flaky') && attempt === '1') return void res.writeHead(503).end('later');
      if (req.url?.endsWith('/slow')) return void setTimeout(() => res.writeHead(200).end('ok'), 200);
      res.writeHead(200).end('ok');
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received: () => received,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(xs.length, 1);

/** Least-squares slope, in MB per minute. */
function slopePerMinute(samples: Sample[], pick: (s: Sample) => number): number {
  const xs = samples.map((s) => s.t / 60_000);
  const ys = samples.map(pick);
  const mx = mean(xs);
  const my = mean(ys);
  const num = xs.reduce((a, x, i) => a + (x - mx) * (ys[i] - my), 0);
  const den = xs.reduce((a, x) => a + (x - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

async function main(): Promise<number> {
  const opts = options();
  const cliPath = findTemporalCli(undefined, process.env.PATH);
  if (!cliPath) throw new Error('no temporal CLI: run `bash scripts/setup.sh --test`');

  let pg: PostgresServer | undefined;
  let temporal: DevServer | undefined;
  let database: Database | undefined;
  let receiver: Awaited<ReturnType<typeof startSoakReceiver>> | undefined;
  let stack: FaultStack | undefined;
  const stopSignal = () => process.exitCode === undefined && console.error('[soak] interrupted; cleaning up');
  process.once('SIGINT', stopSignal);
  try {
    console.log(`[soak] ${formatDuration(opts.durationMs)} at ${opts.rate} events/s; starting PostgreSQL and Temporal`);
    [pg, temporal] = await Promise.all([startPostgres(), startDevServer({ cliPath, uiPort: null })]);
    database = await openDatabase({ url: pg.url(), dataDir: '', poolSize: 2 });
    receiver = await startSoakReceiver();
    const repos = createRepositories(database.db);
    for (const name of ['ok', 'flaky', 'slow']) await repos.subscribers.create({ url: `${receiver.url}/${name}`, secret: `soak-${name}`, events: ['soak.*'] });
    await repos.subscribers.create({ url: `${receiver.url}/dead`, secret: 'soak-dead', events: ['soak.doomed'] });
    stack = await startFaultStack({
      temporalAddress: temporal.address,
      databaseUrl: pg.url(),
      env: { WEBHOOK_RETRY_SCHEDULE: '1s,2s', LOG_LEVEL: 'error', DATABASE_POOL_SIZE: '10' },
    });

    // Open loop: one event every 1/rate s whatever the answers, at most 100 in flight.
    const results: SendResult[] = [];
    let inFlight = 0;
    let seq = 0;
    const started = Date.now();
    const ticker = setInterval(() => {
      if (inFlight >= 100) return;
      inFlight++;
      const n = seq++;
      // One event in ten also reaches the always-failing subscriber and ends in the dead-letter queue.
      void sendInbound(stack!.apiUrl, n % 10 === 0 ? 'soak.doomed' : 'soak.order', n, { timeoutMs: 15_000 }).then((r) => {
        inFlight--;
        results.push(r);
      });
    }, 1000 / opts.rate);

    const samples: Sample[] = [];
    const sample = async () => {
      const n = await pendingDeliveries(database!);
      const s: Sample = {
        t: Date.now() - started,
        apiMb: (stack!.api.rss() ?? 0) / MB,
        workerMb: (stack!.worker.rss() ?? 0) / MB,
        sent: seq,
        acknowledged: results.filter((r) => r.status === 200).length,
        received: receiver!.received(),
        pending: n,
      };
      samples.push(s);
      console.log(
        `[soak] ${formatDuration(s.t).padStart(6)}  api ${s.apiMb.toFixed(1).padStart(6)} MB  worker ${s.workerMb.toFixed(1).padStart(6)} MB  ` +
          `events ${s.sent} (${s.acknowledged} acknowledged)  POSTs received ${s.received}  pending deliveries ${s.pending}`,
      );
      if (!stack!.api.running() || !stack!.worker.running()) throw new Error(`a process died:\n${stack!.api.output()}\n${stack!.worker.output()}`);
    };
    while (Date.now() - started < opts.durationMs) {
      await new Promise((r) => setTimeout(r, opts.sampleMs));
      await sample();
    }
    clearInterval(ticker);
    while (inFlight > 0) await new Promise((r) => setTimeout(r, 100));

    // Drain: every acknowledged event's deliveries end (the dead ones after their two retries).
    const drainDeadline = Date.now() + 60_000;
    let pending = -1;
    while (Date.now() < drainDeadline) {
      pending = await pendingDeliveries(database);
      if (pending === 0) break;
      await new Promise((r) => setTimeout(r, 1_000));
    }
    const acknowledged = results.filter((r) => r.status === 200);
    const doomed = acknowledged.filter((r) => r.id.startsWith('soak.doomed/')).length;
    const expectedDeliveries = acknowledged.length * 3 + doomed;
    const { rows: counts } = (await database.db.execute(
      sql`select d.status, count(*)::int as n from webhook_deliveries d join webhook_events e on e.id = d.event_id where e.type like 'soak.%' group by d.status`,
    )) as unknown as { rows: { status: string; n: number }[] };
    const byStatus = Object.fromEntries(counts.map((c) => [c.status, c.n]));
    const total = counts.reduce((a, c) => a + c.n, 0);
    const odd = results.filter((r) => r.status !== 200 && r.status !== 503);

    // RSS judgement: the last "minute" against the second.
    const minute = Math.min(60_000, opts.durationMs / 5);
    const window = (from: number, to: number) => samples.filter((s) => s.t >= from && s.t < to);
    const baseline = window(minute, 2 * minute);
    const last = window(opts.durationMs - minute, Infinity);
    const failures: string[] = [];
    const report: Record<string, unknown> = {};
    for (const [role, pick] of [
      ['api', (s: Sample) => s.apiMb],
      ['worker', (s: Sample) => s.workerMb],
    ] as const) {
      const base = mean(baseline.map(pick));
      const end = mean(last.map(pick));
      const allowed = Math.max(base * opts.tolerance, 32);
      const slope = slopePerMinute(window(minute, Infinity), pick);
      report[role] = { baselineMb: +base.toFixed(1), lastMb: +end.toFixed(1), growthMb: +(end - base).toFixed(1), allowedMb: +allowed.toFixed(1), slopeMbPerMin: +slope.toFixed(2) };
      if (end - base > allowed) failures.push(`${role} RSS grew from ${base.toFixed(1)} MB to ${end.toFixed(1)} MB (allowed ${allowed.toFixed(1)} MB)`);
    }
    if (pending !== 0) failures.push(`${pending} deliveries still pending 60 s after the last event`);
    if (total !== expectedDeliveries) failures.push(`${total} deliveries for ${acknowledged.length} acknowledged events; expected ${expectedDeliveries}`);
    if (odd.length) failures.push(`${odd.length} answers other than 200 or 503: ${JSON.stringify(odd.slice(0, 3))}`);

    console.log(`[soak] summary ${JSON.stringify({ durationMs: opts.durationMs, rate: opts.rate, events: results.length, acknowledged: acknowledged.length, refused: results.length - acknowledged.length, deliveries: byStatus, ...report })}`);
    if (failures.length) {
      for (const f of failures) console.error(`[soak] FAIL ${f}`);
      return 1;
    }
    console.log('[soak] PASS');
    return 0;
  } finally {
    await stack?.stop().catch(() => undefined);
    await killAllServices();
    await receiver?.close();
    await database?.close().catch(() => undefined);
    await temporal?.stop();
    pg?.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error('[soak] error:', err instanceof Error ? err.stack : err);
    process.exit(1);
  },
);

async function pendingDeliveries(database: Database): Promise<number> {
  const { rows } = (await database.db.execute(sql`select count(*)::int as n from webhook_deliveries where status = 'pending'`)) as unknown as { rows: { n: number }[] };
  return rows[0].n;
}

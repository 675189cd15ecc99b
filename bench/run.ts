import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { benchCeiling } from './ceiling';
import { benchCost, benchPendingRss } from './cost';
import { benchDeliveryShape, benchSteadyLatency, printDelivery } from './delivery';
import { benchFanOutRss } from './fan-out-rss';
import { benchIngest } from './ingest';
import { benchOrdering } from './ordering';
import { benchProtection } from './protection';
import { benchPrune } from './prune';
import { machine, startStack } from './lib/stack';
import { medianRows, table } from './lib/stats';
import { benchRetryTiming } from './retry-timing';
import { benchStats } from './stats';
import { benchScaleout } from './scaleout';

// `npm run bench [-- names...] [--runs N] [--delivery-modes 0,unprotected,pgboss,1,2] [--shapes 1000x10,10x1000]`: ceiling ingest delivery protection timing cost rss fanout-rss prune stats ordering (and, only
// when named, scaleout). Each writes
// its figures to bench/results/<name>-<time>.json and prints a table; with --runs N each
// benchmark but rss runs N times and the medians are printed and saved too. Fast path and
// workflow-per-delivery run in the same invocation, so their ratio is measured under the same load.

const all = ['ceiling', 'ingest', 'delivery', 'protection', 'timing', 'cost', 'rss', 'fanout-rss', 'prune', 'stats', 'ordering'];
// Only when named: `scaleout` needs the Temporal server built from source (bench/scaleout.ts).
const optIn = ['scaleout'];
const args = process.argv.slice(2);
const runsArg = args.indexOf('--runs');
const runs = runsArg >= 0 ? Math.max(1, Number(args[runsArg + 1]) || 1) : 1;
const modesArg = args.indexOf('--delivery-modes');
const deliveryModes = modesArg >= 0 ? (args[modesArg + 1] ?? '').split(',') : null;
// `--shapes 10x1000` keeps only those delivery shapes (events x subscribers), for a quick look at one.
const shapesArg = args.indexOf('--shapes');
const shapeNames = shapesArg >= 0 ? (args[shapesArg + 1] ?? '').split(',') : null;
const keepShape = (shape: { events: number; subscribers: number }) => !shapeNames || shapeNames.includes(`${shape.events}x${shape.subscribers}`);
const chosen = args.filter((a) => all.includes(a) || optIn.includes(a));
const run = chosen.length ? chosen : all;
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const outDir = path.resolve(__dirname, 'results');

function save(name: string, data: unknown) {
  mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, `${name}-${stamp}.json`);
  writeFileSync(file, JSON.stringify({ machine: machine(), at: new Date().toISOString(), data }, null, 2));
  console.log(`→ ${path.relative(process.cwd(), file)}`);
}

let current: Awaited<ReturnType<typeof startStack>> | null = null;
// An interrupted run still stops the servers and processes it started.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void (current?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
  });
}

async function withStack<T>(env: Record<string, string>, fn: (stack: Awaited<ReturnType<typeof startStack>>) => Promise<T>): Promise<T> {
  const stack = await startStack(env);
  current = stack;
  try {
    return await fn(stack);
  } finally {
    current = null;
    await stack.stop();
  }
}

/** Runs a benchmark `runs` times; with more than one run, prints and saves the medians too. */
async function repeated(name: string, keys: string[], once: () => Promise<Record<string, unknown>[]>): Promise<void> {
  const all: Record<string, unknown>[][] = [];
  for (let i = 0; i < runs; i++) {
    if (runs > 1) console.log(`\n## ${name}: run ${i + 1} of ${runs}`);
    all.push(await once());
  }
  if (runs === 1) return save(name, all[0]);
  const medians = medianRows(all, keys);
  table(`${name}: median of ${runs} runs`, medians);
  save(name, { runs: all, medians });
}

/** A configuration that cannot keep up with the steady rate is reported as such, and the run goes on. */
async function steadyOrError(stack: Awaited<ReturnType<typeof startStack>>, label: string): Promise<Record<string, unknown>> {
  try {
    return await benchSteadyLatency(stack, label);
  } catch (err) {
    return { mode: label, rate: '100 deliveries/s', error: err instanceof Error ? err.message : String(err) };
  }
}

async function main() {
  console.log(`machine: ${machine()}`);
  // The defaults first; a tuned configuration is measured beside them and labelled as such.
  const modes: { label: string; config: string; env: Record<string, string> }[] = [
    { label: 'fast path', config: 'defaults', env: {} },
    { label: 'workflow per delivery', config: 'defaults + WEBHOOK_FAST_PATH=false', env: { WEBHOOK_FAST_PATH: 'false' } },
    // The local fan-out (once part of this row) is a default since session 7.
    { label: 'fast path', config: 'tuned: WEBHOOK_CONCURRENCY=100, WEBHOOK_FANOUT_CONCURRENCY=64', env: { WEBHOOK_CONCURRENCY: '100', WEBHOOK_FANOUT_CONCURRENCY: '64' } },
  ];
  // The second queue driver (PostgreSQL only), measured in the same run as the Temporal driver: delivery only.
  const pgboss = { label: 'pgboss driver', config: 'defaults + QUEUE_DRIVER=pgboss', env: { QUEUE_DRIVER: 'pgboss' } };
  // The price of endpoint protection (issue 18): the defaults without the shared gate, beside them.
  const unprotected = { label: 'fast path', config: 'defaults + WEBHOOK_ENDPOINT_PROTECTION=false', env: { WEBHOOK_ENDPOINT_PROTECTION: 'false' } };

  if (run.includes('ceiling')) await repeated('ceiling', ['workload'], () => withStack({}, (s) => benchCeiling(s)));
  if (run.includes('ingest')) {
    // The backlog bound is raised so that no run sheds load and every figure is an acceptance rate.
    const ingestModes: { label: string; env: Record<string, string> }[] = [
      { label: 'ack=start', env: { WEBHOOK_ACK_AFTER: 'start' } },
      { label: 'ack=commit', env: { WEBHOOK_ACK_AFTER: 'commit', WEBHOOK_START_BACKLOG: '200000' } },
    ];
    await repeated('ingest', ['mode', 'offered'], async () => {
      const rows = [];
      for (const m of ingestModes) rows.push(...(await withStack({ ...modes[0].env, ...m.env }, (s) => benchIngest(s, m.label))).map((r) => ({ config: 'defaults', ...r })));
      table('Ingest, all acknowledgement modes', rows);
      return rows;
    });
  }
  if (run.includes('delivery')) {
    await repeated('delivery', ['config', 'mode', 'shape', 'rate'], async () => {
      const rows: Record<string, unknown>[] = [];
      const steady: Record<string, unknown>[] = [];
      // The pgboss driver right after the Temporal defaults, so the two are measured minutes apart;
      // `--delivery-modes 0,unprotected,pgboss` keeps only those (0, 1, 2 are the Temporal modes above).
      const order = [modes[0], unprotected, pgboss, modes[1], modes[2]];
      const named = (m: (typeof order)[number]) => (m === pgboss ? 'pgboss' : m === unprotected ? 'unprotected' : String(modes.indexOf(m)));
      const picked = deliveryModes ? order.filter((m) => deliveryModes.includes(named(m))) : order;
      for (const mode of picked) {
        await withStack(mode.env, async (s) => {
          if (mode === pgboss) {
            for (const shape of [{ events: 1000, subscribers: 10 }, { events: 10, subscribers: 1000 }].filter(keepShape)) {
              const row = await benchDeliveryShape(s, shape, mode.label);
              rows.push({ config: mode.config, ...row, event_workflows_per_s: '—', bare_ceiling_per_s: '—', of_ceiling: '—' });
            }
            steady.push({ config: mode.config, ...(await steadyOrError(s, mode.label)) });
            return;
          }
          // The dev server's bare-workflow ceiling, measured in this run on this stack: event
          // workflows per second read as a fraction of it.
          const ceiling = await benchCeiling(s, 500);
          const bareRow = ceiling.find((r) => String(r.workload).includes('bare'));
          const bare = Number(bareRow?.workflows_per_s ?? NaN);
          const bareCpu = Number(bareRow?.cpu_ms_per_workflow ?? NaN);
          const shapes = mode.label === 'fast path' ? [{ events: 1000, subscribers: 10 }, { events: 10, subscribers: 1000 }] : [{ events: 100, subscribers: 10 }, { events: 1, subscribers: 1000 }];
          for (const shape of shapes.filter(keepShape)) {
            const row = await benchDeliveryShape(s, shape, mode.label);
            const eventsPerSecond = shape.events / row.seconds;
            // The most of the ceiling event workflows could reach with every core busy: a bare
            // workflow's CPU over an event's (its deliveries' CPU, all processes together).
            const cpuBound = bareCpu / (row.cpu_ms_per_delivery * shape.subscribers);
            rows.push({ config: mode.config, ...row, event_workflows_per_s: Math.round(eventsPerSecond), bare_ceiling_per_s: bare, of_ceiling: `${Math.round((eventsPerSecond / bare) * 100)}%`, cpu_bound_of_ceiling: `${Math.round(cpuBound * 100)}%` });
          }
          steady.push({ config: mode.config, ...(await steadyOrError(s, mode.label)) });
        });
      }
      printDelivery(rows, steady);
      return [...rows, ...steady];
    });
  }
  if (run.includes('protection')) {
    // The healthy subscriber alone, then beside a slow and a dead neighbour (issue 18), on the defaults.
    // Both process shapes: `npm start`'s (the api and the worker in one process, so event
    // workflows start eagerly on their worker) and the api and the worker as separate processes.
    const shapes = [
      { processes: 'one (npm start)', env: { BENCH_ONE_PROCESS: '1' } },
      { processes: 'two (api, worker)', env: { BENCH_ONE_PROCESS: '0' } },
    ];
    await repeated('protection', ['processes', 'healthy_subscriber'], async () => {
      const rows = [];
      for (const shape of shapes) rows.push(...(await withStack({ ...modes[0].env, ...shape.env }, (s) => benchProtection(s))).map((r) => ({ processes: shape.processes, ...r })));
      table('Endpoint protection: a healthy subscriber alone and beside bad neighbours (defaults, 10 events/s)', rows);
      return rows;
    });
  }
  if (run.includes('timing')) {
    // The first three steps of the default schedule, for real.
    const steps = [1000, 5000, 30000];
    await repeated('timing', ['retry'], () => withStack({ ...modes[0].env, WEBHOOK_RETRY_SCHEDULE: steps.map((ms) => `${ms}ms`).join(',') }, (s) => benchRetryTiming(s, steps)));
  }
  if (run.includes('cost')) {
    await repeated('cost', ['mode', 'delivery'], async () => {
      const rows = [];
      for (const mode of modes.slice(0, 2)) rows.push(...(await withStack(mode.env, (s) => benchCost(s, mode.label))).map((r) => ({ config: mode.config, ...r })));
      table('Cost per delivery, both modes', rows);
      return rows;
    });
  }
  if (run.includes('fanout-rss')) save('fanout-rss', await withStack(modes[0].env, (s) => benchFanOutRss(s, modes[0].config)));
  if (run.includes('scaleout')) save('scaleout', await benchScaleout((s) => (current = s)));
  if (run.includes('rss')) {
    save('rss', await withStack({ ...modes[0].env, WEBHOOK_RETRY_SCHEDULE: '1h' }, (s) => benchPendingRss(s, modes[0].label, 10_000, 720_000)));
  }
  if (run.includes('prune')) {
    // Default ages (30/30/90 days); the Schedule's own interval is long, the bench triggers it.
    await repeated('prune', ['phase'], async () => {
      const rows = await withStack({ ...modes[0].env, WEBHOOK_RETENTION_INTERVAL: '24h' }, (s) => benchPrune(s));
      table('Delivery latency at 50 deliveries/s, with and without a pruning run over 1,000,000 attempt logs', rows);
      return rows;
    });
  }
  if (run.includes('stats')) await repeated('stats', ['window'], () => withStack({}, (s) => benchStats(s)));
  if (run.includes('ordering')) await repeated('ordering', ['keys'], () => withStack(modes[0].env, (s) => benchOrdering(s)));
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);

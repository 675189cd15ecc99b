import { fork, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import postgres from 'postgres';
import { Connection } from '@temporalio/client';
import { cpuSnapshot } from './lib/cpu';
import { findTemporalCli } from '../src/temporal/cli-path';
import { freePort, startDevServer, type DevServer } from '../src/temporal/dev-server';
import { startPostgres, type PostgresServer } from '../test/helpers/postgres-server';
import { startRealTemporalServer, type RealTemporalServer } from '../test/production/temporal-server';
import { ADMIN_TOKEN, INBOUND_SECRET, stackClients, type Stack } from './lib/stack';

// The scale-out benchmark's system: `apis` api processes and `workers` worker processes on one
// PostgreSQL, against either the CLI's dev server (one shard, SQLite in memory) or the real
// Temporal server built from source (PostgreSQL persistence, 4 history shards), plus the loopback
// receiver process. It satisfies bench/lib/stack.ts's Stack, so the other benchmarks' helpers run
// on it unchanged; `apiUrl` is the first api, `apiUrls` all of them.

export type ServerKind = 'dev server' | 'real server';

export interface ScaleoutStack extends Stack {
  server: ServerKind;
  apiUrls: string[];
  apis: ChildProcess[];
  workers: ChildProcess[];
}

async function waitHealthy(url: string, child: ChildProcess, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`api exited with ${child.exitCode}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`${url} not healthy within ${timeoutMs} ms`);
}

/** Resolves once `count` workers poll the activity queue (identities are pid@host). */
async function waitForPollers(address: string, taskQueue: string, workers: ChildProcess[]): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    for (let i = 0; i < 720; i++) {
      const dead = workers.find((w) => w.exitCode !== null);
      if (dead) throw new Error(`worker exited with ${dead.exitCode}`);
      const res = await connection.workflowService.describeTaskQueue({ namespace: 'default', taskQueue: { name: taskQueue }, taskQueueType: 2 });
      const polling = new Set((res.pollers ?? []).map((p) => p.identity?.split('@')[0]));
      if (workers.every((w) => polling.has(String(w.pid)))) return;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error('the workers never polled their task queue');
  } finally {
    await connection.close();
  }
}

function stopped(p: ChildProcess): Promise<unknown> {
  return new Promise((r) => (p.exitCode !== null || p.signalCode !== null ? r(null) : p.once('exit', r)));
}

export async function startScaleoutStack(options: { server: ServerKind; apis: number; workers: number; env: Record<string, string> }): Promise<ScaleoutStack> {
  let pg: PostgresServer;
  let temporal: DevServer;
  let real: RealTemporalServer | null = null;
  if (options.server === 'real server') {
    real = await startRealTemporalServer({ shards: 4 });
    pg = real.pg;
    temporal = { address: real.address, uiUrl: null, process: real.process, stop: () => real!.stop() };
  } else {
    const cli = findTemporalCli(undefined, process.env.PATH);
    if (!cli) throw new Error('no temporal CLI: run `bash scripts/setup.sh --test`');
    [pg, temporal] = await Promise.all([startPostgres(), startDevServer({ cliPath: cli, uiPort: null })]);
  }
  const admin = postgres(pg.url(), { max: 1, onnotice: () => undefined });
  await admin.unsafe('create database hookyard');
  await admin.end();
  const databaseUrl = pg.url('hookyard');

  const receiver = fork(path.join(__dirname, 'lib/receiver.ts'), ['0', 'ok'], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
  const receiverPort = await new Promise<number>((resolve) => receiver.once('message', (m: { port: number }) => resolve(m.port)));

  const baseEnv: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: temporal.address,
    ADMIN_TOKEN,
    WEBHOOK_INBOUND_SECRET: INBOUND_SECRET,
    WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
    LOG_LEVEL: 'warn',
    WORKER_METRICS_PORT: '0',
    TEMPORAL_SDK_METRICS: 'false',
    DATABASE_POOL_SIZE: '10',
    ...options.env,
  };
  const root = path.resolve(__dirname, '..');
  const run = (entry: string, env: NodeJS.ProcessEnv) => spawn(process.execPath, ['--import', 'tsx', entry], { cwd: root, env, stdio: ['ignore', 'inherit', 'inherit'] });

  const apis: ChildProcess[] = [];
  const apiUrls: string[] = [];
  const workers: ChildProcess[] = [];
  const stopAll = async () => {
    for (const p of [...apis, ...workers]) p.kill('SIGTERM');
    await Promise.all([...apis, ...workers].map(stopped));
    receiver.kill('SIGKILL');
    await temporal.stop();
    if (!real) pg.stop();
  };
  try {
    // One api migrates first; the others start on the migrated database.
    for (let i = 0; i < options.apis; i++) {
      const port = await freePort();
      const api = run('src/api.ts', { ...baseEnv, PORT: String(port) });
      apis.push(api);
      apiUrls.push(`http://127.0.0.1:${port}`);
      await waitHealthy(`http://127.0.0.1:${port}/health`, api);
    }
    for (let i = 0; i < options.workers; i++) workers.push(run('src/worker-main.ts', baseEnv));
    await waitForPollers(temporal.address, options.env.TEMPORAL_TASK_QUEUE ?? 'webhooks', workers);
  } catch (err) {
    await stopAll();
    throw err;
  }
  const sql = postgres(databaseUrl, { max: 2, onnotice: () => undefined });
  const apiUrl = apiUrls[0]!;

  return {
    server: options.server,
    apiUrl,
    apiUrls,
    apis,
    workers,
    receiverUrl: `http://127.0.0.1:${receiverPort}/hook`,
    pg,
    temporal,
    databaseUrl,
    processes: { api: apis[0]!, worker: workers[0]!, receiver },
    sql,
    ...stackClients(apiUrl, receiverPort),
    rssMb: () => ({ api: 0, worker: 0 }),
    cpu: () => {
      const pids: Record<string, number | undefined> = { temporal: temporal.process.pid, receiver: receiver.pid };
      apis.forEach((p, i) => (pids[`api${i + 1}`] = p.pid));
      workers.forEach((p, i) => (pids[`worker${i + 1}`] = p.pid));
      return cpuSnapshot({ pids, postgresDir: pg.dir });
    },
    async stop() {
      await sql.end();
      await stopAll();
    },
  };
}

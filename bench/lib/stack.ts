import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { Connection } from '@temporalio/client';
import { cpuSnapshot, type CpuSnapshot } from './cpu';
import { findTemporalCli } from '../../src/temporal/cli-path';
import { freePort, startDevServer, type DevServer } from '../../src/temporal/dev-server';
import { startPostgres, type PostgresServer } from '../../test/helpers/postgres-server';

// The system under benchmark, as in production: a real PostgreSQL, a Temporal dev server, and
// the api and worker as separate processes; plus a receiver process on loopback.

const root = path.resolve(__dirname, '../..');
export const ADMIN_TOKEN = 'bench-admin-token-0123456789';
export const INBOUND_SECRET = 'bench-inbound-secret';

export interface Stack {
  apiUrl: string;
  receiverUrl: string;
  pg: PostgresServer;
  temporal: DevServer;
  databaseUrl: string;
  processes: { api: ChildProcess; worker: ChildProcess; receiver: ChildProcess };
  admin(method: string, url: string, body?: unknown): Promise<any>;
  receiverStats(): Promise<{ count: number; unique: number; duplicates: number; last: number; p50: number | null; p99: number | null; max: number | null; attempts: Record<string, number[]> }>;
  resetReceiver(mode?: 'ok' | 'fail' | 'flaky'): Promise<void>;
  rssMb(): { api: number; worker: number };
  /** CPU ms used so far by each process of the stack (bench/lib/cpu.ts). */
  cpu(): CpuSnapshot;
  sql: postgres.Sql;
  stop(): Promise<void>;
}

function rssOf(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return Math.round(kb / 1024);
  } catch {
    return 0;
  }
}

async function waitHealthy(url: string, child: ChildProcess, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`process exited with ${child.exitCode}`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`${url} not healthy within ${timeoutMs} ms`);
}

/** The worker is ready when Temporal sees it polling the task queue. */
async function waitForPollers(address: string, taskQueue: string, worker: ChildProcess): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    for (let i = 0; i < 600; i++) {
      if (worker.exitCode !== null) throw new Error(`worker exited with ${worker.exitCode}`);
      const res = await connection.workflowService.describeTaskQueue({ namespace: 'default', taskQueue: { name: taskQueue }, taskQueueType: 2 });
      if ((res.pollers ?? []).length > 0) return;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error('the worker never polled its task queue');
  } finally {
    await connection.close();
  }
}

/** The pg-boss worker is up once it holds a connection of its own beside the api's (it fetches at once). */
async function waitForPgBossWorker(sql: postgres.Sql, worker: ChildProcess): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (worker.exitCode !== null) throw new Error(`worker exited with ${worker.exitCode}`);
    const [{ n }] = await sql<{ n: number }[]>`select count(distinct client_port)::int as n from pg_stat_activity where application_name = 'hookyard-pgboss' and state is not null`;
    if (n >= 2) {
      await new Promise((r) => setTimeout(r, 2_000));
      return;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('the pg-boss worker never connected');
}

export async function startStack(env: Record<string, string> = {}): Promise<Stack> {
  const cli = findTemporalCli(undefined, process.env.PATH);
  if (!cli) throw new Error('no temporal CLI: run `bash scripts/setup.sh --test`');
  // BENCH_PG_DURABLE=1: PostgreSQL with fsync and synchronous commit, as in production.
  const [pg, temporal] = await Promise.all([startPostgres({ durable: process.env.BENCH_PG_DURABLE === '1' }), startDevServer({ cliPath: cli, uiPort: null })]);
  const admin = postgres(pg.url(), { max: 1, onnotice: () => undefined });
  await admin.unsafe('create database hookyard');
  await admin.end();
  const databaseUrl = pg.url('hookyard');

  const receiver = fork(path.join(__dirname, 'receiver.ts'), ['0', 'ok'], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
  const receiverPort = await new Promise<number>((resolve) => receiver.once('message', (m: { port: number }) => resolve(m.port)));

  const port = await freePort();
  const baseEnv: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: temporal.address,
    ADMIN_TOKEN,
    WEBHOOK_INBOUND_SECRET: INBOUND_SECRET,
    WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
    LOG_LEVEL: 'warn',
    PORT: String(port),
    WORKER_METRICS_PORT: '0',
    ...env,
  };
  // BENCH_PROFILE_DIR=<dir> writes a V8 CPU profile of the api and the worker there.
  const profile = process.env.BENCH_PROFILE_DIR ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_PROFILE_DIR] : [];
  // BENCH_ONE_PROCESS=1: the api and the worker in one process, as `npm start` runs them (src/main.ts,
  // here on the stack's PostgreSQL and Temporal); its own starts are then eager (TEMPORAL_EAGER_START).
  const oneProcess = (env.BENCH_ONE_PROCESS ?? process.env.BENCH_ONE_PROCESS) === '1';
  const dataDir = oneProcess ? mkdtempSync(path.join(os.tmpdir(), 'hookyard-bench-')) : null;
  const api = spawn(process.execPath, [...profile, '--import', 'tsx', oneProcess ? 'src/main.ts' : 'src/api.ts'], {
    cwd: root,
    env: dataDir ? { ...baseEnv, DATA_DIR: dataDir } : baseEnv,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const apiUrl = `http://127.0.0.1:${port}`;
  await waitHealthy(`${apiUrl}/health`, api);
  const worker = oneProcess ? api : spawn(process.execPath, [...profile, '--import', 'tsx', 'src/worker-main.ts'], { cwd: root, env: baseEnv, stdio: ['ignore', 'inherit', 'inherit'] });
  const sql = postgres(databaseUrl, { max: 2, onnotice: () => undefined });
  if (env.QUEUE_DRIVER === 'pgboss') await waitForPgBossWorker(sql, worker);
  else await waitForPollers(temporal.address, env.TEMPORAL_TASK_QUEUE ?? 'webhooks', worker);
  const receiverUrl = `http://127.0.0.1:${receiverPort}/hook`;

  return {
    apiUrl,
    receiverUrl,
    pg,
    temporal,
    databaseUrl,
    processes: { api, worker, receiver },
    sql,
    ...stackClients(apiUrl, receiverPort),
    rssMb: () => ({ api: rssOf(api.pid), worker: rssOf(worker.pid) }),
    cpu: () =>
      cpuSnapshot({ pids: { ...(oneProcess ? { app: api.pid } : { api: api.pid, worker: worker.pid }), temporal: temporal.process.pid, receiver: receiver.pid }, postgresDir: pg.dir }),
    async stop() {
      await sql.end();
      for (const p of new Set([api, worker])) p.kill('SIGTERM');
      await Promise.all([...new Set([api, worker])].map((p) => new Promise((r) => (p.exitCode !== null ? r(null) : p.once('exit', r)))));
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
      receiver.kill('SIGKILL');
      await temporal.stop();
      pg.stop();
    },
  };
}

/** The admin API and the loopback receiver's controls, as every bench stack offers them. */
export function stackClients(apiUrl: string, receiverPort: number): Pick<Stack, 'admin' | 'receiverStats' | 'resetReceiver'> {
  return {
    async admin(method, url, body) {
      const res = await fetch(`${apiUrl}/admin/api${url}`, {
        method,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      return res.status === 204 ? null : res.json();
    },
    async receiverStats() {
      return (await (await fetch(`http://127.0.0.1:${receiverPort}/__stats`)).json()) as never;
    },
    async resetReceiver(mode = 'ok') {
      await fetch(`http://127.0.0.1:${receiverPort}/__reset?mode=${mode}`, { method: 'POST' });
    },
  };
}

export function machine(): string {
  return `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`;
}

import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import postgres from 'postgres';
import type { Client } from '@temporalio/client';
import { connectClient } from '../../src/temporal/client';
import type { TemporalConnectionOptions } from '../../src/temporal/connection-options';
import { freePort } from '../../src/temporal/dev-server';
import { ADMIN_TOKEN } from '../helpers/harness';
import { baseServiceEnv, spawnService, waitForApi, waitForWorker, type ServiceProcess } from '../helpers/service-process';
import type { RealTemporalServer } from './temporal-server';

// Several `npm run api` and `npm run worker` processes (the real entry points, as child
// processes) on one PostgreSQL database and one real Temporal server.

export interface ApiProcess extends ServiceProcess {
  url: string;
}

export interface WorkerProcess extends ServiceProcess {
  /** Its own /metrics (WORKER_METRICS_PORT), to see what this one process did. */
  metricsUrl: string;
}

export interface ProductionStack {
  databaseUrl: string;
  taskQueue: string;
  env: Record<string, string>;
  /** The test's own client, connected as the processes are. */
  client: Client;
  apis: ApiProcess[];
  workers: WorkerProcess[];
  startApi(env?: Record<string, string>): Promise<ApiProcess>;
  startWorker(env?: Record<string, string>): Promise<WorkerProcess>;
  admin(method: string, url: string, body?: unknown): Promise<{ status: number; json: any }>;
  stop(): Promise<void>;
}

/** Creates database `name` on the Temporal server's PostgreSQL cluster and returns its URL. */
export async function createAppDatabase(temporal: RealTemporalServer, name = `hookyard_${randomBytes(3).toString('hex')}`): Promise<string> {
  const admin = postgres(temporal.pg.url(), { max: 1, onnotice: () => undefined });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  return temporal.pg.url(name);
}

export async function startProductionStack(options: {
  temporal: RealTemporalServer;
  apis: number;
  workers: number;
  /** Environment for every process (TLS settings, retry schedule, ...). */
  env?: Record<string, string>;
  /** How the test's own client connects; the same settings the processes get through `env`. */
  connection?: TemporalConnectionOptions;
}): Promise<ProductionStack> {
  const databaseUrl = await createAppDatabase(options.temporal);
  const taskQueue = `prod-${randomBytes(4).toString('hex')}`;
  const env = baseServiceEnv({
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: options.temporal.address,
    TEMPORAL_NAMESPACE: options.temporal.namespace,
    TEMPORAL_TASK_QUEUE: taskQueue,
    DATABASE_POOL_SIZE: '5',
    ...options.env,
  });
  const client = await connectClient({ address: options.temporal.address, namespace: options.temporal.namespace, connection: options.connection });
  const apis: ApiProcess[] = [];
  const workers: WorkerProcess[] = [];
  const all: ServiceProcess[] = [];

  const startApi = async (extra: Record<string, string> = {}) => {
    const port = await freePort();
    const proc = spawnService('api', { ...env, PORT: String(port), ...extra });
    all.push(proc);
    const api = Object.assign(proc, { url: `http://127.0.0.1:${port}` });
    await waitForApi(api.url, api);
    apis.push(api);
    return api;
  };
  const startWorker = async (extra: Record<string, string> = {}) => {
    const metricsPort = await freePort();
    const proc = spawnService('worker', { ...env, WORKER_METRICS_PORT: String(metricsPort), ...extra });
    all.push(proc);
    await waitForWorker(client, taskQueue, proc);
    const worker = Object.assign(proc, { metricsUrl: `http://127.0.0.1:${metricsPort}/metrics` });
    workers.push(worker);
    return worker;
  };

  try {
    // As the Kubernetes migration Job does: `npm run migrate` before any api starts.
    migrate(env);
    await startApi();
    for (let i = 1; i < options.apis; i++) await startApi();
    await Promise.all(Array.from({ length: options.workers }, () => startWorker()));
  } catch (err) {
    for (const p of all) p.kill('SIGKILL');
    await client.connection.close();
    throw err;
  }

  return {
    databaseUrl,
    taskQueue,
    env,
    client,
    apis,
    workers,
    startApi,
    startWorker,
    async admin(method, url, body) {
      const res = await fetch(`${apis[0]!.url}/admin/api${url}`, {
        method,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      const text = await res.text();
      return { status: res.status, json: text ? JSON.parse(text) : null };
    },
    async stop() {
      await Promise.all(all.map((p) => p.stop(10_000)));
      await client.connection.close();
    },
  };
}

function migrate(env: Record<string, string>): void {
  const res = spawnSync(process.execPath, ['--import', 'tsx', 'src/migrate.ts'], { cwd: path.resolve(__dirname, '../..'), env, encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`npm run migrate failed (${res.status}):\n${res.stdout}\n${res.stderr}`);
}

/** A counter's total in a Prometheus text page, summed over its label sets. */
export function counterTotal(metricsText: string, family: string): number {
  let total = 0;
  for (const line of metricsText.split('\n')) {
    if (line.startsWith(`${family}{`) || line.startsWith(`${family} `)) total += Number(line.slice(line.lastIndexOf(' ') + 1)) || 0;
  }
  return total;
}

import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { signV1 } from '../../src/domain/signature';
import { connectClient } from '../../src/temporal/client';
import { freePort } from '../../src/temporal/dev-server';
import { INBOUND_SECRET, nowSeconds } from './harness';
import { baseServiceEnv, spawnService, waitForApi, waitForWorker, type ServiceProcess } from './service-process';

// The production shape for fault tests: an api process and a worker process, spawned from the
// real entry points, against a Temporal and a PostgreSQL the test controls; plus a sender that
// posts signed events to the inbound gateway over real HTTP and records every answer.

export interface FaultStack {
  apiUrl: string;
  api: ServiceProcess;
  worker: ServiceProcess;
  /** The test's own client to the stack's Temporal. */
  client: Client;
  taskQueue: string;
  env: Record<string, string>;
  /** Starts another worker process with the same environment. */
  startWorker(): Promise<ServiceProcess>;
  stop(): Promise<void>;
}

export async function startFaultStack(options: { temporalAddress: string; databaseUrl: string; env?: Record<string, string> }): Promise<FaultStack> {
  const taskQueue = `fault-${randomBytes(4).toString('hex')}`;
  const port = await freePort();
  const env = baseServiceEnv({
    DATABASE_URL: options.databaseUrl,
    TEMPORAL_ADDRESS: options.temporalAddress,
    TEMPORAL_TASK_QUEUE: taskQueue,
    PORT: String(port),
    DATABASE_POOL_SIZE: '5',
    ...options.env,
  });
  const client = await connectClient({ address: options.temporalAddress, namespace: 'default' });
  const apiUrl = `http://127.0.0.1:${port}`;
  // The api migrates the database; the worker starts once it has.
  const api = spawnService('api', env);
  const started: ServiceProcess[] = [api];
  try {
    await waitForApi(apiUrl, api);
    const startWorker = async () => {
      const worker = spawnService('worker', env);
      started.push(worker);
      await waitForWorker(client, taskQueue, worker);
      return worker;
    };
    const worker = await startWorker();
    return {
      apiUrl,
      api,
      worker,
      client,
      taskQueue,
      env,
      startWorker,
      async stop() {
        await Promise.all(started.map((p) => p.stop(5_000)));
        await client.connection.close();
      },
    };
  } catch (err) {
    for (const p of started) p.kill('SIGKILL');
    await client.connection.close();
    throw err;
  }
}

export interface SendResult {
  seq: number;
  /** The idempotency key: a retry of the same event sends the same id. */
  id: string;
  startedAt: number;
  ms: number;
  /** The HTTP status, or 0 when no answer came (connection error or the client's own timeout). */
  status: number;
  retryAfter: string | null;
  body: any;
}

/** One signed POST of event `seq` to the generic inbound gateway, or to a named source with the generic verifier. */
export async function sendInbound(
  apiUrl: string,
  event: string,
  seq: number,
  options: { timeoutMs?: number; source?: { name: string; secret: string } } = {},
): Promise<SendResult> {
  const id = `${event}/${seq}`;
  const raw = JSON.stringify({ event, timestamp: nowSeconds(), id, data: { seq } });
  const startedAt = Date.now();
  const path = options.source ? `/webhook/inbound/${options.source.name}` : '/webhook/inbound';
  try {
    const res = await fetch(`${apiUrl}${path}`, {
      method: 'POST',
      body: raw,
      headers: { 'content-type': 'application/json', 'x-signature': signV1(raw, options.source?.secret ?? INBOUND_SECRET) },
      signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    return { seq, id, startedAt, ms: Date.now() - startedAt, status: res.status, retryAfter: res.headers.get('retry-after'), body };
  } catch (err) {
    return { seq, id, startedAt, ms: Date.now() - startedAt, status: 0, retryAfter: null, body: String(err) };
  }
}

export interface Sender {
  results: SendResult[];
  /** Stops sending and waits for the requests in flight. */
  stop(): Promise<void>;
}

/** Sends events `0, 1, 2, ...` with `lanes` requests in flight at most, one every `intervalMs` per lane. */
export function startSender(apiUrl: string, event: string, options: { lanes?: number; intervalMs?: number } = {}): Sender {
  const results: SendResult[] = [];
  let next = 0;
  let stopped = false;
  const lane = async () => {
    while (!stopped) {
      results.push(await sendInbound(apiUrl, event, next++));
      await new Promise((r) => setTimeout(r, options.intervalMs ?? 50));
    }
  };
  const lanes = Array.from({ length: options.lanes ?? 2 }, lane);
  return {
    results,
    async stop() {
      stopped = true;
      await Promise.all(lanes);
    },
  };
}

/**
 * Re-sends every event that was refused (or never answered) until the gateway acknowledges it,
 * as a sender honouring Retry-After does. Returns the final answer for each.
 */
export async function resendRefused(apiUrl: string, event: string, results: SendResult[], deadlineMs = 60_000): Promise<SendResult[]> {
  const deadline = Date.now() + deadlineMs;
  const finals: SendResult[] = [];
  for (const refused of results.filter((r) => r.status !== 200)) {
    for (;;) {
      const again = await sendInbound(apiUrl, event, refused.seq);
      if (again.status === 200) {
        finals.push(again);
        break;
      }
      if (Date.now() > deadline) throw new Error(`event ${refused.seq} still refused: ${again.status} ${JSON.stringify(again.body)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  return finals;
}

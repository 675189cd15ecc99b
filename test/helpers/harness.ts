import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { parseConfig, type Config } from '../../src/config';
import type { Database } from '../../src/db/database';
import { signV1 } from '../../src/domain/signature';
import { createLogger } from '../../src/logger';
import { startRuntime, type Runtime } from '../../src/runtime';
import { freshDatabase } from './database';
import { readTestRuntime } from './runtime-file';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';
export const INBOUND_SECRET = 'test-inbound-secret';

export interface Harness {
  app: FastifyInstance;
  runtime: Runtime;
  config: Config;
  database: Database & { url: string };
  /** POSTs a signed generic event to the inbound gateway. */
  sendInbound(body: Record<string, unknown>, options?: { secret?: string; headers?: Record<string, string> }): Promise<{ status: number; json: any }>;
  admin(method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, payload?: unknown): Promise<{ status: number; json: any }>;
  stop(): Promise<void>;
}

/** The app and a worker on a task queue of their own, against the shared Temporal and a fresh database. */
export async function startHarness(env: Record<string, string> = {}, options: { worker?: boolean; temporalUiUrl?: string; logger?: Logger } = {}): Promise<Harness> {
  const rt = readTestRuntime();
  const database = await freshDatabase();
  const config = parseConfig({
    ADMIN_TOKEN,
    WEBHOOK_INBOUND_SECRET: INBOUND_SECRET,
    WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
    WEBHOOK_RETRY_SCHEDULE: '100ms,200ms,300ms,400ms,500ms,600ms',
    WEBHOOK_TIMEOUT: '2',
    TEMPORAL_TASK_QUEUE: `test-${randomBytes(4).toString('hex')}`,
    LOG_LEVEL: 'warn',
    // The pg-boss queue driver keeps its queues in the same (real) PostgreSQL.
    ...(env.QUEUE_DRIVER === 'pgboss' ? { DATABASE_URL: database.url } : {}),
    ...env,
  });
  const runtime = await startRuntime({
    config,
    database,
    logger: options.logger ?? createLogger(config.LOG_LEVEL),
    temporalAddress: rt.temporalAddress,
    temporalUiUrl: options.temporalUiUrl,
    api: true,
    worker: options.worker ?? true,
    workflowBundlePath: rt.workflowBundlePath,
    workerOptions: { shutdownGraceTime: '1s' },
  });
  const app = runtime.app!;
  return {
    app,
    runtime,
    config,
    database,
    async sendInbound(body, opts = {}) {
      const raw = JSON.stringify(body);
      const res = await app.inject({
        method: 'POST',
        url: config.WEBHOOK_INBOUND_PATH,
        payload: raw,
        headers: { 'content-type': 'application/json', 'x-signature': signV1(raw, opts.secret ?? INBOUND_SECRET), ...opts.headers },
      });
      return { status: res.statusCode, json: res.json() };
    },
    async admin(method, url, payload) {
      const res = await app.inject({ method, url: `/admin/api${url}`, payload: payload as never, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      return { status: res.statusCode, json: res.body ? res.json() : null };
    },
    async stop() {
      await runtime.stop();
      await database.close();
    },
  };
}

/** Polls until `check` returns a truthy value. */
export async function eventually<T>(check: () => Promise<T | undefined | null | false>, timeoutMs = 20_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);

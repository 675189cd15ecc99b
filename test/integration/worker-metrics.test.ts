import { randomBytes } from 'node:crypto';
import { request } from 'undici';
import { parseConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { startRuntime, type Runtime } from '../../src/runtime';
import { freePort } from '../../src/temporal/dev-server';
import { freshDatabase } from '../helpers/database';
import { eventually } from '../helpers/harness';
import { readTestRuntime } from '../helpers/runtime-file';

// A worker-only process, as `npm run worker` boots it: its own /metrics on WORKER_METRICS_PORT,
// with the Temporal SDK's worker metrics merged in. Its own file: the SDK runtime is one per process.

describe('the worker process /metrics', () => {
  let runtime: Runtime;
  let close: () => Promise<void>;
  let port: number;

  beforeAll(async () => {
    const rt = readTestRuntime();
    const database = await freshDatabase();
    port = await freePort();
    const config = parseConfig({
      WEBHOOK_VALIDATE_SIGNATURE: 'false',
      WORKER_METRICS_PORT: String(port),
      TEMPORAL_TASK_QUEUE: `test-${randomBytes(4).toString('hex')}`,
      LOG_LEVEL: 'silent',
    });
    runtime = await startRuntime({
      config,
      database,
      logger: createLogger(config.LOG_LEVEL),
      temporalAddress: rt.temporalAddress,
      api: false,
      worker: true,
      processMetrics: true,
      workflowBundlePath: rt.workflowBundlePath,
      workerOptions: { shutdownGraceTime: '1s' },
    });
    close = async () => {
      await runtime.stop();
      await database.close();
    };
  });
  afterAll(async () => {
    await close?.();
  });

  const get = async (path: string, method: 'GET' | 'POST' = 'GET') => {
    const res = await request(`http://127.0.0.1:${port}${path}`, { method });
    return { status: res.statusCode, type: String(res.headers['content-type']), body: await res.body.text() };
  };

  it('serves the delivery metrics, the queue depth and the Node process metrics on WORKER_METRICS_PORT', async () => {
    expect(runtime.app).toBeNull();
    expect(runtime.metricsServer?.url).toBe(`http://127.0.0.1:${port}`);
    runtime.metrics.attempt({ eventType: 'order.created', attempt: 2, durationMs: 250 });

    const res = await get('/metrics');
    expect(res.status).toBe(200);
    expect(res.type).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(res.body).toContain('webhook_delivery_attempts_total{attempt_number="2"} 1\n');
    expect(res.body).toContain('# TYPE webhook_deliveries_total counter\n');
    expect(res.body).toContain('webhook_queue_depth 0\n');
    expect(res.body).toContain('process_cpu_seconds_total');
  });

  it('merges the Temporal SDK worker metrics into the same scrape', async () => {
    const body = await eventually(async () => {
      const res = await get('/metrics');
      return res.body.includes('temporal_worker_task_slots_available') ? res.body : null;
    });
    expect(body).toMatch(/^temporal_worker_task_slots_available\{.*task_queue="test-[0-9a-f]+".*\} \d+$/m);
    // One family per name: our registry and the SDK's never clash.
    const families = [...body.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]);
    expect(new Set(families).size).toBe(families.length);
  });

  it('answers 404 off /metrics and 405 to other methods', async () => {
    expect((await get('/')).status).toBe(404);
    expect((await get('/metrics', 'POST')).status).toBe(405);
  });
});

import { execFile } from 'node:child_process';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { addSubscribers, benchDeliveryShape } from './delivery';
import { INBOUND_SECRET } from './lib/stack';
import { table } from './lib/stats';
import { startScaleoutStack, type ScaleoutStack, type ServerKind } from './scaleout-stack';

// `npm run bench -- scaleout`: the production shape on the real Temporal server (4 shards,
// PostgreSQL) beside the dev server, in the same run: ingest with 1 and 2 api processes, delivery
// in both modes with 1 and 2 workers, and what one delivery costs in Temporal actions and
// history events. On 2 cores a second process shows cost, not scale.

export const DELIVERY_MODES: { label: string; env: Record<string, string> }[] = [
  { label: 'fast path', env: { WEBHOOK_FAST_PATH: 'true', WEBHOOK_LOCAL_FANOUT: 'true', WEBHOOK_CONCURRENCY: '100', WEBHOOK_FANOUT_CONCURRENCY: '64' } },
  { label: 'workflow per delivery', env: { WEBHOOK_FAST_PATH: 'false', WEBHOOK_CONCURRENCY: '100' } },
];

const SERVERS: ServerKind[] = ['dev server', 'real server'];
const SHAPES = { 'fast path': { events: 200, subscribers: 10 }, 'workflow per delivery': { events: 40, subscribers: 10 } } as const;

// History event types that Temporal Cloud bills as actions, by our reading of its pricing page:
// a workflow start (a child's own start included, its parent's "initiated" event not), an
// activity scheduled (each retry is scheduled again), a local activity (its marker), a timer,
// a signal sent or received, a search-attribute or memo upsert, and an accepted update.
// Heartbeats and queries are billed too but never appear in history, so they are not counted.
// temporal.api.enums.v1.EventType numbers.
const ACTION_EVENTS = new Set([
  1, // WORKFLOW_EXECUTION_STARTED
  10, // ACTIVITY_TASK_SCHEDULED
  17, // TIMER_STARTED
  25, // MARKER_RECORDED (a local activity)
  26, // WORKFLOW_EXECUTION_SIGNALED
  37, // SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED
  40, // UPSERT_WORKFLOW_SEARCH_ATTRIBUTES
  41, // WORKFLOW_EXECUTION_UPDATE_ACCEPTED
  46, // WORKFLOW_PROPERTIES_MODIFIED
]);

interface LoadResult {
  ok: number;
  non2xx: number;
  errors: number;
  seconds: number;
  p50: number;
  p99: number;
}

function load(url: string, rate: number, seconds: number, connections: number): Promise<LoadResult> {
  return new Promise((resolve, reject) =>
    execFile(
      process.execPath,
      ['--import', 'tsx', path.join(__dirname, 'lib/ingest-load.ts'), `${url}/webhook/inbound`, INBOUND_SECRET, String(rate), String(seconds), String(connections)],
      { encoding: 'utf8', maxBuffer: 1 << 20 },
      (err, stdout) => (err ? reject(err) : resolve(JSON.parse(stdout) as LoadResult)),
    ),
  );
}

/** Signed inbound events at the highest rate the api processes take, the load split evenly between them. */
async function benchScaleoutIngest(stack: ScaleoutStack, seconds = 10): Promise<Record<string, unknown>> {
  await Promise.all(stack.apiUrls.map((url) => load(url, 100, 3, 8)));
  await new Promise((r) => setTimeout(r, 3000));
  const results = await Promise.all(stack.apiUrls.map((url) => load(url, 0, seconds, Math.ceil(32 / stack.apiUrls.length))));
  const ok = results.reduce((n, r) => n + r.ok, 0);
  return {
    server: stack.server,
    apis: stack.apiUrls.length,
    workers: stack.workers.length,
    accepted_per_s: Math.round(ok / seconds),
    non2xx: results.reduce((n, r) => n + r.non2xx, 0),
    errors: results.reduce((n, r) => n + r.errors, 0),
    p99_ms: Math.max(...results.map((r) => r.p99)),
  };
}

async function historyOf(client: Client, workflowId: string): Promise<{ events: number; actions: number }> {
  let events = 0;
  let actions = 0;
  for await (const wf of client.workflow.list({ query: `WorkflowId = "${workflowId}"` })) {
    const history = await client.workflow.getHandle(workflowId, wf.runId).fetchHistory();
    for (const e of history.events ?? []) {
      events++;
      if (ACTION_EVENTS.has(Number(e.eventType))) actions++;
    }
  }
  return { events, actions };
}

/** Temporal actions and history events per delivery: one event to 100 subscribers, succeeding at once or after one failure. */
async function benchActions(stack: ScaleoutStack, mode: string, subscribers = 100): Promise<Record<string, unknown>[]> {
  const connection = await Connection.connect({ address: stack.temporal.address });
  const client = new Client({ connection });
  const rows: Record<string, unknown>[] = [];
  try {
    for (const receiver of ['ok', 'flaky'] as const) {
      const event = `bench.actions.${receiver}.${Date.now()}`;
      await stack.sql`update webhook_subscribers set active = false`;
      await addSubscribers(stack, subscribers, [event]);
      await stack.resetReceiver(receiver);
      const res = await stack.admin('POST', '/events', { event, data: { sentAt: Date.now() } });
      for (let i = 0; ; i++) {
        const [row] = await stack.sql`select count(*)::int as n from webhook_deliveries where event_id = ${res.event_id} and status <> 'pending'`;
        if (row!.n >= subscribers) break;
        if (i > 1200) throw new Error('deliveries did not settle');
        await new Promise((r) => setTimeout(r, 250));
      }
      // Let the last workflow tasks complete and visibility catch up.
      await new Promise((r) => setTimeout(r, 2500));
      const total = await historyOf(client, res.workflow_id);
      const deliveries = await stack.sql`select workflow_id from webhook_deliveries where event_id = ${res.event_id}`;
      let own = 0;
      for (const d of deliveries) {
        const h = await historyOf(client, d.workflow_id);
        total.events += h.events;
        total.actions += h.actions;
        if (h.events > 0) own++;
      }
      rows.push({
        server: stack.server,
        mode,
        delivery: receiver === 'ok' ? 'succeeds first time' : 'fails once, then succeeds',
        actions_per_delivery: +(total.actions / subscribers).toFixed(2),
        history_events_per_delivery: +(total.events / subscribers).toFixed(2),
        delivery_workflows: own,
      });
    }
  } finally {
    await stack.resetReceiver('ok');
    await connection.close();
  }
  return rows;
}

export interface ScaleoutResults {
  ingest: Record<string, unknown>[];
  delivery: Record<string, unknown>[];
  cost: Record<string, unknown>[];
}

export async function benchScaleout(onStack: (stack: ScaleoutStack | null) => void): Promise<ScaleoutResults> {
  const results: ScaleoutResults = { ingest: [], delivery: [], cost: [] };
  for (const server of SERVERS) {
    for (const mode of DELIVERY_MODES) {
      for (const processes of [1, 2]) {
        console.log(`\n# ${server}, ${mode.label}, ${processes} api + ${processes} worker process(es)`);
        const stack = await startScaleoutStack({ server, apis: processes, workers: processes, env: mode.env });
        onStack(stack);
        // One configuration that times out (an overloaded server) is a row saying so, not the end of the run.
        const attempt = async (rows: Record<string, unknown>[], keys: Record<string, unknown>, work: () => Promise<Record<string, unknown>[]>) => {
          try {
            rows.push(...(await work()));
          } catch (err) {
            console.error(`${server}, ${mode.label}, ${processes} process(es): ${(err as Error).message}`);
            rows.push({ ...keys, error: (err as Error).message.slice(0, 120) });
          }
        };
        try {
          // Ingest acknowledges on workflow start (the default), so it measures the server's start rate.
          if (mode.label === 'fast path') await attempt(results.ingest, { server, apis: processes }, async () => [await benchScaleoutIngest(stack)]);
          const shape = SHAPES[mode.label as keyof typeof SHAPES];
          await attempt(results.delivery, { server, workers: processes, mode: mode.label }, async () => [{ server, workers: processes, ...(await benchDeliveryShape(stack, shape, mode.label)) }]);
          if (processes === 1) await attempt(results.cost, { server, mode: mode.label }, () => benchActions(stack, mode.label));
        } finally {
          onStack(null);
          await stack.stop();
        }
      }
    }
  }
  table('Scale-out ingest (ack on workflow start, max rate for 10 s, load split across the apis)', results.ingest);
  table('Scale-out delivery (1 api per worker)', results.delivery);
  table('Temporal actions and history events per delivery (one event × 100 subscribers)', results.cost);
  return results;
}

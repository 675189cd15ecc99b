import { Client, Connection } from '@temporalio/client';
import { addSubscribers } from './delivery';
import type { Stack } from './lib/stack';
import { table } from './lib/stats';

// What one delivery costs: Temporal history events, Postgres rows and bytes.

async function historyEvents(client: Client, workflowId: string): Promise<number> {
  let total = 0;
  // Every run of the workflow id (continue-as-new) counts.
  for await (const wf of client.workflow.list({ query: `WorkflowId = "${workflowId}"` })) {
    const history = await client.workflow.getHandle(workflowId, wf.runId).fetchHistory();
    total += history.events?.length ?? 0;
  }
  return total;
}

async function waitSettled(stack: Stack, eventId: string, expected: number) {
  for (let i = 0; i < 600; i++) {
    const [row] = await stack.sql`select count(*)::int as n from webhook_deliveries where event_id = ${eventId} and status <> 'pending'`;
    if (row.n >= expected) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('deliveries did not settle');
}

export async function benchCost(stack: Stack, label: string, subscribers = 100) {
  const connection = await Connection.connect({ address: stack.temporal.address });
  const client = new Client({ connection });
  const rows = [];
  for (const mode of ['ok', 'flaky'] as const) {
    const event = `bench.cost.${mode}.${Date.now()}`;
    await stack.sql`update webhook_subscribers set active = false`;
    await addSubscribers(stack, subscribers, [event]);
    await stack.resetReceiver(mode);
    const before = await stack.sql`select
      (select count(*) from webhook_logs)::int as logs,
      (select count(*) from webhook_deliveries)::int as deliveries,
      (pg_total_relation_size('webhook_logs') + pg_total_relation_size('webhook_deliveries') + pg_total_relation_size('webhook_events'))::bigint as bytes`;
    const res = await stack.admin('POST', '/events', { event, data: { sentAt: Date.now(), note: 'a small payload of about a hundred bytes, as webhooks often are' } });
    await waitSettled(stack, res.event_id, subscribers);
    await new Promise((r) => setTimeout(r, 1500));
    const after = await stack.sql`select
      (select count(*) from webhook_logs)::int as logs,
      (select count(*) from webhook_deliveries)::int as deliveries,
      (pg_total_relation_size('webhook_logs') + pg_total_relation_size('webhook_deliveries') + pg_total_relation_size('webhook_events'))::bigint as bytes`;
    let events = await historyEvents(client, res.workflow_id);
    const deliveries = await stack.sql`select workflow_id from webhook_deliveries where event_id = ${res.event_id}`;
    let childWorkflows = 0;
    for (const d of deliveries) {
      // On the fast path a first-time success has no workflow of its own (no runs listed).
      const own = await historyEvents(client, d.workflow_id);
      events += own;
      if (own > 0) childWorkflows++;
    }
    rows.push({
      mode: label,
      delivery: mode === 'ok' ? 'succeeds first time' : 'fails once, then succeeds',
      history_events_per_delivery: +(events / subscribers).toFixed(1),
      delivery_workflows: childWorkflows,
      pg_rows_per_delivery: +((after[0].logs - before[0].logs + after[0].deliveries - before[0].deliveries) / subscribers).toFixed(2),
      pg_bytes_per_delivery: Math.round((Number(after[0].bytes) - Number(before[0].bytes)) / subscribers),
    });
  }
  await connection.close();
  await stack.resetReceiver('ok');
  table(`Cost per delivery (${subscribers} subscribers per event)`, rows);
  return rows;
}

/** Worker and api RSS with many deliveries waiting in backoff. */
export async function benchPendingRss(stack: Stack, label: string, pending: number, timeoutMs = 300_000) {
  const event = `bench.pending.${Date.now()}`;
  await stack.sql`update webhook_subscribers set active = false`;
  await addSubscribers(stack, pending, [event]);
  await stack.resetReceiver('fail');
  const idle = stack.rssMb();
  const started = Date.now();
  await stack.admin('POST', '/events', { event, data: { sentAt: Date.now() } });
  let reached = 0;
  const connection = await Connection.connect({ address: stack.temporal.address });
  const client = new Client({ connection });
  while (Date.now() - started < timeoutMs) {
    const { count } = await client.workflow.count(`WorkflowId STARTS_WITH "event/" AND ExecutionStatus = "Running" AND WorkflowType = "deliveryWorkflow"`);
    reached = count;
    if (reached >= pending) break;
    await new Promise((r) => setTimeout(r, 2000));
  }
  const loaded = stack.rssMb();
  await connection.close();
  const row = { mode: label, pending_retries: reached, seconds_to_reach: Math.round((Date.now() - started) / 1000), worker_rss_idle_mb: idle.worker, worker_rss_mb: loaded.worker, api_rss_mb: loaded.api };
  table('RSS with deliveries waiting in backoff', [row]);
  await stack.resetReceiver('ok');
  return row;
}

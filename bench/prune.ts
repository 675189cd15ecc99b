import os from 'node:os';
import { Client, Connection } from '@temporalio/client';
import { retentionScheduleId } from '../src/temporal/retention-schedule';
import { benchSteadyLatency } from './delivery';
import type { Stack } from './lib/stack';

// `npm run bench -- prune`: the cost of a pruning run during steady delivery. The database is
// seeded with `rows` attempt logs (4 per delivery) 100 days old, past the 90-day log age; then
// the steady-delivery latency is measured without pruning, while the retention Schedule's run
// prunes them, and again afterwards.

const DAY = 86_400_000;

/** The machine is shared: each row says how loaded it was (1-minute load average) when it ended. */
const load = () => +os.loadavg()[0].toFixed(1);

async function seed(stack: Stack, rows: number): Promise<void> {
  const perDelivery = 4;
  const deliveries = rows / perDelivery;
  const at = new Date(Date.now() - 100 * DAY).toISOString();
  const [{ id: subscriberId }] = await stack.sql<{ id: string }[]>`
    insert into webhook_subscribers (url, secret, events, active) values ('http://127.0.0.1:9/old', 'bench-old-secret-0123456789', '["old.event"]', false) returning id`;
  // One statement per 50,000 deliveries keeps each transaction modest.
  for (let start = 0; start < deliveries; start += 50_000) {
    const end = Math.min(deliveries, start + 50_000) - 1;
    await stack.sql.unsafe(
      `insert into webhook_events (id, source, external_id, type, payload, received_at, workflow_id, workflow_started_at, status)
       select 'old-evt-' || n, 'api', 'old-' || n, 'old.event', '{"order":{"id":1,"note":"a bench payload"}}', $1, 'event/old-' || n, $1, 'processed'
       from generate_series($2::int, $3::int) n`,
      [at, start, end],
    );
    await stack.sql.unsafe(
      `insert into webhook_deliveries (id, event_id, subscriber_id, event_type, status, attempts, request_body, workflow_id, created_at, updated_at, completed_at)
       select 'old-dlv-' || n, 'old-evt-' || n, $4::uuid, 'old.event', 'succeeded', 4, '{"event":"old.event"}', 'old-wf-' || n, $1, $1, $1
       from generate_series($2::int, $3::int) n`,
      [at, start, end, subscriberId],
    );
    await stack.sql.unsafe(
      `insert into webhook_logs (delivery_id, event_id, subscriber_id, event, request_body, response_code, response_body, attempts, outcome, created_at)
       select 'old-dlv-' || n, 'old-evt-' || n, $4::uuid, 'old.event', '{"event":"old.event"}', case when a < 4 then 500 else 200 end,
              repeat('r', 200), a, case when a < 4 then 'failure' else 'success' end, $1
       from generate_series($2::int, $3::int) n, generate_series(1, ${perDelivery}) a`,
      [at, start, end, subscriberId],
    );
  }
  await stack.sql`analyze`;
}

async function countOld(stack: Stack) {
  const [row] = await stack.sql<{ logs: number; deliveries: number; events: number }[]>`
    select (select count(*)::int from webhook_logs where delivery_id like 'old-%') as logs,
           (select count(*)::int from webhook_deliveries where id like 'old-%') as deliveries,
           (select count(*)::int from webhook_events where id like 'old-%') as events`;
  return row;
}

export async function benchPrune(stack: Stack, rows = 1_000_000, perSecond = 50, seconds = 30): Promise<Record<string, unknown>[]> {
  const seeded = Date.now();
  await seed(stack, rows);
  console.log(`seeded ${rows} attempt logs in ${((Date.now() - seeded) / 1000).toFixed(1)} s`);

  const results: Record<string, unknown>[] = [];
  results.push({ phase: 'before: no pruning', ...(await benchSteadyLatency(stack, 'steady', perSecond, seconds)), pruned_logs: 0, prune_s: null, load_1m: load() });

  const connection = await Connection.connect({ address: stack.temporal.address });
  const client = new Client({ connection });
  try {
    const schedule = client.schedule.getHandle(retentionScheduleId('webhooks'));
    const started = Date.now();
    await schedule.trigger();
    const run = await (async () => {
      for (;;) {
        const { info } = await schedule.describe();
        const action = [...info.runningActions, ...info.recentActions.map((a) => a.action)].at(-1);
        if (action) return client.workflow.getHandle(action.workflow.workflowId, action.workflow.firstExecutionRunId);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const during = benchSteadyLatency(stack, 'steady', perSecond, seconds);
    const pruned = (await run.result()) as { removed: Record<string, number> };
    const pruneSeconds = (Date.now() - started) / 1000;
    results.push({ phase: 'during a pruning run', ...(await during), pruned_logs: pruned.removed.logs, prune_s: +pruneSeconds.toFixed(1), load_1m: load() });
    console.log(`pruning run: ${JSON.stringify(pruned.removed)} in ${pruneSeconds.toFixed(1)} s; left: ${JSON.stringify(await countOld(stack))}`);
  } finally {
    await connection.close();
  }
  results.push({ phase: 'after: no pruning', ...(await benchSteadyLatency(stack, 'steady', perSecond, seconds)), pruned_logs: 0, prune_s: null, load_1m: load() });
  return results;
}

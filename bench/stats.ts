import type { Stack } from './lib/stack';
import { ADMIN_TOKEN } from './lib/stack';
import { median, percentile, table } from './lib/stats';

// `npm run bench -- stats`: GET /admin/api/stats over 1,000,000 rows of webhook_logs in a real
// PostgreSQL, through the api process's HTTP port. The rows span 7 days, 50 subscribers and 20
// event types; the windows asked for are the dashboard's (1 hour, 24 hours, 7 days = every row)
// and the 7 days filtered by one subscriber and by one event type.

const ROWS = 1_000_000;
const SUBSCRIBERS = 50;
const EVENT_TYPES = 20;
const REQUESTS = 20;

async function fill(stack: Stack, rows: number): Promise<number> {
  const started = performance.now();
  // 85% first attempts, then fewer retries; 90% succeed; latency mostly 20–220 ms with a 5% tail to 3 s.
  await stack.sql.unsafe(`
    insert into webhook_logs (delivery_id, event_id, subscriber_id, event, attempts, outcome, duration_ms, response_code, created_at)
    select 'bench-' || g, 'bench-e-' || g, md5('sub-' || (g % ${SUBSCRIBERS}))::uuid, 'bench.event.' || (g % ${EVENT_TYPES}),
      case when r1 < 0.85 then 1 when r1 < 0.95 then 2 when r1 < 0.99 then 3 else 4 end,
      case when r2 < 0.9 then 'success' else 'failure' end,
      (20 + random() * 200 + case when random() < 0.05 then random() * 3000 else 0 end)::int,
      case when r2 < 0.9 then 200 else 500 end,
      now() - (g::float / ${rows}) * interval '7 days'
    from (select g, random() as r1, random() as r2 from generate_series(1, ${rows}) as g) as s
    -- Logs are appended as attempts happen, so the table is in time order, as in production.
    order by 9`);
  await stack.sql.unsafe('vacuum analyze webhook_logs');
  // The triggers filled the stats' rollup with the same statement (migration 0009).
  await stack.sql.unsafe('vacuum analyze webhook_log_rollup');
  return Math.round(performance.now() - started);
}

async function time(stack: Stack, query: string): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    const started = performance.now();
    const res = await fetch(`${stack.apiUrl}/admin/api/stats?${query}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    const body = (await res.json()) as { totals?: { total: number } };
    times.push(performance.now() - started);
    if (res.status !== 200) throw new Error(`GET /stats?${query}: ${res.status} ${JSON.stringify(body)}`);
  }
  return times;
}

export async function benchStats(stack: Stack): Promise<Record<string, unknown>[]> {
  const fillMs = await fill(stack, ROWS);
  console.log(`inserted ${ROWS} log rows and vacuumed in ${fillMs} ms`);
  const now = Date.now();
  const iso = (ms: number) => new Date(ms).toISOString();
  const last = (ms: number, bucket: string) => `from=${iso(now - ms)}&to=${iso(now)}&bucket=${bucket}`;
  const week = last(7 * 86_400_000, '6h');
  const windows: [string, string][] = [
    ['1 hour, 1m buckets', last(3_600_000, '1m')],
    ['24 hours, 1h buckets', last(86_400_000, '1h')],
    ['7 days (all rows), 6h buckets', week],
    ['7 days, one subscriber', `${week}&subscriber_id=${await firstSubscriber(stack)}`],
    ['7 days, one event type', `${week}&event=bench.event.3`],
  ];
  const rows: Record<string, unknown>[] = [];
  for (const [label, query] of windows) {
    await time(stack, query); // a warm-up pass: the first reads fill the cache
    const t = await time(stack, query);
    const res = (await (await fetch(`${stack.apiUrl}/admin/api/stats?${query}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as { totals: { total: number } };
    rows.push({ window: label, rows_in_window: res.totals.total, requests: REQUESTS, p50_ms: median(t), p95_ms: percentile(t, 95), max_ms: Math.max(...t) });
  }
  table(`GET /admin/api/stats over ${ROWS.toLocaleString('en')} log rows`, rows);
  return rows;
}

async function firstSubscriber(stack: Stack): Promise<string> {
  const [row] = await stack.sql<{ id: string }[]>`select md5('sub-0')::uuid::text as id`;
  return row!.id;
}

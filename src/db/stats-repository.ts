import { eq, sql, type SQL } from 'drizzle-orm';
import type { Db } from './database';
import { deliveries } from './schema';

export interface StatsWindow {
  /** At or after. */
  from: Date;
  /** Before. */
  to: Date;
  subscriberId?: string;
  event?: string;
}

/** Counts of attempts, from webhook_logs: one row per HTTP attempt. */
export interface AttemptCounts {
  total: number;
  succeeded: number;
  failed: number;
}

export interface Percentiles {
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export interface AttemptStats {
  totals: AttemptCounts;
  latency: Percentiles;
  /** Attempts by attempt number: 1 is the first try, 2 the first retry, and so on. */
  retries: (AttemptCounts & { attempt: number })[];
  byEvent: (AttemptCounts & { event: string; p95: number | null })[];
  bySubscriber: (AttemptCounts & { subscriberId: string; p95: number | null })[];
  /** Buckets that saw attempts, oldest first; `at` is the bucket's start. */
  series: (AttemptCounts & Percentiles & { at: Date })[];
}

/** How many groups the per-event and per-subscriber breakdowns return, the most failing first. */
export const BREAKDOWN_LIMIT = 100;

// node-postgres and PGlite both answer `execute` with `rows`; numbers may come back as strings.
type Row = Record<string, unknown>;
const rowsOf = (result: unknown) => (result as { rows: Row[] }).rows;
const n = (v: unknown) => Number(v ?? 0);
const ms = (v: unknown) => (v === null || v === undefined ? null : Math.round(Number(v) * 10) / 10);
const counts = (r: Row): AttemptCounts => ({ total: n(r.total), succeeded: n(r.succeeded), failed: n(r.total) - n(r.succeeded) });

/** The window's rows; every filter is a leading column of an index on webhook_logs. */
function where(w: StatsWindow): SQL {
  const parts = [sql`created_at >= ${w.from.toISOString()}::timestamptz`, sql`created_at < ${w.to.toISOString()}::timestamptz`];
  if (w.subscriberId) parts.push(sql`subscriber_id = ${w.subscriberId}::uuid`);
  if (w.event) parts.push(sql`event = ${w.event}`);
  return sql.join(parts, sql` and `);
}

const COUNTS = sql`count(*) as total, count(*) filter (where outcome = 'success') as succeeded`;
const PERCENTILES = sql`percentile_cont(array[0.5, 0.95, 0.99]) within group (order by duration_ms) as pct`;
const P95 = sql`percentile_cont(0.95) within group (order by duration_ms) as p95`;
const percentiles = (v: unknown): Percentiles => {
  const [p50, p95, p99] = Array.isArray(v) ? v : [null, null, null];
  return { p50: ms(p50), p95: ms(p95), p99: ms(p99) };
};

/** Counts read at scrape time for the metrics, and the admin API's stats over webhook_logs. */
export function createStatsRepository(db: Db) {
  const query = async (q: SQL) => rowsOf(await db.execute(q));
  return {
    /** Deliveries waiting for an attempt or a retry: the queue depth. */
    async countPendingDeliveries(): Promise<number> {
      return Number(await db.$count(deliveries, eq(deliveries.status, 'pending')));
    },

    /**
     * Success rate, latency percentiles, retries by attempt number, per event type, per
     * subscriber, and a time series in buckets of `bucketSeconds`: five aggregate queries over
     * one window of webhook_logs, run side by side.
     */
    async attemptStats(w: StatsWindow, bucketSeconds: number): Promise<AttemptStats> {
      const filter = where(w);
      const bucket = sql`date_bin(${`${bucketSeconds} seconds`}::interval, created_at, timestamptz '1970-01-01T00:00:00Z')`;
      const [totals, retries, byEvent, bySubscriber, series] = await Promise.all([
        query(sql`select ${COUNTS}, ${PERCENTILES} from webhook_logs where ${filter}`),
        query(sql`select attempts as attempt, ${COUNTS} from webhook_logs where ${filter} group by attempts order by attempts`),
        query(sql`select event, ${COUNTS}, ${P95} from webhook_logs where ${filter} group by event
          order by count(*) - count(*) filter (where outcome = 'success') desc, count(*) desc, event limit ${BREAKDOWN_LIMIT}`),
        query(sql`select subscriber_id, ${COUNTS}, ${P95} from webhook_logs where ${filter} group by subscriber_id
          order by count(*) - count(*) filter (where outcome = 'success') desc, count(*) desc, subscriber_id limit ${BREAKDOWN_LIMIT}`),
        query(sql`select ${bucket} as at, ${COUNTS}, ${PERCENTILES} from webhook_logs where ${filter} group by 1 order by 1`),
      ]);
      const total = totals[0] ?? {};
      return {
        totals: counts(total),
        latency: percentiles(total.pct),
        retries: retries.map((r) => ({ attempt: n(r.attempt), ...counts(r) })),
        byEvent: byEvent.map((r) => ({ event: String(r.event), ...counts(r), p95: ms(r.p95) })),
        bySubscriber: bySubscriber.map((r) => ({ subscriberId: String(r.subscriber_id), ...counts(r), p95: ms(r.p95) })),
        series: series.map((r) => ({ at: new Date(r.at as string), ...counts(r), ...percentiles(r.pct) })),
      };
    },
  };
}

export type StatsRepository = ReturnType<typeof createStatsRepository>;

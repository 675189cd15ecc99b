import { eq, sql, type SQL } from 'drizzle-orm';
import type { Db } from './database';
import { rowsOf, type RawRow } from './raw-rows';
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
  byEvent: (AttemptCounts & { event: string })[];
  bySubscriber: (AttemptCounts & { subscriberId: string })[];
  /** Buckets that saw attempts, oldest first; `at` is the bucket's start. */
  series: (AttemptCounts & Percentiles & { at: Date })[];
}

/** Sort memory for the stats' percentiles, for that transaction only. */
const SORT_MEMORY = '64MB';

/** How many groups the per-event and per-subscriber breakdowns return, the most failing first. */
export const BREAKDOWN_LIMIT = 100;

const n = (v: unknown) => Number(v ?? 0);
const ms = (v: unknown) => (v === null || v === undefined ? null : Math.round(Number(v) * 10) / 10);
const counts = (r: RawRow): AttemptCounts => ({ total: n(r.total), succeeded: n(r.succeeded), failed: n(r.total) - n(r.succeeded) });

/** The window's rows; every filter is a leading column of an index on webhook_logs. */
function where(w: StatsWindow): SQL {
  const parts = [sql`created_at >= ${w.from.toISOString()}::timestamptz`, sql`created_at < ${w.to.toISOString()}::timestamptz`];
  if (w.subscriberId) parts.push(sql`subscriber_id = ${w.subscriberId}::uuid`);
  if (w.event) parts.push(sql`event = ${w.event}`);
  return sql.join(parts, sql` and `);
}

const COUNTS = sql`count(*) as total, count(*) filter (where outcome = 'success') as succeeded`;
const PERCENTILES = sql`percentile_cont(array[0.5, 0.95, 0.99]) within group (order by duration_ms) as pct`;
const percentiles = (v: unknown): Percentiles => {
  const [p50, p95, p99] = Array.isArray(v) ? v : [null, null, null];
  return { p50: ms(p50), p95: ms(p95), p99: ms(p99) };
};

/** Counts read at scrape time for the metrics, and the admin API's stats over webhook_logs. */
export function createStatsRepository(db: Db) {
  // The percentile sort of a day's attempts needs more than the default 4 MB to stay in memory.
  const roomyQuery = (q: SQL) =>
    db.transaction(async (tx) => {
      await tx.execute(sql.raw(`set local work_mem = '${SORT_MEMORY}'`));
      return rowsOf(await tx.execute(q));
    });
  return {
    /** Deliveries waiting for an attempt or a retry: the queue depth. */
    async countPendingDeliveries(): Promise<number> {
      return Number(await db.$count(deliveries, eq(deliveries.status, 'pending')));
    },

    /**
     * Success rate, latency percentiles, retries by attempt number, per event type, per
     * subscriber, and a time series in buckets of `bucketSeconds`. Two scans of the window, run
     * side by side: the totals and the series with their exact percentiles (one sort), and the
     * three breakdowns as hash aggregates of one pass (grouping sets).
     */
    async attemptStats(w: StatsWindow, bucketSeconds: number): Promise<AttemptStats> {
      const filter = where(w);
      // A literal, not a parameter: the grouping set and the select list must be the same expression.
      const bucket = sql.raw(`date_bin('${Math.trunc(bucketSeconds)} seconds'::interval, created_at, timestamptz '1970-01-01T00:00:00Z')`);
      const [timeline, breakdowns] = await Promise.all([
        roomyQuery(sql`select ${bucket} as at, grouping(${bucket}) as whole, ${COUNTS}, ${PERCENTILES}
          from webhook_logs where ${filter} group by grouping sets ((), (${bucket}))`),
        db.execute(sql`select attempts, event, subscriber_id, grouping(attempts) as by_attempt, grouping(event) as by_event, ${COUNTS}
          from webhook_logs where ${filter} group by grouping sets ((attempts), (event), (subscriber_id))`).then(rowsOf),
      ]);
      const total = timeline.find((r) => n(r.whole) === 1) ?? {};
      const mostFailing = <T extends AttemptCounts>(rows: T[], key: (r: T) => string) =>
        rows.sort((x, y) => y.failed - x.failed || y.total - x.total || key(x).localeCompare(key(y))).slice(0, BREAKDOWN_LIMIT);
      return {
        totals: counts(total),
        latency: percentiles(total.pct),
        retries: breakdowns
          .filter((r) => n(r.by_attempt) === 0)
          .map((r) => ({ attempt: n(r.attempts), ...counts(r) }))
          .sort((x, y) => x.attempt - y.attempt),
        byEvent: mostFailing(
          breakdowns.filter((r) => n(r.by_attempt) === 1 && n(r.by_event) === 0).map((r) => ({ event: String(r.event), ...counts(r) })),
          (r) => r.event,
        ),
        bySubscriber: mostFailing(
          breakdowns.filter((r) => n(r.by_attempt) === 1 && n(r.by_event) === 1).map((r) => ({ subscriberId: String(r.subscriber_id), ...counts(r) })),
          (r) => r.subscriberId,
        ),
        series: timeline
          .filter((r) => n(r.whole) === 0)
          .map((r) => ({ at: new Date(r.at as string), ...counts(r), ...percentiles(r.pct) }))
          .sort((x, y) => +x.at - +y.at),
      };
    },
  };
}

export type StatsRepository = ReturnType<typeof createStatsRepository>;

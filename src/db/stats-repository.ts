import { eq, sql, type SQL } from 'drizzle-orm';
import type { Db } from './database';
import { addTo, percentile, type Histogram } from './latency-histogram';
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

/** How many groups the per-event and per-subscriber breakdowns return, the most failing first. */
export const BREAKDOWN_LIMIT = 100;

/** The rollup's bucket widths in seconds, widest first (migration 0009 writes both). */
export const ROLLUP_WIDTHS = [3600, 300] as const;
/** The rollup rows that count every subscriber and every event type (rows with attempts = 0 count every attempt number). */
const ALL_SUBSCRIBERS = '00000000-0000-0000-0000-000000000000';
const ALL_EVENTS = '';

export interface StatsOptions {
  /** false: read only raw webhook_logs rows (the reference the rollup is tested against). */
  rollup?: boolean;
}

const n = (v: unknown) => Number(v ?? 0);
const counts = (r: RawRow): AttemptCounts => ({ total: n(r.total), succeeded: n(r.succeeded), failed: n(r.total) - n(r.succeeded) });
const iso = (ms: number) => sql`${new Date(ms).toISOString()}::timestamptz`;
const percentiles = (h: Histogram): Percentiles => ({ p50: percentile(h, 0.5), p95: percentile(h, 0.95), p99: percentile(h, 0.99) });

/**
 * Where a window's rows are read: whole rollup buckets of `width` seconds in [from,
 * to), raw webhook_logs rows in `raw` (the partial buckets at the edges, or the whole
 * window when the series' bucket is finer than every rollup width or the window is short).
 */
interface Plan {
  rolled: { width: number; from: number; to: number } | null;
  raw: [number, number][];
}

function plan(w: StatsWindow, bucketSeconds: number, useRollup: boolean): Plan {
  const from = w.from.getTime();
  const to = w.to.getTime();
  const width = useRollup ? ROLLUP_WIDTHS.find((x) => bucketSeconds % x === 0) : undefined;
  if (width === undefined) return { rolled: null, raw: [[from, to]] };
  const step = width * 1000;
  const a = Math.ceil(from / step) * step;
  const b = Math.floor(to / step) * step;
  if (a >= b) return { rolled: null, raw: [[from, to]] };
  const raw: [number, number][] = [];
  if (from < a) raw.push([from, a]);
  if (b < to) raw.push([b, to]);
  return { rolled: { width, from: a, to: b }, raw };
}

/** The raw rows in any of the ranges, filtered; every filter is a leading column of an index on webhook_logs. */
function rawWhere(w: StatsWindow, ranges: [number, number][]): SQL {
  const inRange = sql.join(
    ranges.map(([a, b]) => sql`(created_at >= ${iso(a)} and created_at < ${iso(b)})`),
    sql` or `,
  );
  const parts = [sql`(${inRange})`];
  if (w.subscriberId) parts.push(sql`subscriber_id = ${w.subscriberId}::uuid`);
  if (w.event) parts.push(sql`event = ${w.event}`);
  return sql.join(parts, sql` and `);
}

/**
 * The rollup rows a query reads. `time` (totals, series, attempt numbers) and `latency` use the
 * rows over every subscriber and event when nothing is filtered; `breakdown` (per event, per
 * subscriber) and filtered latency use the rows over every attempt number (attempts = 0).
 */
function rolledWhere(w: StatsWindow, r: NonNullable<Plan['rolled']>, use: 'time' | 'latency' | 'breakdown'): SQL {
  const parts = [sql`width = ${r.width}`, sql`bucket_at >= ${iso(r.from)}`, sql`bucket_at < ${iso(r.to)}`];
  if (use !== 'breakdown' && !w.subscriberId && !w.event) parts.push(sql`subscriber_id = ${ALL_SUBSCRIBERS}::uuid and event = ${ALL_EVENTS}`);
  else {
    parts.push(w.subscriberId ? sql`subscriber_id = ${w.subscriberId}::uuid` : sql`subscriber_id <> ${ALL_SUBSCRIBERS}::uuid`);
    if (w.event) parts.push(sql`event = ${w.event}`);
    parts.push(use === 'time' ? sql`attempts > 0` : sql`attempts = 0`);
  }
  return sql.join(parts, sql` and `);
}

/** Counts read at scrape time for the metrics, and the admin API's stats over webhook_logs and its rollup. */
export function createStatsRepository(db: Db) {
  const query = async (q: SQL) => rowsOf(await db.execute(q));
  return {
    /** Deliveries waiting for an attempt or a retry: the queue depth. */
    async countPendingDeliveries(): Promise<number> {
      return Number(await db.$count(deliveries, eq(deliveries.status, 'pending')));
    },

    /**
     * Success rate, latency percentiles, retries by attempt number, per event type, per
     * subscriber, and a time series in buckets of `bucketSeconds`. Whole rollup buckets come
     * from webhook_log_rollup and only the partial buckets at the window's edges from
     * webhook_logs, so the cost follows the window's buckets, not its rows. Counts are exact;
     * percentiles are nearest-rank within LATENCY_RELATIVE_ERROR (src/db/latency-histogram.ts),
     * the same whichever table they came from. Three queries, run side by side: the totals, the
     * series and the attempt numbers (from the rollup's rows over everything when nothing is
     * filtered), the per-event and per-subscriber counts, and the latency histograms per bucket.
     */
    async attemptStats(w: StatsWindow, bucketSeconds: number, options: StatsOptions = {}): Promise<AttemptStats> {
      const p = plan(w, bucketSeconds, options.rollup !== false);
      // A literal, not a parameter: the grouping set and the select list must be the same expression.
      const at = sql.raw(`date_bin('${Math.trunc(bucketSeconds)} seconds'::interval, t, timestamptz '1970-01-01T00:00:00Z')`);
      const union = (rolled: SQL | null, raw: SQL | null) => sql.join([rolled, raw].filter((x): x is SQL => x !== null), sql` union all `);
      const countRows = (use: 'time' | 'breakdown') =>
        union(
          p.rolled && sql`select bucket_at as t, attempts, event, subscriber_id, total, succeeded from webhook_log_rollup where ${rolledWhere(w, p.rolled, use)}`,
          p.raw.length > 0 ? sql`select created_at as t, attempts, event, subscriber_id, 1 as total, (outcome = 'success')::int as succeeded from webhook_logs where ${rawWhere(w, p.raw)}` : null,
        );
      const binRows = union(
        p.rolled &&
          sql`select bucket_at as t, u.bin, u.n from webhook_log_rollup cross join lateral unnest(bins, counts) as u(bin, n) where ${rolledWhere(w, p.rolled, 'latency')}`,
        p.raw.length > 0
          ? sql`select created_at as t, webhook_latency_bin(duration_ms) as bin, 1 as n from webhook_logs where ${rawWhere(w, p.raw)} and duration_ms is not null`
          : null,
      );
      const [timeGroups, breakdowns, bins] = await Promise.all([
        query(sql`select ${at} as at, attempts, grouping(${at}) as g_at, grouping(attempts) as g_attempt, sum(total) as total, sum(succeeded) as succeeded
          from (${countRows('time')}) as s group by grouping sets ((), (${at}), (attempts))`),
        query(sql`select event, subscriber_id, grouping(event) as g_event, sum(total) as total, sum(succeeded) as succeeded
          from (${countRows('breakdown')}) as s group by grouping sets ((event), (subscriber_id))`),
        query(sql`select ${at} as at, bin, sum(n) as n from (${binRows}) as s group by 1, 2`),
      ]);

      const histograms = new Map<number, Histogram>();
      for (const r of bins) {
        const key = new Date(r.at as string).getTime();
        const h = histograms.get(key) ?? new Map<number, number>();
        h.set(n(r.bin), (h.get(n(r.bin)) ?? 0) + n(r.n));
        histograms.set(key, h);
      }
      const overall = [...histograms.values()].reduce(addTo, new Map<number, number>());
      const total = timeGroups.find((r) => n(r.g_at) + n(r.g_attempt) === 2) ?? {};
      const mostFailing = <T extends AttemptCounts>(rows: T[], key: (r: T) => string) =>
        rows.sort((x, y) => y.failed - x.failed || y.total - x.total || key(x).localeCompare(key(y))).slice(0, BREAKDOWN_LIMIT);
      return {
        totals: counts(total),
        latency: percentiles(overall),
        retries: timeGroups
          .filter((r) => n(r.g_at) === 1 && n(r.g_attempt) === 0)
          .map((r) => ({ attempt: n(r.attempts), ...counts(r) }))
          .sort((x, y) => x.attempt - y.attempt),
        byEvent: mostFailing(
          breakdowns.filter((r) => n(r.g_event) === 0).map((r) => ({ event: String(r.event), ...counts(r) })),
          (r) => r.event,
        ),
        bySubscriber: mostFailing(
          breakdowns.filter((r) => n(r.g_event) === 1).map((r) => ({ subscriberId: String(r.subscriber_id), ...counts(r) })),
          (r) => r.subscriberId,
        ),
        series: timeGroups
          .filter((r) => n(r.g_at) === 0)
          .map((r) => {
            const time = new Date(r.at as string);
            return { at: time, ...counts(r), ...percentiles(histograms.get(time.getTime()) ?? new Map()) };
          })
          .sort((x, y) => +x.at - +y.at),
      };
    },
  };
}

export type StatsRepository = ReturnType<typeof createStatsRepository>;

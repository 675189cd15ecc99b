import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Repositories } from '../db/repositories';
import type { AttemptCounts } from '../db/stats-repository';
import { fieldError, instant } from './validation';

export interface StatsRouteOptions {
  repos: Repositories;
  /** Milliseconds since the epoch; the default window ends now. */
  now?: () => number;
}

/** The bucket sizes a time series may use, in seconds. */
export const BUCKETS = { '1m': 60, '5m': 300, '15m': 900, '1h': 3600, '6h': 21_600, '1d': 86_400 } as const;
type Bucket = keyof typeof BUCKETS;
/** At most this many buckets per series: the answer stays small and quick to draw. */
export const MAX_BUCKETS = 2000;
const DAY_MS = 86_400_000;

const statsQuery = z
  .object({
    from: instant.optional().describe('Attempts at or after; default: 24 hours before `to`'),
    to: instant.optional().describe('Attempts before; default: now'),
    bucket: z.enum(Object.keys(BUCKETS) as [Bucket, ...Bucket[]]).optional().describe('The time series step; default: the smallest that gives at most 200 buckets'),
    subscriber_id: z.uuid().optional(),
    event: z.string().min(1).max(200).optional(),
  })
  .refine((q) => !q.from || !q.to || q.from < q.to, { message: 'must be before to', path: ['from'] });

/** The smallest bucket that cuts the window into at most 200 pieces. */
function autoBucket(spanMs: number): Bucket {
  const keys = Object.keys(BUCKETS) as Bucket[];
  return keys.find((k) => spanMs / (BUCKETS[k] * 1000) <= 200) ?? '1d';
}

const rate = (c: AttemptCounts) => (c.total > 0 ? Math.round((c.succeeded / c.total) * 10_000) / 10_000 : null);
const withRate = <T extends AttemptCounts>(c: T) => ({ ...c, success_rate: rate(c) });

/** GET /admin/api/stats (SPEC S8): attempt outcomes and latency over a window, from webhook_logs. */
export default async function adminStatsRoutes(fastify: FastifyInstance, { repos, now = Date.now }: StatsRouteOptions) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  app.get(
    '/stats',
    {
      schema: {
        tags: ['stats'],
        summary: 'Success rate, latency p50/p95/p99, retries by attempt number, per event type, per subscriber, and a time series',
        querystring: statsQuery,
      },
    },
    async (request) => {
      const q = request.query;
      const to = q.to ?? new Date(now());
      const from = q.from ?? new Date(to.getTime() - DAY_MS);
      if (from >= to) throw fieldError('from', 'must be before to');
      const bucket = q.bucket ?? autoBucket(to.getTime() - from.getTime());
      const step = BUCKETS[bucket] * 1000;
      if ((to.getTime() - from.getTime()) / step > MAX_BUCKETS) throw fieldError('bucket', `gives more than ${MAX_BUCKETS} buckets over this window; pick a larger one`);

      const [s, queueDepth] = await Promise.all([
        repos.stats.attemptStats({ from, to, subscriberId: q.subscriber_id, event: q.event }, BUCKETS[bucket]),
        repos.stats.countPendingDeliveries(),
      ]);
      // Every bucket of the window, the empty ones as zeros, so that charts keep their time axis.
      const seen = new Map(s.series.map((b) => [b.at.getTime(), b]));
      const series = [];
      for (let at = Math.floor(from.getTime() / step) * step; at < to.getTime(); at += step) {
        const b = seen.get(at);
        series.push({ at: new Date(at), total: b?.total ?? 0, succeeded: b?.succeeded ?? 0, failed: b?.failed ?? 0, p50: b?.p50 ?? null, p95: b?.p95 ?? null, p99: b?.p99 ?? null });
      }
      return {
        from,
        to,
        bucket,
        filter: { subscriber_id: q.subscriber_id ?? null, event: q.event ?? null },
        totals: withRate(s.totals),
        latency_ms: s.latency,
        retries: s.retries.map(withRate),
        by_event: s.byEvent.map(withRate),
        by_subscriber: s.bySubscriber.map(({ subscriberId, ...c }) => ({ subscriber_id: subscriberId, ...withRate(c) })),
        series,
        queue_depth: queueDepth,
      };
    },
  );
}

// GET /admin/api/stats, read into the shape the dashboard draws. The one place that knows the
// response's field names.

interface Counts {
  total: number;
  succeeded: number;
  failed: number;
  success_rate: number | null;
}

/** The response of GET /admin/api/stats. */
export interface StatsResponse {
  totals: Counts;
  latency_ms: { p50: number | null; p95: number | null; p99: number | null };
  retries: (Counts & { attempt: number })[];
  by_event: (Counts & { event: string })[];
  by_subscriber: (Counts & { subscriber_id: string })[];
  series: { at: string; succeeded: number; failed: number; p50: number | null; p95: number | null; p99: number | null }[];
  queue_depth: number;
}

export interface Stats {
  successRate: number | null;
  total: number;
  latency: StatsResponse['latency_ms'];
  retries: { attempt: number; count: number }[];
  series: { at: number; succeeded: number; failed: number; p50: number | null; p95: number | null; p99: number | null }[];
  bySubscriber: { id: string; total: number; failed: number; successRate: number | null }[];
  byEvent: { event: string; total: number; failed: number; successRate: number | null }[];
  queueDepth: number;
}

export function readStats(raw: StatsResponse): Stats {
  return {
    successRate: raw.totals.success_rate,
    total: raw.totals.total,
    latency: raw.latency_ms,
    retries: raw.retries.map((r) => ({ attempt: r.attempt, count: r.total })),
    // uPlot's time axis is in seconds.
    series: raw.series.map((b) => ({ ...b, at: Math.floor(new Date(b.at).getTime() / 1000) })),
    bySubscriber: raw.by_subscriber.map((s) => ({ id: s.subscriber_id, total: s.total, failed: s.failed, successRate: s.success_rate })),
    byEvent: raw.by_event.map((e) => ({ event: e.event, total: e.total, failed: e.failed, successRate: e.success_rate })),
    queueDepth: raw.queue_depth,
  };
}

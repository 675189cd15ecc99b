// GET /admin/api/stats, read into the shape the dashboard draws. The one place that knows the
// response's field names.

export interface Stats {
  successRate: number | null;
  total: number;
  succeeded: number;
  failed: number;
  latency: { p50: number | null; p95: number | null; p99: number | null };
  retries: { attempt: number; count: number }[];
  series: { at: number; succeeded: number; failed: number; p50: number | null; p95: number | null; p99: number | null }[];
  bySubscriber: { id: string; total: number; failed: number; successRate: number | null }[];
  byEvent: { event: string; total: number; failed: number; successRate: number | null }[];
  queueDepth: number | null;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && v !== '' && Number.isFinite(Number(v)) ? Number(v) : null);
const arr = (v: unknown): any[] => (Array.isArray(v) ? v : []);

export function readStats(raw: any): Stats {
  const totals = raw?.totals ?? raw ?? {};
  const latency = raw?.latency_ms ?? raw?.latency ?? {};
  const rate = (x: any) => num(x?.success_rate) ?? (num(x?.total) ? (num(x?.succeeded) ?? 0) / num(x?.total)! : null);
  return {
    successRate: rate(totals),
    total: num(totals.total) ?? num(totals.attempts) ?? 0,
    succeeded: num(totals.succeeded) ?? 0,
    failed: num(totals.failed) ?? 0,
    latency: { p50: num(latency.p50), p95: num(latency.p95), p99: num(latency.p99) },
    retries: arr(raw?.retries ?? raw?.retry_distribution).map((r) => ({ attempt: num(r.attempt) ?? 0, count: num(r.count) ?? 0 })),
    series: arr(raw?.series ?? raw?.time_series).map((b) => ({
      at: Math.floor(new Date(b.at ?? b.bucket ?? b.start).getTime() / 1000),
      succeeded: num(b.succeeded) ?? 0,
      failed: num(b.failed) ?? 0,
      p50: num(b.p50 ?? b.latency_ms?.p50),
      p95: num(b.p95 ?? b.latency_ms?.p95),
      p99: num(b.p99 ?? b.latency_ms?.p99),
    })),
    bySubscriber: arr(raw?.by_subscriber ?? raw?.subscribers).map((s) => ({ id: String(s.subscriber_id ?? s.id), total: num(s.total) ?? 0, failed: num(s.failed) ?? 0, successRate: rate(s) })),
    byEvent: arr(raw?.by_event ?? raw?.by_event_type ?? raw?.events).map((e) => ({ event: String(e.event ?? e.type), total: num(e.total) ?? 0, failed: num(e.failed) ?? 0, successRate: rate(e) })),
    queueDepth: num(raw?.queue_depth ?? raw?.pending),
  };
}

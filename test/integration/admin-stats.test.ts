import { LATENCY_RELATIVE_ERROR } from '../../src/db/latency-histogram';
import { seedAttempts, seedSubscriber, type SeedAttempt } from '../helpers/admin-seed';
import { startHarness, type Harness } from '../helpers/harness';

// GET /admin/api/stats (SPEC S8): computed in SQL over webhook_logs and its rollup, checked against hand-made history.

/** Percentiles come from a log-scale histogram: each within LATENCY_RELATIVE_ERROR of the exact one (and 0.1 ms of rounding). */
function expectLatency(actual: Record<string, unknown>, exact: { p50: number; p95: number; p99: number }) {
  for (const k of ['p50', 'p95', 'p99'] as const) {
    expect([k, Math.abs(Number(actual[k]) - exact[k]) <= exact[k] * LATENCY_RELATIVE_ERROR + 0.05]).toEqual([k, true]);
  }
}

describe('admin API: stats', () => {
  let h: Harness;
  let a: string;
  let b: string;
  const t0 = Date.parse('2026-01-01T00:00:00Z');
  const window = 'from=2026-01-01T00:00:00Z&to=2026-01-01T02:00:00Z';

  beforeAll(async () => {
    h = await startHarness({ LOG_LEVEL: 'silent' }, { worker: false });
    const db = h.database.db;
    a = (await seedSubscriber(db)).id;
    b = (await seedSubscriber(db)).id;
    const rows: SeedAttempt[] = [];
    // A: ten first attempts that succeed in 10, 20, ... 100 ms, one a minute from 00:00.
    for (let i = 0; i < 10; i++) {
      rows.push({ deliveryId: `a-${i}`, eventId: `e-a-${i}`, subscriberId: a, event: 'order.created', attempts: 1, outcome: 'success', durationMs: (i + 1) * 10, responseCode: 200, createdAt: new Date(t0 + i * 60_000) });
    }
    // B: one delivery that fails three times in 1 s and succeeds on the fourth try in 200 ms, at 01:05.
    for (let attempt = 1; attempt <= 4; attempt++) {
      const ok = attempt === 4;
      rows.push({ deliveryId: 'b-0', eventId: 'e-b-0', subscriberId: b, event: 'order.paid', attempts: attempt, outcome: ok ? 'success' : 'failure', durationMs: ok ? 200 : 1000, responseCode: ok ? 200 : 500, createdAt: new Date(t0 + 65 * 60_000 + attempt * 1000) });
    }
    // Outside the window: never counted.
    rows.push({ deliveryId: 'late', eventId: 'e-late', subscriberId: a, event: 'order.created', attempts: 1, outcome: 'failure', durationMs: 5, createdAt: new Date(t0 + 3 * 3600_000) });
    await seedAttempts(db, rows);
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('answers success rate, latency percentiles, retries, per event, per subscriber and a time series', async () => {
    const res = await h.admin('GET', `/stats?${window}&bucket=1h`);
    expect(res.status).toBe(200);
    const s = res.json;
    expect(s.bucket).toBe('1h');
    expect(s.totals).toEqual({ total: 14, succeeded: 11, failed: 3, success_rate: 0.7857 });
    // Durations 10..100, 200 and 1000 three times: nearest-rank p50 is the 7th, 70 ms; p95 and p99 1000 ms.
    expectLatency(s.latency_ms, { p50: 70, p95: 1000, p99: 1000 });
    expect(s.retries.map((r: { attempt: number; total: number }) => [r.attempt, r.total])).toEqual([
      [1, 11],
      [2, 1],
      [3, 1],
      [4, 1],
    ]);
    expect(s.by_subscriber.map((r: { subscriber_id: string; failed: number }) => [r.subscriber_id, r.failed])).toEqual([
      [b, 3],
      [a, 0],
    ]);
    expect(s.by_event.find((e: { event: string }) => e.event === 'order.paid')).toMatchObject({ total: 4, succeeded: 1, failed: 3, success_rate: 0.25 });
    expect(s.series.map((x: { at: string; total: number; failed: number }) => [x.at, x.total, x.failed])).toEqual([
      ['2026-01-01T00:00:00.000Z', 10, 0],
      ['2026-01-01T01:00:00.000Z', 4, 3],
    ]);
    expect(s.series[0]).toMatchObject({ succeeded: 10 });
    expectLatency(s.series[0], { p50: 50, p95: 100, p99: 100 });
  });

  it('filters by subscriber and by event type, and fills empty buckets with zeros', async () => {
    const onlyA = (await h.admin('GET', `/stats?${window}&subscriber_id=${a}`)).json;
    expect(onlyA.totals.total).toBe(10);
    expect(onlyA.bucket).toBe('1m');
    expect(onlyA.series).toHaveLength(120);
    expect(onlyA.series[10]).toMatchObject({ total: 0, p50: null });
    const paid = (await h.admin('GET', `/stats?${window}&event=order.paid&bucket=15m`)).json;
    expect(paid.totals).toMatchObject({ total: 4, failed: 3 });
    expect(paid.series).toHaveLength(8);
  });

  it('refuses bad parameters with 400 and names the field', async () => {
    const cases: [string, string][] = [
      ['bucket=2m', 'bucket'],
      ['from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z', 'from'],
      ['from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z&bucket=1m', 'bucket'],
      ['subscriber_id=nope', 'subscriber_id'],
      ['from=yesterday', 'from'],
    ];
    for (const [query, field] of cases) {
      const res = await h.admin('GET', `/stats?${query}`);
      expect([query, res.status, res.json.error]).toEqual([query, 400, 'validation_failed']);
      expect(res.json.details.map((d: { field: string }) => d.field)).toContain(field);
    }
  });

  it('requires the admin token', async () => {
    expect((await h.app.inject({ method: 'GET', url: `/admin/api/stats?${window}` })).statusCode).toBe(401);
  });
});

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import type { Database } from '../../src/db/database';
import { createDeliveryRepository } from '../../src/db/delivery-repository';
import { binValue, LATENCY_RELATIVE_ERROR } from '../../src/db/latency-histogram';
import { rowsOf } from '../../src/db/raw-rows';
import { createRetentionRepository } from '../../src/retention/retention-repository';
import { createStatsRepository, type StatsWindow } from '../../src/db/stats-repository';
import type { AttemptOutcome } from '../../src/db/schema';
import { seedAttempts, type SeedAttempt } from '../helpers/admin-seed';
import { freshDatabase } from '../helpers/database';

// GET /admin/api/stats reads whole buckets from webhook_log_rollup (kept by triggers on
// webhook_logs, migration 0009) and raw rows only at a window's edges. Every answer must equal
// the one computed from raw rows alone, after inserts, re-recorded attempts, updates and pruning.

const SUBS = ['0a000000-0000-4000-8000-000000000001', '0a000000-0000-4000-8000-000000000002', '0a000000-0000-4000-8000-000000000003'];
const EVENTS = ['order.created', 'order.paid', 'user.deleted'];
const OUTCOMES: AttemptOutcome[] = ['success', 'success', 'success', 'failure', 'timeout'];
const t0 = Date.parse('2026-03-01T00:00:00Z');
const HOUR = 3_600_000;

/** A small deterministic generator, so that a failure can be replayed. */
function prng(seed: number) {
  return () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
}

describe('stats from the rollup', () => {
  let database: Database;
  const stats = () => createStatsRepository(database.db);

  beforeAll(async () => {
    database = await freshDatabase();
    const rnd = prng(7);
    const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)]!;
    const rows: SeedAttempt[] = [];
    for (let i = 0; i < 3000; i++) {
      const tail = rnd() < 0.05 ? rnd() * 20_000 : 0;
      rows.push({
        deliveryId: `d-${i}`,
        eventId: `e-${i}`,
        subscriberId: pick(SUBS),
        event: pick(EVENTS),
        attempts: 1 + Math.floor(rnd() ** 3 * 4),
        outcome: pick(OUTCOMES),
        durationMs: Math.round(rnd() * 300 + tail),
        createdAt: new Date(t0 + Math.floor(rnd() * 30 * HOUR)),
      });
    }
    await seedAttempts(database.db, rows);
    // Attempts without a duration count, but have no latency.
    await database.db.execute(sql`update webhook_logs set duration_ms = null where id % 97 = 0`);
    // Re-recorded attempts overwrite their log row (another outcome, another time), as the recorder does.
    const deliveries = createDeliveryRepository(database.db);
    await deliveries.recordAttempts(
      rows.slice(0, 40).map((r, i) => ({
        log: { ...r, outcome: i % 2 ? 'success' : 'failure', durationMs: 5000 + i, createdAt: new Date(t0 + 29 * HOUR + i * 60_000) },
        update: {},
      })),
    );
    // A body removed by retention changes no count; deleted logs leave the rollup.
    await database.db.execute(sql`update webhook_logs set response_body = null`);
    await database.db.execute(sql`delete from webhook_logs where id % 13 = 0`);
  }, 60_000);
  afterAll(async () => {
    await database?.close();
  });

  it('answers every window, bucket and filter exactly as the raw rows do', async () => {
    const windows: [string, string][] = [
      ['2026-03-01T00:00:00Z', '2026-03-02T06:00:00Z'], // aligned on hours: rollup only
      ['2026-03-01T00:07:13.250Z', '2026-03-02T03:41:09Z'], // partial buckets at both edges
      ['2026-02-28T12:00:00Z', '2026-03-03T00:00:00Z'], // wider than the data
      ['2026-03-01T05:02:00Z', '2026-03-01T05:58:00Z'], // inside one hour
      ['2026-03-01T10:00:00Z', '2026-03-01T10:03:00Z'], // shorter than any bucket
    ];
    const filters: Omit<StatsWindow, 'from' | 'to'>[] = [{}, { subscriberId: SUBS[1] }, { event: EVENTS[2] }, { subscriberId: SUBS[0], event: EVENTS[0] }];
    let compared = 0;
    for (const [from, to] of windows) {
      for (const bucket of [60, 300, 900, 3600, 21_600, 86_400]) {
        for (const f of filters) {
          const w = { from: new Date(from), to: new Date(to), ...f };
          const [rolled, raw] = await Promise.all([stats().attemptStats(w, bucket), stats().attemptStats(w, bucket, { rollup: false })]);
          expect({ from, to, bucket, f, ...rolled }).toEqual({ from, to, bucket, f, ...raw });
          compared++;
        }
      }
    }
    expect(compared).toBe(120);
    // Re-recorded attempts were stamped now(): a window up to an hour from now holds every row.
    const all = await stats().attemptStats({ from: new Date(t0 - HOUR), to: new Date(Date.now() + HOUR) }, 3600);
    const [{ n }] = rowsOf(await database.db.execute(sql`select count(*)::int as n from webhook_logs`)) as { n: number }[];
    expect(all.totals.total).toBe(n);
  });

  it('keeps the rollup equal to webhook_logs, row for row, in each of its scopes', async () => {
    const bucket = sql`date_bin(make_interval(secs => width), created_at, timestamptz '1970-01-01T00:00:00Z')`;
    const sums = sql`count(*)::int, (count(*) filter (where outcome = 'success'))::int`;
    const widths = sql`webhook_logs cross join (values (300), (3600)) as w(width)`;
    const fromScratch = sql`
      select width, ${bucket}, subscriber_id, event, attempts, ${sums} from ${widths} group by 1, 2, 3, 4, 5
      union all select width, ${bucket}, subscriber_id, event, 0, ${sums} from ${widths} group by 1, 2, 3, 4
      union all select width, ${bucket}, '00000000-0000-0000-0000-000000000000'::uuid, '', attempts, ${sums} from ${widths} group by 1, 2, 5`;
    const kept = sql`select width, bucket_at, subscriber_id, event, attempts, total, succeeded from webhook_log_rollup`;
    const mismatches = rowsOf(await database.db.execute(sql`select * from ((${fromScratch}) except (${kept})) a union all select * from ((${kept}) except (${fromScratch})) b`));
    expect(mismatches).toEqual([]);
  });

  it('reports percentiles within the histogram error of the exact nearest-rank ones', async () => {
    const w = { from: new Date('2026-03-01T00:07:13Z'), to: new Date('2026-03-02T03:41:09Z') };
    const s = await stats().attemptStats(w, 3600);
    const [exact] = rowsOf(
      await database.db.execute(sql`select percentile_disc(array[0.5, 0.95, 0.99]) within group (order by duration_ms) as pct
        from webhook_logs where created_at >= ${w.from.toISOString()}::timestamptz and created_at < ${w.to.toISOString()}::timestamptz`),
    );
    const [p50, p95, p99] = (exact!.pct as number[]).map(Number);
    for (const [got, want] of [
      [s.latency.p50, p50],
      [s.latency.p95, p95],
      [s.latency.p99, p99],
    ] as [number, number][]) {
      expect(Math.abs(got - want)).toBeLessThanOrEqual(want * LATENCY_RELATIVE_ERROR + 0.05);
    }
  });

  it('reads back each bin of the database within the error bound', async () => {
    const rows = rowsOf(
      await database.db.execute(sql`select v, webhook_latency_bin(v) as bin from (select generate_series(0, 2000) as v union all select (1.013 ^ g)::int from generate_series(600, 1500) as g) as s`),
    );
    const off = rows.filter((r) => Math.abs(binValue(Number(r.bin)) - Number(r.v)) > Number(r.v) * LATENCY_RELATIVE_ERROR);
    expect(rows.length).toBeGreaterThan(2900);
    expect(off).toEqual([]);
  });

  it('prunes the rollup with the logs', async () => {
    const retention = createRetentionRepository(database.db);
    while ((await retention.deleteLogs(new Date(t0 + 12 * HOUR), 500)) > 0);
    const left = rowsOf(await database.db.execute(sql`select count(*)::int as n from webhook_log_rollup where bucket_at < ${new Date(t0 + 11 * HOUR).toISOString()}::timestamptz`));
    expect(left).toEqual([{ n: 0 }]);
    const s = await stats().attemptStats({ from: new Date(t0 - HOUR), to: new Date(t0 + 12 * HOUR) }, 3600);
    expect(s.totals.total).toBe(0);
  });
});

// PGlite is an ES module that jest's CommonJS runtime cannot import: the same check in a child process.
const ON_PGLITE = `
  const { isDeepStrictEqual } = require('node:util');
  const { sql } = require('drizzle-orm');
  const { openDatabase } = require('./src/db/database');
  const { createStatsRepository } = require('./src/db/stats-repository');
  (async () => {
    const database = await openDatabase({ dataDir: process.argv[1] });
    const t0 = Date.parse('2026-03-01T00:00:00Z');
    await database.db.execute(sql\`insert into webhook_logs (delivery_id, event_id, subscriber_id, event, attempts, outcome, duration_ms, created_at)
      select 'p-' || g, 'e-' || g, ('0a000000-0000-4000-8000-00000000000' || (g % 3))::uuid, 'order.' || (g % 2), 1 + g % 3,
        case when g % 5 < 3 then 'success' else 'failure' end, (g * 37) % 2000, to_timestamp(\${t0 / 1000}) + (g * 71 % 360) * interval '1 minute'
      from generate_series(1, 300) as g\`);
    await database.db.execute(sql\`update webhook_logs set outcome = 'success', duration_ms = 3 where id % 7 = 0\`);
    await database.db.execute(sql\`delete from webhook_logs where id % 11 = 0\`);
    const stats = createStatsRepository(database.db);
    let compared = 0;
    for (const bucket of [300, 3600]) {
      for (const f of [{}, { subscriberId: '0a000000-0000-4000-8000-000000000002' }]) {
        const w = { from: new Date(t0 + 7 * 60000), to: new Date(t0 + 5 * 3600000 + 13 * 60000), ...f };
        const [rolled, raw] = [await stats.attemptStats(w, bucket), await stats.attemptStats(w, bucket, { rollup: false })];
        if (!isDeepStrictEqual(rolled, raw)) throw new Error('differs: ' + JSON.stringify({ bucket, f, rolled, raw }));
        compared++;
      }
    }
    const all = await stats.attemptStats({ from: new Date(t0), to: new Date(t0 + 6 * 3600000) }, 3600);
    await database.close();
    console.log(JSON.stringify({ compared, total: all.totals.total }));
  })().catch((err) => { console.error(err); process.exit(1); });
`;

describe('stats from the rollup on PGlite', () => {
  it('answers as the raw rows do, after an update and a delete', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hookyard-rollup-'));
    try {
      const out = execFileSync(process.execPath, ['--import', 'tsx', '-e', ON_PGLITE, dir], { cwd: path.resolve(__dirname, '../..'), stdio: 'pipe', timeout: 90_000 });
      expect(JSON.parse(out.toString().trim().split('\n').pop()!)).toEqual({ compared: 4, total: 300 - 27 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

import { sql } from 'drizzle-orm';
import { openDatabase, type Database } from '../../src/db/database';
import { isDatabaseUnavailable } from '../../src/errors';
import { startPostgres, type PostgresServer } from '../helpers/postgres-server';

// The database layer when PostgreSQL loses connections under it. postgres.js 3.4.9, the driver
// before node-postgres, failed both of these: backends killed under a stream of queries left
// later queries pending forever, and a write flushed after its socket closed threw from a timer
// and ended the process (porsager/postgres#1154, #1208) — which is how the worker died in the
// PostgreSQL-outage fault test.

describe('the PostgreSQL pool when connections die', () => {
  let pg: PostgresServer;
  let database: Database;
  const idleErrors: Error[] = [];

  beforeAll(async () => {
    pg = await startPostgres();
    database = await openDatabase({ url: pg.url(), dataDir: '', poolSize: 4, migrate: false, onIdleError: (err) => idleErrors.push(err) });
  });
  afterAll(async () => {
    await database?.close();
    pg?.stop();
  });

  const one = async () => ((await database.db.execute(sql`select 1::int as n`)) as unknown as { rows: { n: number }[] }).rows[0].n;

  it('fails only the queries on a killed backend, and answers every query after', async () => {
    const admin = await openDatabase({ url: pg.url(), dataDir: '', poolSize: 1, migrate: false });
    const outcomes = { ok: 0, unavailable: 0, other: [] as unknown[] };
    let stop = false;
    const lanes = Array.from({ length: 8 }, async () => {
      while (!stop) {
        await one().then(
          () => outcomes.ok++,
          (err: unknown) => (isDatabaseUnavailable(err) ? outcomes.unavailable++ : outcomes.other.push(err)),
        );
      }
    });
    try {
      for (let i = 0; i < 20; i++) {
        await admin.db.execute(sql`select pg_terminate_backend(pid) from pg_stat_activity where pid <> pg_backend_pid() and datname = current_database()`);
        await new Promise((r) => setTimeout(r, 25));
      }
    } finally {
      stop = true;
      await Promise.all(lanes);
      await admin.close();
    }
    expect(outcomes.other).toEqual([]);
    expect(outcomes.ok).toBeGreaterThan(0);
    expect(outcomes.unavailable).toBeGreaterThan(0);
    const started = Date.now();
    expect(await Promise.all(Array.from({ length: 16 }, one))).toEqual(Array(16).fill(1));
    expect(Date.now() - started).toBeLessThan(2_000);
  }, 60_000);

  it('refuses promptly with an unavailable error while the server is stopped, and recovers when it is back', async () => {
    expect(await one()).toBe(1);
    pg.pause();
    try {
      // pg_ctl blocks this process's event loop while it stops the server: let the pool hear
      // about its closed connections first, as it would in a process that was not blocked.
      await new Promise((r) => setTimeout(r, 200));
      const started = Date.now();
      const err = await one().then(() => null, (e: unknown) => e);
      expect(isDatabaseUnavailable(err)).toBe(true);
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      pg.resume();
    }
    expect(await Promise.all(Array.from({ length: 8 }, one))).toEqual(Array(8).fill(1));
    // The pool had idle connections when the server stopped: it said so and replaced them.
    expect(idleErrors.length).toBeGreaterThan(0);
  }, 60_000);
});

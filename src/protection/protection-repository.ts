import { sql } from 'drizzle-orm';
import type { Db } from '../db/database';

// Endpoint protection's shared state, in PostgreSQL so that it holds across every worker:
// a counter of POSTs in flight per subscriber (webhook_subscriber_protection.in_flight) kept
// beside one lease row per POST (webhook_subscriber_leases). Taking a lease is one statement:
// the conditional UPDATE re-checks `in_flight < max` under the row lock, so two workers can never
// both take the last slot. A lease whose worker died expires and is reaped by the next refusal.
// Times are the database's clock, so workers with skewed clocks agree on a pause.

/** Why a lease was refused. */
export type GateRefusal = { pausedUntil: number; reason: string } | { full: true; inFlight: number };
export type GateAnswer = { leaseId: string } | GateRefusal;

export interface ProtectionState {
  subscriberId: string;
  inFlight: number;
  pausedUntil: Date | null;
  pauseReason: string | null;
}

interface Row extends Record<string, unknown> {
  lease_id: string | null;
  exists: boolean | null;
  in_flight: number | null;
  paused_until_ms: number | string | null;
  pause_reason: string | null;
}

const rowsOf = <T>(result: unknown): T[] => (result as { rows: T[] }).rows;

export function createProtectionRepository(db: Db) {
  const take = async (subscriberId: string, maxInFlight: number, ttlMs: number): Promise<Row> => {
    const result = await db.execute(sql`
      with up as (
        update webhook_subscriber_protection set in_flight = in_flight + 1, updated_at = now()
        where subscriber_id = ${subscriberId} and in_flight < ${maxInFlight}
          and (paused_until is null or paused_until <= now())
        returning subscriber_id
      ), lease as (
        insert into webhook_subscriber_leases (subscriber_id, expires_at)
        select subscriber_id, now() + ${ttlMs}::int * interval '1 millisecond' from up
        returning id
      )
      select (select id::text from lease) as lease_id,
             p.subscriber_id is not null as exists,
             p.in_flight,
             case when p.paused_until > now() then (extract(epoch from p.paused_until) * 1000)::float8 end as paused_until_ms,
             p.pause_reason
      from (select 1) as one
      left join webhook_subscriber_protection p on p.subscriber_id = ${subscriberId}`);
    return rowsOf<Row>(result)[0];
  };

  return {
    /** A lease for one POST, or why not: the subscriber is paused, or max_in_flight POSTs are in flight. */
    async tryAcquire(subscriberId: string, maxInFlight: number, ttlMs: number): Promise<GateAnswer> {
      for (let round = 0; ; round++) {
        const row = await take(subscriberId, maxInFlight, ttlMs);
        if (row.lease_id) return { leaseId: row.lease_id };
        if (row.paused_until_ms !== null) return { pausedUntil: Number(row.paused_until_ms), reason: row.pause_reason ?? 'paused' };
        if (round > 0) return { full: true, inFlight: Number(row.in_flight ?? 0) };
        if (!row.exists) {
          // The subscriber's first admission: make its row, then ask again.
          await db.execute(sql`insert into webhook_subscriber_protection (subscriber_id) values (${subscriberId}) on conflict do nothing`);
        } else if ((await this.reap(subscriberId)) === 0) {
          return { full: true, inFlight: Number(row.in_flight ?? 0) };
        }
      }
    },

    /**
     * Ends a lease; with `pauseMs`, also pauses the subscriber that long from now (never
     * shortening a longer pause already in force).
     */
    async release(leaseId: string, pause: { ms: number; reason: string } | null): Promise<void> {
      await db.execute(sql`
        with gone as (delete from webhook_subscriber_leases where id = ${leaseId} returning subscriber_id)
        update webhook_subscriber_protection p
        set in_flight = greatest(p.in_flight - 1, 0),
            updated_at = now(),
            paused_until = case when ${pause?.ms ?? null}::int is null then p.paused_until
                                else greatest(coalesce(p.paused_until, now()), now() + ${pause?.ms ?? null}::int * interval '1 millisecond') end,
            pause_reason = case when ${pause?.ms ?? null}::int is null then p.pause_reason else ${pause?.reason ?? null}::text end
        from gone where p.subscriber_id = gone.subscriber_id`);
    },

    /** Drops the expired leases of a subscriber (their workers died mid-POST); returns how many. */
    async reap(subscriberId: string): Promise<number> {
      const result = await db.execute(sql`
        with gone as (
          delete from webhook_subscriber_leases where subscriber_id = ${subscriberId} and expires_at <= now() returning 1
        ), n as (select count(*)::int as n from gone)
        update webhook_subscriber_protection set in_flight = greatest(in_flight - (select n from n), 0), updated_at = now()
        where subscriber_id = ${subscriberId} and (select n from n) > 0
        returning (select n from n) as reaped`);
      const [row] = rowsOf<{ reaped: number }>(result);
      return row ? Number(row.reaped) : 0;
    },

    /** The shared state of one subscriber, for the admin API; null before its first admission. */
    async state(subscriberId: string): Promise<ProtectionState | null> {
      const result = await db.execute(sql`
        select subscriber_id, in_flight, paused_until, pause_reason from webhook_subscriber_protection where subscriber_id = ${subscriberId}`);
      const [row] = rowsOf<{ subscriber_id: string; in_flight: number; paused_until: Date | string | null; pause_reason: string | null }>(result);
      if (!row) return null;
      return {
        subscriberId: row.subscriber_id,
        inFlight: Number(row.in_flight),
        pausedUntil: row.paused_until === null ? null : new Date(row.paused_until),
        pauseReason: row.pause_reason,
      };
    },
  };
}

export type ProtectionRepository = ReturnType<typeof createProtectionRepository>;

import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/database';
import type { BreakerSettings, HealthChange } from './circuit-breaker';
import { breakerCountersSql, createCircuitRepository, releasedRow, type BreakerOutcome } from './circuit-repository';

// Endpoint protection's shared state, in PostgreSQL so that it holds across every worker:
// a counter of POSTs in flight per subscriber (webhook_subscriber_protection.in_flight) kept
// beside one lease row per POST (webhook_subscriber_leases). Taking a lease is one statement:
// the conditional UPDATE re-checks `in_flight < max` under the row lock, so two workers can never
// both take the last slot. A lease whose worker died expires and is reaped by the next refusal.
// Times are the database's clock, so workers with skewed clocks agree on a pause.

/**
 * Why a lease was refused: an open circuit, a pause or the rate limit (until a known time), or
 * max_in_flight. A circuit refusal may carry the change it made (the subscriber disabled), to be told.
 */
export type GateRefusal =
  | { waitUntil: number; kind: 'paused' | 'rate'; reason: string }
  | { waitUntil: number; kind: 'circuit'; reason: string; change: HealthChange | null }
  | { full: true; inFlight: number };
/**
 * `probe`: the one attempt let through while the circuit is open. `reusable`: the subscriber is
 * at its configured cap with a closed circuit, so the worker may keep the lease warm for its next
 * POST (src/engine/admission.ts, "Warm leases").
 */
export type GateAnswer = { leaseId: string; probe?: boolean; reusable?: boolean } | GateRefusal;

export interface RateLimit {
  perSecond: number;
  burst: number;
}

export interface GateRequest {
  subscriberId: string;
  /** The delivery asking: a rate-limited one keeps its booked send time across asks. */
  deliveryId: string;
  maxInFlight: number;
  rateLimit: RateLimit | null;
  /** Held by a pause longer than WEBHOOK_MAX_PAUSE past its due time: it goes anyway (one attempt). */
  ignorePause?: boolean;
  /** The breaker's settings; without them the circuit is not consulted (unit tests of the other checks). */
  breaker?: BreakerSettings | null;
}

/** One subscriber's shared protection state, for /metrics. */
export interface EndpointLoad {
  subscriberId: string;
  inFlight: number;
  paused: boolean;
  circuitOpen: boolean;
  /** The adaptive cap when lowered below max_in_flight; null at the configured value. */
  effectiveInFlight: number | null;
  /** The adaptive rate when lowered below the configured rate_limit; null at the configured value. */
  effectiveRatePerSecond: number | null;
}

/** An attempt's load signal for the adaptive cap and, for a rate-limited subscriber, the adaptive rate. */
export interface LoadSignal {
  signal: 'overload' | 'success';
  maxInFlight: number;
  /** The subscriber's configured rate_limit per second, when it has one. */
  ratePerSecond?: number | null;
}

/** One lease's release (see `release` in the repository below). */
export interface LeaseRelease {
  leaseId: string;
  /** Its subscriber: two releases of one subscriber never share a statement. */
  subscriberId: string;
  pause: { ms: number; reason: string } | null;
  load?: LoadSignal | null;
  breaker?: BreakerOutcome | null;
  /** Successes of earlier POSTs made on this (warm) lease, counted before this result. */
  carried?: number;
}

export interface ProtectionState {
  subscriberId: string;
  inFlight: number;
  pausedUntil: Date | null;
  pauseReason: string | null;
  /** The adaptive cap below max_in_flight after overload signals; null at the configured value. */
  effectiveInFlight: number | null;
  /** The adaptive rate below rate_limit after overload signals; null at the configured value. */
  effectiveRatePerSecond: number | null;
}

interface Row extends Record<string, unknown> {
  lease_id: string | null;
  exists: boolean | null;
  in_flight: number | null;
  paused_until_ms: number | string | null;
  pause_reason: string | null;
  circuit_state: string | null;
  at_configured_cap: boolean | null;
}

const rowsOf = <T>(result: unknown): T[] => (result as { rows: T[] }).rows;

/**
 * A CTE that locks the subscribers' protection rows in one order (by id). A statement that
 * changes many of them (a batch of takes or releases) names it with LOCKED_FIRST in its WHERE:
 * the scalar subquery runs once, before the first row is changed, so every row is locked in that
 * order up front, and two batches from two workers can never wait for each other (a deadlock).
 */
const lockedInOrder = (subscriberIds: SQL) =>
  sql`locked as materialized (select p.subscriber_id from webhook_subscriber_protection p where p.subscriber_id in (${subscriberIds}) order by p.subscriber_id for update)`;
const LOCKED_FIRST = sql`(select count(*) from locked) >= 0`;

export function createProtectionRepository(db: Db) {
  const circuit = createCircuitRepository(db);
  const take = async (subscriberId: string, maxInFlight: number, ttlMs: number, ignorePause: boolean, breaker: boolean): Promise<Row> => {
    const result = await db.execute(sql`
      with up as (
        update webhook_subscriber_protection set in_flight = in_flight + 1, updated_at = now()
        where subscriber_id = ${subscriberId} and in_flight < least(${maxInFlight}::int, coalesce(floor(effective_in_flight)::int, ${maxInFlight}::int))
          and (paused_until is null or paused_until <= now() or ${ignorePause}::boolean)
          and (circuit_state = 'closed' or not ${breaker}::boolean)
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
             p.pause_reason,
             p.circuit_state,
             p.effective_in_flight is null as at_configured_cap
      from (select 1) as one
      left join webhook_subscriber_protection p on p.subscriber_id = ${subscriberId}`);
    return rowsOf<Row>(result)[0];
  };

  /** One round of `releaseMany` (at most one lease per subscriber); the rows it left, by lease id. */
  const releaseRound = async (items: LeaseRelease[]): Promise<Map<string, Record<string, unknown>>> => {
    const values = items.map(({ leaseId, pause, load, breaker, carried }) => {
      // Successes a warm lease carried count for the breaker only when it is on.
      const extra = breaker ? Math.max(0, Math.floor(carried ?? 0)) : 0;
      return sql`(${leaseId}::uuid, ${pause?.ms ?? null}::int, ${pause?.reason ?? null}::text, ${load?.signal ?? null}::text, ${load?.maxInFlight ?? null}::int,
        ${load?.ratePerSecond ?? null}::float8, ${breaker?.signal ?? null}::text, ${extra}::int, ${breaker?.settings.windowMs ?? 60_000}::int, ${breaker?.error ?? null}::text)`;
    });
    const counters = breakerCountersSql();
    // Multiplicative decrease at most once a second (a burst of refusals is one signal).
    const decrease = sql`(v.signal = 'overload' and (p.effective_changed_at is null or p.effective_changed_at < now() - interval '1 second'))`;
    const result = await db.execute(sql`
      with v (lease_id, pause_ms, pause_reason, signal, max, rate, b_signal, b_extra, window_ms, b_error) as (values ${sql.join(values, sql`, `)}),
      gone as (delete from webhook_subscriber_leases l using v where l.id = v.lease_id returning l.id, l.subscriber_id),
      ${lockedInOrder(sql`select subscriber_id from gone`)}
      update webhook_subscriber_protection p
      set in_flight = greatest(p.in_flight - 1, 0),
          updated_at = now(),
          effective_in_flight = case
            when ${decrease} then greatest(1, floor(coalesce(p.effective_in_flight, v.max) / 2))
            when v.signal = 'success' and p.effective_in_flight is not null then
              case when p.effective_in_flight + 1.0 / p.effective_in_flight >= v.max then null
                   else p.effective_in_flight + 1.0 / p.effective_in_flight end
            else p.effective_in_flight end,
          effective_changed_at = case when ${decrease} then now() else p.effective_changed_at end,
          -- The adaptive rate of a rate-limited subscriber: halved on overload (never below a
          -- sixteenth of its rate_limit), raised by a twentieth of it per success.
          effective_rate_per_second = case
            when v.rate is null then p.effective_rate_per_second
            when ${decrease} then greatest(v.rate / 16, coalesce(p.effective_rate_per_second, v.rate) / 2)
            when v.signal = 'success' and p.effective_rate_per_second is not null then
              case when p.effective_rate_per_second + v.rate / 20 >= v.rate then null
                   else p.effective_rate_per_second + v.rate / 20 end
            else p.effective_rate_per_second end,
          paused_until = case when v.pause_ms is null then p.paused_until
                              else greatest(coalesce(p.paused_until, now()), now() + v.pause_ms * interval '1 millisecond') end,
          pause_reason = case when v.pause_ms is not null
                                and (p.paused_until is null or p.paused_until < now() + v.pause_ms * interval '1 millisecond')
                              then v.pause_reason else p.pause_reason end,
          ${counters.set}
      from gone join v on v.lease_id = gone.id
      where p.subscriber_id = gone.subscriber_id and ${LOCKED_FIRST}
      returning ${counters.returning}`);
    return new Map(rowsOf<Record<string, unknown>>(result).map((row) => [String(row.lease_id), row]));
  };

  return {
    circuit,

    /**
     * A lease for one POST, or why not: the circuit is open (only its probe goes), the subscriber
     * is paused, over its rate limit, or has max_in_flight POSTs in flight.
     */
    async tryAcquire(request: GateRequest, ttlMs: number): Promise<GateAnswer> {
      const { subscriberId, maxInFlight } = request;
      const breaker = request.breaker ?? null;
      if (request.rateLimit) {
        let answer = await this.tryAcquireLimited(request, request.rateLimit, ttlMs);
        if ('full' in answer && (await this.reap(subscriberId)) > 0) answer = await this.tryAcquireLimited(request, request.rateLimit, ttlMs);
        return 'circuitOpen' in answer ? circuit.gate(subscriberId, ttlMs, breaker!) : answer;
      }
      for (let round = 0; ; round++) {
        const row = await take(subscriberId, maxInFlight, ttlMs, request.ignorePause === true, breaker !== null);
        // Reusable only at the configured cap, with a closed circuit and no pause in force (a lease
        // taken past a pause, for an overdue attempt, must not carry more POSTs).
        if (row.lease_id) {
          const reusable = row.at_configured_cap === true && row.circuit_state === 'closed' && row.paused_until_ms === null && request.ignorePause !== true;
          return { leaseId: row.lease_id, reusable };
        }
        if (breaker && row.circuit_state !== null && row.circuit_state !== 'closed') return circuit.gate(subscriberId, ttlMs, breaker);
        if (row.paused_until_ms !== null && !request.ignorePause) return { waitUntil: Number(row.paused_until_ms), kind: 'paused', reason: row.pause_reason ?? 'paused' };
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
     * Leases for many subscribers in one statement, taken ahead of their POSTs (a fan-out page's
     * next deliveries; src/engine/admission.ts, "Prefetched leases"). Only leases that a worker may
     * keep warm are taken: the subscriber is below its max_in_flight at its configured cap, with a
     * closed circuit and no pause. Any other subscriber is left out, and its POST asks `tryAcquire`
     * as usual. Returns the lease taken per subscriber.
     */
    async takeMany(requests: { subscriberId: string; maxInFlight: number }[], ttlMs: number): Promise<Map<string, string>> {
      const distinct = [...new Map(requests.map((r) => [r.subscriberId, r])).values()];
      if (distinct.length === 0) return new Map();
      const values = distinct.map((r) => sql`(${r.subscriberId}::uuid, ${r.maxInFlight}::int)`);
      const result = await db.execute(sql`
        with v (subscriber_id, max) as (values ${sql.join(values, sql`, `)}),
        ${lockedInOrder(sql`select subscriber_id from v`)},
        up as (
          update webhook_subscriber_protection p set in_flight = p.in_flight + 1, updated_at = now()
          from v
          where p.subscriber_id = v.subscriber_id and ${LOCKED_FIRST} and p.in_flight < v.max and p.effective_in_flight is null
            and p.circuit_state = 'closed' and (p.paused_until is null or p.paused_until <= now())
          returning p.subscriber_id
        )
        insert into webhook_subscriber_leases (subscriber_id, expires_at)
        select subscriber_id, now() + ${ttlMs}::int * interval '1 millisecond' from up
        returning id::text as lease_id, subscriber_id::text as subscriber_id`);
      return new Map(rowsOf<{ lease_id: string; subscriber_id: string }>(result).map((r) => [r.subscriber_id, r.lease_id]));
    },

    /**
     * The rate-limited path, in one transaction under the subscriber's row lock: a GCRA token
     * bucket (rate `perSecond`, `burst` at once). A delivery over the limit books the next free
     * send time and is told to wait until then; asking again at that time it is admitted on its
     * booking, without a new token, so the waiting deliveries go out in the order they asked.
     */
    async tryAcquireLimited(request: GateRequest, rate: RateLimit, ttlMs: number): Promise<GateAnswer | { circuitOpen: true }> {
      const { subscriberId, deliveryId, maxInFlight } = request;
      return db.transaction(async (tx) => {
        const lock = () =>
          tx.execute(sql`
            select in_flight, floor(effective_in_flight)::int as effective, effective_rate_per_second as effective_rate,
                   case when paused_until > now() then (extract(epoch from paused_until) * 1000)::float8 end as paused_ms,
                   pause_reason as reason,
                   (extract(epoch from rate_tat) * 1000)::float8 as tat_ms,
                   (extract(epoch from sent_tat) * 1000)::float8 as sent_ms,
                   (extract(epoch from now()) * 1000)::float8 as now_ms, circuit_state
            from webhook_subscriber_protection where subscriber_id = ${subscriberId} for update`);
        type Locked = { in_flight: number; effective: number | null; effective_rate: number | null; paused_ms: number | null; reason: string | null; tat_ms: number | null; sent_ms: number | null; now_ms: number; circuit_state: string };
        let [p] = rowsOf<Locked>(await lock());
        if (!p) {
          // The row is made with its subscriber (migration 0011); one missing is made here, once.
          await tx.execute(sql`insert into webhook_subscriber_protection (subscriber_id) values (${subscriberId}) on conflict do nothing`);
          [p] = rowsOf<Locked>(await lock());
        }
        if (request.breaker && p.circuit_state !== 'closed') return { circuitOpen: true as const };
        if (p.paused_ms !== null && !request.ignorePause) return { waitUntil: Number(p.paused_ms), kind: 'paused' as const, reason: p.reason ?? 'paused' };
        const now = Number(p.now_ms);
        const [booked] = rowsOf<{ ready_ms: number }>(
          await tx.execute(sql`select (extract(epoch from ready_at) * 1000)::float8 as ready_ms from webhook_rate_reservations where delivery_id = ${deliveryId}`),
        );
        // The adaptive rate, when overload lowered it, below the configured one.
        const perSecond = p.effective_rate === null ? rate.perSecond : Math.min(rate.perSecond, Number(p.effective_rate));
        const reason = `rate limit ${rate.perSecond}/s (burst ${rate.burst})${perSecond < rate.perSecond ? `, lowered to ${Number(perSecond.toFixed(2))}/s by overload` : ''}`;
        if (booked && Number(booked.ready_ms) > now) return { waitUntil: Number(booked.ready_ms), kind: 'rate' as const, reason };
        // GCRA: a request conforms when the theoretical arrival time is within the burst tolerance of now.
        const interval = 1000 / perSecond;
        const tolerance = (rate.burst - 1) * interval;
        // Half a token of slack: a sender that comes back a few ms after its turn (a round trip)
        // keeps the rhythm instead of adding its lateness to every later turn.
        const sentArrival = Math.max(now - interval / 2, p.sent_ms === null ? now : Number(p.sent_ms));
        let tat: number | null = null;
        if (!booked) {
          const arrival = Math.max(now, p.tat_ms === null ? now : Number(p.tat_ms));
          const conformsAt = arrival - tolerance;
          tat = arrival + interval;
          if (conformsAt > now) {
            await tx.execute(sql`
              insert into webhook_rate_reservations (delivery_id, subscriber_id, ready_at)
              values (${deliveryId}, ${subscriberId}, to_timestamp(${conformsAt / 1000}::float8))`);
            await tx.execute(sql`update webhook_subscriber_protection set rate_tat = to_timestamp(${tat / 1000}::float8) where subscriber_id = ${subscriberId}`);
            return { waitUntil: Math.ceil(conformsAt), kind: 'rate' as const, reason };
          }
        }
        // Bookings whose deliveries came back late must not go out together: the sent bucket spaces them.
        if (sentArrival - tolerance > now) return { waitUntil: Math.ceil(sentArrival - tolerance), kind: 'rate' as const, reason };
        // Its token (or its booking) is kept for later when max_in_flight POSTs are in flight.
        if (Number(p.in_flight) >= Math.min(maxInFlight, p.effective === null ? maxInFlight : Number(p.effective))) {
          return { full: true as const, inFlight: Number(p.in_flight) };
        }
        if (booked) await tx.execute(sql`delete from webhook_rate_reservations where delivery_id = ${deliveryId}`);
        await tx.execute(sql`
          update webhook_subscriber_protection
          set in_flight = in_flight + 1, updated_at = now(), sent_tat = to_timestamp(${(sentArrival + interval) / 1000}::float8)${
            tat === null ? sql`` : sql`, rate_tat = to_timestamp(${tat / 1000}::float8)`
          }
          where subscriber_id = ${subscriberId}`);
        const [lease] = rowsOf<{ id: string }>(
          await tx.execute(sql`
            insert into webhook_subscriber_leases (subscriber_id, expires_at)
            values (${subscriberId}, now() + ${ttlMs}::int * interval '1 millisecond') returning id::text as id`),
        );
        return { leaseId: lease.id };
      });
    },

    /**
     * Ends a lease; with `pauseMs`, also pauses the subscriber that long from now (never
     * shortening a longer pause already in force). With `breaker`, the attempt also counts for
     * the circuit breaker, whose changes of state (to be told) are returned. `carried` counts the
     * successes of earlier POSTs made on the same warm lease, before this one's result.
     */
    async release(
      leaseId: string,
      pause: { ms: number; reason: string } | null,
      load: LoadSignal | null = null,
      breaker: BreakerOutcome | null = null,
      carried = 0,
    ): Promise<HealthChange[]> {
      // One item: its subscriber is not needed to keep two of them apart, so the lease id stands in.
      const [changes] = await this.releaseMany([{ leaseId, subscriberId: leaseId, pause, load, breaker, carried }]);
      if (changes instanceof Error) throw changes;
      return changes;
    },

    /**
     * Ends many leases, each as `release` would, in one statement per round: two leases of one
     * subscriber never share a statement (one UPDATE changes a row once), so a batch that holds
     * both is written in two rounds (the admission's batches hold one lease per subscriber, so
     * theirs are one statement, all or nothing). Returns each release's changes of health, in
     * order, or the error of its breaker step alone: the others' changes are still told.
     */
    async releaseMany(items: LeaseRelease[]): Promise<(HealthChange[] | Error)[]> {
      const out: (HealthChange[] | Error)[] = items.map(() => []);
      const rounds: number[][] = [];
      const seen = new Map<string, number>();
      items.forEach((item, i) => {
        const round = seen.get(item.subscriberId) ?? 0;
        seen.set(item.subscriberId, round + 1);
        (rounds[round] ??= []).push(i);
      });
      for (const round of rounds) {
        const rows = await releaseRound(round.map((i) => items[i]));
        await Promise.all(
          round.map(async (i) => {
            const { leaseId, breaker, load } = items[i];
            const row = rows.get(leaseId);
            if (!row || !breaker) return;
            try {
              out[i] = await circuit.afterRelease(releasedRow(row), breaker, load?.signal ?? null);
            } catch (err) {
              out[i] = err instanceof Error ? err : new Error(String(err));
            }
          }),
        );
      }
      return out;
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

    /**
     * Subscribers with POSTs in flight, paused, with an open circuit or a lowered adaptive cap,
     * busiest first, at most `limit` (for /metrics).
     */
    async busy(limit: number): Promise<EndpointLoad[]> {
      const result = await db.execute(sql`
        select subscriber_id, in_flight, coalesce(paused_until > now(), false) as paused, circuit_state <> 'closed' as circuit_open,
               floor(effective_in_flight)::int as effective, effective_rate_per_second as effective_rate
        from webhook_subscriber_protection
        where in_flight > 0 or paused_until > now() or circuit_state <> 'closed' or effective_in_flight is not null or effective_rate_per_second is not null
        order by in_flight desc, subscriber_id
        limit ${limit}`);
      return rowsOf<{ subscriber_id: string; in_flight: number; paused: boolean; circuit_open: boolean; effective: number | null; effective_rate: number | null }>(result).map((r) => ({
        subscriberId: r.subscriber_id,
        inFlight: Number(r.in_flight),
        paused: r.paused === true,
        circuitOpen: r.circuit_open === true,
        effectiveInFlight: r.effective === null ? null : Number(r.effective),
        effectiveRatePerSecond: r.effective_rate === null ? null : Number(r.effective_rate),
      }));
    },

    /** The shared state of one subscriber, for the admin API; null only for a subscriber deleted meanwhile (the row is made with the subscriber, migration 0011). */
    async state(subscriberId: string): Promise<ProtectionState | null> {
      const result = await db.execute(sql`
        select subscriber_id, in_flight, paused_until, pause_reason, floor(effective_in_flight)::int as effective, effective_rate_per_second as effective_rate
        from webhook_subscriber_protection where subscriber_id = ${subscriberId}`);
      const [row] = rowsOf<{ subscriber_id: string; in_flight: number; paused_until: Date | string | null; pause_reason: string | null; effective: number | null; effective_rate: number | null }>(result);
      if (!row) return null;
      return {
        subscriberId: row.subscriber_id,
        inFlight: Number(row.in_flight),
        pausedUntil: row.paused_until === null ? null : new Date(row.paused_until),
        pauseReason: row.pause_reason,
        effectiveInFlight: row.effective === null ? null : Number(row.effective),
        effectiveRatePerSecond: row.effective_rate === null ? null : Number(row.effective_rate),
      };
    },
  };
}

export type ProtectionRepository = ReturnType<typeof createProtectionRepository>;

import { randomUUID } from 'node:crypto';
import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/database';
import {
  disableDue,
  openReason,
  probeDelayMs,
  type BreakerSettings,
  type BreakerSignal,
  type HealthChange,
  type HealthState,
} from './circuit-breaker';

// The circuit breaker's state in PostgreSQL (webhook_subscriber_protection), shared by every
// worker. Each change of state is one conditional UPDATE, so exactly one worker makes it and
// tells it (a HealthChange). The rules are circuit-breaker.ts's; this file only stores them.

const rowsOf = <T>(result: unknown): T[] => (result as { rows: T[] }).rows;
const ms = (v: number | string | null | undefined) => (v === null || v === undefined ? null : Number(v));
const dateOf = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string));

/** What a lease's release left in the row, for the breaker's next step. */
export interface ReleasedRow {
  subscriberId: string;
  circuitState: string;
  wasProbe: boolean;
  probeFailures: number;
  windowAttempts: number;
  windowFailures: number;
  timeoutsInRow: number;
  healthState: HealthState;
  effectiveInFlight: number | null;
  /** The adaptive rate of a rate-limited subscriber, when overload lowered it. */
  effectiveRate: number | null;
}

export interface BreakerOutcome {
  signal: BreakerSignal | null;
  /** The attempt's error, kept as the subscriber's last error. */
  error: string | null;
  settings: BreakerSettings;
}

/**
 * The SET clauses and RETURNING columns that a lease's release adds for the breaker's counters.
 * They read the release's own row `v` (src/protection/protection-repository, `releaseMany`):
 * `v.b_signal` (the attempt's breaker signal), `v.b_extra` (successes carried by a warm lease,
 * counted before it), `v.window_ms`, `v.b_error` and `v.lease_id`.
 */
export function breakerCountersSql(): { set: SQL; returning: SQL } {
  const rolled = sql`(p.window_started_at is null or p.window_started_at <= now() - v.window_ms * interval '1 millisecond')`;
  const counted = sql`(v.b_signal is not null or v.b_extra > 0)`;
  const attempts = sql`((case when v.b_signal is not null then 1 else 0 end) + v.b_extra)`;
  const failed = sql`coalesce(v.b_signal in ('failure', 'timeout'), false)`;
  return {
    set: sql`
      window_started_at = case when ${counted} and ${rolled} then now() else p.window_started_at end,
      window_attempts = case when not ${counted} then p.window_attempts when ${rolled} then ${attempts} else p.window_attempts + ${attempts} end,
      window_failures = case when not ${counted} then p.window_failures
                             when ${rolled} then (case when ${failed} then 1 else 0 end)
                             else p.window_failures + (case when ${failed} then 1 else 0 end) end,
      timeouts_in_row = case when v.b_signal = 'timeout' then (case when v.b_extra > 0 then 1 else p.timeouts_in_row + 1 end)
                             when ${counted} then 0 else p.timeouts_in_row end,
      first_failure_at = case when ${failed} then coalesce(p.first_failure_at, now())
                              when (v.b_signal = 'success' or v.b_extra > 0) and p.health_state = 'healthy' and p.circuit_state = 'closed'
                                   and (${rolled} or p.window_failures = 0) then null
                              else p.first_failure_at end,
      last_error = case when ${failed} then coalesce(v.b_error, v.b_signal) else p.last_error end`,
    returning: sql`v.lease_id::text as lease_id, p.subscriber_id::text as subscriber_id, p.circuit_state, coalesce(p.probe_lease_id = v.lease_id, false) as was_probe,
      p.probe_failures, p.window_attempts, p.window_failures, p.timeouts_in_row, p.health_state, p.effective_in_flight, p.effective_rate_per_second`,
  };
}

export function releasedRow(r: Record<string, unknown>): ReleasedRow {
  return {
    subscriberId: String(r.subscriber_id),
    circuitState: String(r.circuit_state),
    wasProbe: r.was_probe === true,
    probeFailures: Number(r.probe_failures ?? 0),
    windowAttempts: Number(r.window_attempts ?? 0),
    windowFailures: Number(r.window_failures ?? 0),
    timeoutsInRow: Number(r.timeouts_in_row ?? 0),
    healthState: String(r.health_state) as HealthState,
    effectiveInFlight: ms(r.effective_in_flight as number | null | undefined),
    effectiveRate: ms(r.effective_rate_per_second as number | null | undefined),
  };
}

export interface CircuitView {
  state: string;
  openedAt: Date | null;
  nextProbeAt: Date | null;
  probeFailures: number;
  health: HealthState;
  firstFailureAt: Date | null;
  lastError: string | null;
}

export function createCircuitRepository(db: Db) {
  /** One change of health, made by one conditional UPDATE; null when another worker made it first. */
  const transition = async (
    subscriberId: string,
    to: HealthState,
    reason: string,
    where: SQL,
    set: SQL,
  ): Promise<HealthChange | null> => {
    const result = await db.execute(sql`
      update webhook_subscriber_protection p set ${set}, health_state = ${to}, health_seq = p.health_seq + 1, updated_at = now()
      from (select subscriber_id, health_state as previous, first_failure_at as first_failure
            from webhook_subscriber_protection where subscriber_id = ${subscriberId}) o
      where p.subscriber_id = o.subscriber_id and ${where}
      returning p.health_seq, o.previous, o.first_failure, p.last_error, now() as at`);
    const [row] = rowsOf<{ health_seq: number; previous: HealthState; first_failure: unknown; last_error: string | null; at: unknown }>(result);
    if (!row) return null;
    return {
      subscriberId,
      state: to,
      previous: row.previous,
      seq: Number(row.health_seq),
      reason,
      firstFailureAt: dateOf(row.first_failure),
      lastError: row.last_error,
      at: dateOf(row.at) ?? new Date(),
    };
  };

  const repo = {
    /**
     * The gate while the circuit is not closed: the one probe when it is due (a lease marked as
     * the probe), otherwise "wait until the next probe". Past WEBHOOK_DISABLE_AFTER it also
     * disables the subscriber (the change is returned to be told).
     */
    async gate(
      subscriberId: string,
      ttlMs: number,
      settings: BreakerSettings,
    ): Promise<{ leaseId: string; probe: true } | { waitUntil: number; kind: 'circuit'; reason: string; change: HealthChange | null }> {
      const leaseId = randomUUID();
      const taken = await db.execute(sql`
        with probe as (
          update webhook_subscriber_protection set circuit_state = 'probing', probe_lease_id = ${leaseId}::uuid, in_flight = in_flight + 1,
                 next_probe_at = now() + ${ttlMs}::int * interval '1 millisecond', updated_at = now()
          where subscriber_id = ${subscriberId} and next_probe_at <= now() and circuit_state in ('open', 'probing')
          returning subscriber_id
        )
        insert into webhook_subscriber_leases (id, subscriber_id, expires_at)
        select ${leaseId}::uuid, subscriber_id, now() + ${ttlMs}::int * interval '1 millisecond' from probe
        returning id`);
      if (rowsOf(taken).length > 0) return { leaseId, probe: true };
      const view = await repo.view(subscriberId);
      // During a probe, ask again soon: its success releases the held backlog.
      const waitUntil = view?.state === 'probing' ? Date.now() + 1_000 : Math.max(view?.nextProbeAt?.getTime() ?? 0, Date.now() + 250);
      let change: HealthChange | null = null;
      if (view?.openedAt && view.health !== 'disabled' && disableDue(view.openedAt.getTime(), Date.now(), settings)) {
        change = await repo.disable(subscriberId, settings);
      }
      return { waitUntil, kind: 'circuit', reason: 'circuit_open', change };
    },

    /** The breaker's step after a lease's release: open, close after a probe, reopen, degrade or recover. */
    async afterRelease(row: ReleasedRow, outcome: BreakerOutcome | null, load: 'overload' | 'success' | null): Promise<HealthChange[]> {
      const settings = outcome?.settings;
      if (!settings) return [];
      const signal = outcome.signal;
      const id = row.subscriberId;
      const changes: (HealthChange | null)[] = [];
      if (row.wasProbe) {
        if (signal === 'success') {
          // Closed, and the held backlog drains with a ramp-up: the adaptive cap restarts at 1.
          changes.push(
            await transition(
              id,
              'healthy',
              'a probe succeeded; the circuit closed',
              sql`p.circuit_state = 'probing'`,
              sql`circuit_state = 'closed', circuit_opened_at = null, next_probe_at = null, probe_failures = 0, probe_lease_id = null,
                  window_started_at = now(), window_attempts = 0, window_failures = 0, timeouts_in_row = 0, first_failure_at = null,
                  effective_in_flight = 1, effective_changed_at = now()`,
            ),
          );
        } else {
          // No answer (null) is not a failure: probe again soon. A failure backs off.
          const failures = signal === null ? row.probeFailures : row.probeFailures + 1;
          const delay = signal === null ? 0 : probeDelayMs(failures, settings);
          const reopened = await db.execute(sql`
            update webhook_subscriber_protection set circuit_state = 'open', probe_lease_id = null, probe_failures = ${failures},
                   next_probe_at = now() + ${delay}::int * interval '1 millisecond', updated_at = now()
            where subscriber_id = ${id} and circuit_state = 'probing'
            returning (extract(epoch from circuit_opened_at) * 1000)::float8 as opened_ms, health_state`);
          const [r] = rowsOf<{ opened_ms: number | null; health_state: HealthState }>(reopened);
          const opened = ms(r?.opened_ms);
          if (r && opened !== null && r.health_state !== 'disabled' && disableDue(opened, Date.now(), settings)) changes.push(await repo.disable(id, settings));
        }
      } else if (row.circuitState === 'closed') {
        const why = signal === 'failure' || signal === 'timeout' ? openReason(row, settings) : null;
        if (why) {
          changes.push(
            await transition(
              id,
              'open',
              why,
              sql`p.circuit_state = 'closed'`,
              sql`circuit_state = 'open', circuit_opened_at = now(), probe_failures = 0, probe_lease_id = null,
                  next_probe_at = now() + ${settings.probeMinMs}::int * interval '1 millisecond'`,
            ),
          );
        } else if (load === 'overload' && row.healthState === 'healthy' && (row.effectiveInFlight !== null || row.effectiveRate !== null)) {
          const what = row.effectiveRate !== null ? 'concurrency and rate were' : 'concurrency was';
          changes.push(
            await transition(id, 'degraded', `the receiver signalled overload (429, 502, 503, 504 or a timeout); its ${what} lowered`, sql`p.health_state = 'healthy' and p.circuit_state = 'closed'`, sql`circuit_state = p.circuit_state`),
          );
        } else if (load === 'success' && row.healthState === 'degraded' && row.effectiveInFlight === null && row.effectiveRate === null) {
          // Healthy again only when both the adaptive cap and (for a rate-limited subscriber) the adaptive rate are back.
          changes.push(
            await transition(id, 'healthy', 'successes restored its configured concurrency and rate', sql`p.health_state = 'degraded' and p.circuit_state = 'closed'`, sql`first_failure_at = null`),
          );
        }
      }
      return changes.filter((c): c is HealthChange => c !== null);
    },

    /** Disables the subscriber whose circuit stayed open too long, with a reason; once. */
    async disable(subscriberId: string, settings: BreakerSettings): Promise<HealthChange | null> {
      const reason = `the circuit stayed open for ${Math.round(settings.disableAfterMs / 1000)}s (WEBHOOK_DISABLE_AFTER) without a successful probe`;
      const change = await transition(subscriberId, 'disabled', reason, sql`p.health_state <> 'disabled' and p.circuit_state <> 'closed'`, sql`circuit_state = p.circuit_state`);
      if (change) {
        await db.execute(sql`update webhook_subscribers set active = false, disabled_reason = ${reason}, updated_at = now() where id = ${subscriberId}`);
      }
      return change;
    },

    /** Records that the subscriber was disabled elsewhere (a 410 Gone), so that it is told once as `disabled`. */
    async markDisabled(subscriberId: string, reason: string): Promise<HealthChange | null> {
      await db.execute(sql`insert into webhook_subscriber_protection (subscriber_id) values (${subscriberId}) on conflict do nothing`);
      return transition(subscriberId, 'disabled', reason, sql`p.health_state <> 'disabled'`, sql`circuit_state = p.circuit_state`);
    },

    /**
     * Re-enabling: the circuit closes and the adaptive cap restarts at 1 (ramp-up); told as
     * `recovered` when the subscriber was not healthy. The subscriber row itself is the caller's.
     */
    async reset(subscriberId: string, reason: string): Promise<HealthChange | null> {
      await db.execute(sql`insert into webhook_subscriber_protection (subscriber_id) values (${subscriberId}) on conflict do nothing`);
      const set = sql`circuit_state = 'closed', circuit_opened_at = null, next_probe_at = null, probe_failures = 0, probe_lease_id = null,
        window_started_at = now(), window_attempts = 0, window_failures = 0, timeouts_in_row = 0, first_failure_at = null,
        paused_until = null, effective_in_flight = 1, effective_changed_at = now()`;
      const change = await transition(subscriberId, 'healthy', reason, sql`p.health_state <> 'healthy'`, set);
      if (!change) await db.execute(sql`update webhook_subscriber_protection p set ${set}, updated_at = now() where subscriber_id = ${subscriberId}`);
      return change;
    },

    /** Each listed subscriber's circuit state and lowered adaptive cap (for the subscriber list's badges), in one query. */
    async summaries(subscriberIds: string[]): Promise<Map<string, { state: string; effectiveInFlight: number | null }>> {
      if (subscriberIds.length === 0) return new Map();
      const ids = sql.join(subscriberIds.map((id) => sql`${id}::uuid`), sql`, `);
      const result = await db.execute(sql`
        select subscriber_id::text as id, circuit_state, floor(effective_in_flight)::int as effective
        from webhook_subscriber_protection where subscriber_id in (${ids}) and (circuit_state <> 'closed' or effective_in_flight is not null)`);
      return new Map(
        rowsOf<{ id: string; circuit_state: string; effective: number | null }>(result).map((r) => [r.id, { state: r.circuit_state, effectiveInFlight: r.effective === null ? null : Number(r.effective) }]),
      );
    },

    /** A subscriber's deliveries waiting (pending) and kept for replay (held). */
    async backlog(subscriberId: string): Promise<{ pending: number; held: number }> {
      const result = await db.execute(sql`
        select count(*) filter (where status = 'pending') as pending, count(*) filter (where status = 'held') as held
        from webhook_deliveries where subscriber_id = ${subscriberId} and status in ('pending', 'held')`);
      const [r] = rowsOf<{ pending: number | string; held: number | string }>(result);
      return { pending: Number(r?.pending ?? 0), held: Number(r?.held ?? 0) };
    },

    async view(subscriberId: string): Promise<CircuitView | null> {
      const result = await db.execute(sql`
        select circuit_state, circuit_opened_at, next_probe_at, probe_failures, health_state, first_failure_at, last_error
        from webhook_subscriber_protection where subscriber_id = ${subscriberId}`);
      const [r] = rowsOf<Record<string, unknown>>(result);
      if (!r) return null;
      return {
        state: String(r.circuit_state),
        openedAt: dateOf(r.circuit_opened_at),
        nextProbeAt: dateOf(r.next_probe_at),
        probeFailures: Number(r.probe_failures ?? 0),
        health: String(r.health_state) as HealthState,
        firstFailureAt: dateOf(r.first_failure_at),
        lastError: (r.last_error as string | null) ?? null,
      };
    },
  };
  return repo;
}

export type CircuitRepository = ReturnType<typeof createCircuitRepository>;

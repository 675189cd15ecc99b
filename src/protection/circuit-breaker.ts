import type { AttemptResult } from '../../workflows/types';

// The circuit breaker's rules, pure: what an attempt tells the breaker, when sustained failure
// opens the circuit, how probes back off, and when an open circuit disables its subscriber.
// The state lives in PostgreSQL (protection-repository), shared by every worker; admission asks it.
//
// closed ──(failure rate over the threshold in the window with enough attempts, or N timeouts
// in a row)──▶ open ──(next probe due)──▶ probing ──success──▶ closed (ramp-up from 1 POST in flight)
//                 ▲                           │
//                 └────────failure────────────┘ (the next probe waits twice as long, to a cap)
// Open for `disableAfterMs` without a successful probe: the subscriber is disabled.

export type CircuitState = 'closed' | 'open' | 'probing';
/** What operators and `webhook.subscriber.*` subscribers are told. */
export type HealthState = 'healthy' | 'degraded' | 'open' | 'disabled';

export interface BreakerSettings {
  /** Failed share of the window's attempts that opens the circuit (0 < rate <= 1). */
  failureRate: number;
  windowMs: number;
  /** Attempts the window needs before its failure rate counts. */
  minAttempts: number;
  /** Timeouts in a row that open the circuit. */
  timeoutsInRow: number;
  /** The first probe's wait after opening; each failed probe doubles it up to `probeMaxMs`. */
  probeMinMs: number;
  probeMaxMs: number;
  /** Open this long without a successful probe disables the subscriber (WEBHOOK_DISABLE_AFTER). */
  disableAfterMs: number;
}

/**
 * Defaults a single flaky response cannot trip: at least 20 attempts in a minute, 80 % of them
 * failed, or 5 timeouts in a row (25 s of silence at the default 5 s timeout). Not 50 %: a
 * receiver that refuses every first attempt and takes every retry is flaky, not down, and
 * holding its deliveries for probes would only slow it.
 */
export const DEFAULT_BREAKER: BreakerSettings = {
  failureRate: 0.8,
  windowMs: 60_000,
  minAttempts: 20,
  timeoutsInRow: 5,
  probeMinMs: 30_000,
  probeMaxMs: 10 * 60_000,
  disableAfterMs: 5 * 24 * 3_600_000,
};

export type BreakerSignal = 'success' | 'failure' | 'timeout';

/**
 * What an attempt says about its receiver's health. A 429 says nothing: the receiver is alive and
 * asks to slow down (backpressure's job, and a 429-forever receiver still dead-letters in bounded
 * time). A refusal on our side (SSRF guard, a transform) and a 410 (disables at once) neither.
 */
export function breakerSignal(result: AttemptResult | null | undefined): BreakerSignal | null {
  if (!result) return null;
  if (result.outcome === 'success') return 'success';
  if (result.outcome === 'timeout') return 'timeout';
  if (result.outcome === 'network_error') return 'failure';
  if (result.outcome === 'failure') return result.statusCode === 429 ? null : 'failure';
  return null;
}

export interface BreakerCounters {
  windowAttempts: number;
  windowFailures: number;
  timeoutsInRow: number;
}

/** Why the circuit opens now, or null when it stays closed. */
export function openReason(c: BreakerCounters, s: BreakerSettings): string | null {
  if (c.timeoutsInRow >= s.timeoutsInRow) return `${c.timeoutsInRow} timeouts in a row`;
  if (c.windowAttempts >= s.minAttempts && c.windowFailures / c.windowAttempts >= s.failureRate) {
    return `${c.windowFailures} of ${c.windowAttempts} attempts failed within ${Math.round(s.windowMs / 1000)}s`;
  }
  return null;
}

/** How long after a probe's failure the next probe goes (`failures` counts that one too). */
export function probeDelayMs(failures: number, s: BreakerSettings): number {
  return Math.min(s.probeMaxMs, s.probeMinMs * 2 ** Math.min(Math.max(failures, 0), 30));
}

/** Whether an open circuit has been open long enough to disable its subscriber. */
export function disableDue(openedAtMs: number, nowMs: number, s: BreakerSettings): boolean {
  return nowMs - openedAtMs >= s.disableAfterMs;
}

/** One change of a subscriber's health, told once (its `seq` makes the event's external id). */
export interface HealthChange {
  subscriberId: string;
  state: HealthState;
  previous: HealthState;
  seq: number;
  reason: string;
  firstFailureAt: Date | null;
  lastError: string | null;
  at: Date;
}

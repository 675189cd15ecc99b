import type { AttemptOutcome, AttemptResult } from '../../workflows/types';
import { maxAttempts, nextDelayMs, parseRetryAfter, type RetryPlan } from './retry-schedule';

// The one owner of what an attempt means. Pure and deterministic: the fan-out, the attempt
// activity and the delivery workflow all call it, so they cannot drift apart.

/** What happens to a delivery after an attempt. */
export type Decision =
  | { kind: 'succeeded'; reason: string }
  /** Permanent: the receiver is gone, or the request could never be sent. */
  | { kind: 'failed'; reason: string }
  /** The last retry failed. */
  | { kind: 'dead'; reason: string }
  | { kind: 'retry'; delayMs: number; nextAttemptAt: number };

export function isRetryable(outcome: AttemptOutcome): boolean {
  return outcome === 'failure' || outcome === 'timeout' || outcome === 'network_error';
}

export function decide(result: AttemptResult, plan: RetryPlan): Decision {
  if (result.outcome === 'success') return { kind: 'succeeded', reason: `delivered with ${result.statusCode}` };
  if (result.outcome === 'gone') return { kind: 'failed', reason: 'the receiver answered 410 Gone; the subscriber was deactivated' };
  if (!isRetryable(result.outcome)) return { kind: 'failed', reason: result.error ?? 'the request was refused' };
  const delayMs = nextDelayMs(plan, result.attempt, result.retryAfterMs);
  if (delayMs === null) return { kind: 'dead', reason: `all ${maxAttempts(plan)} attempts failed` };
  // A step is counted from the end of the failed attempt.
  return { kind: 'retry', delayMs, nextAttemptAt: result.at + result.durationMs + delayMs };
}

/** The status a delivery row takes when the attempt is recorded; `dead` is left to the workflow that announces it. */
export function recordedStatus(decision: Decision): 'succeeded' | 'failed' | undefined {
  return decision.kind === 'succeeded' || decision.kind === 'failed' ? decision.kind : undefined;
}

/** Builds a result; `durationMs` is measured from `at` to `now`. */
export function attemptResult(
  attempt: number,
  at: number,
  now: number,
  outcome: AttemptOutcome,
  fields: { statusCode?: number | null; error?: string | null; retryAfterMs?: number | null } = {},
): AttemptResult {
  return {
    attempt,
    outcome,
    statusCode: fields.statusCode ?? null,
    durationMs: Math.max(0, now - at),
    error: fields.error ?? null,
    retryAfterMs: fields.retryAfterMs ?? null,
    logged: true,
    at,
  };
}

/** 2xx succeeds; 410 is gone; redirects and everything else fail and are retried. */
export function classifyResponse(attempt: number, at: number, now: number, statusCode: number, retryAfter?: string): AttemptResult {
  if (statusCode >= 200 && statusCode < 300) return attemptResult(attempt, at, now, 'success', { statusCode });
  if (statusCode === 410) return attemptResult(attempt, at, now, 'gone', { statusCode, error: 'the receiver answered 410 Gone' });
  const error = statusCode >= 300 && statusCode < 400 ? `redirect ${statusCode} is not followed` : `HTTP ${statusCode}`;
  const retryAfterMs = statusCode === 429 || statusCode === 503 ? parseRetryAfter(retryAfter, now) : null;
  return attemptResult(attempt, at, now, 'failure', { statusCode, error, retryAfterMs });
}

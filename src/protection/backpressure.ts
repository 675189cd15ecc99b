import type { AttemptResult } from '../../workflows/types';
import { decide } from '../domain/attempt-outcome';

// The receiver's own signal to slow down: a 429 or 503 with Retry-After pauses the whole
// subscriber (every delivery, on every worker), not just the delivery that was refused. Pure.
//
// How long: as long as the refused delivery itself waits under S6 (the one outcome rule:
// Retry-After capped at twice its next step), so the subscriber and the refused delivery agree,
// and never longer than WEBHOOK_MAX_PAUSE. After a last attempt there is no next step: the
// schedule's last step, doubled, stands in.

/** How long a result pauses its subscriber; null when it asks for no pause. */
export function pauseFor(
  result: AttemptResult | null | undefined,
  options: { maxPauseMs: number; retryDelaysMs: number[] },
): { ms: number; reason: string } | null {
  if (!result || (result.statusCode !== 429 && result.statusCode !== 503)) return null;
  if (result.retryAfterMs === null || !Number.isFinite(result.retryAfterMs) || result.retryAfterMs <= 0) return null;
  const decision = decide(result, { delaysMs: options.retryDelaysMs });
  const lastStep = options.retryDelaysMs.at(-1) ?? 0;
  const wanted = decision.kind === 'retry' ? decision.delayMs : Math.min(result.retryAfterMs, 2 * lastStep);
  const ms = Math.min(Math.ceil(wanted), options.maxPauseMs);
  if (ms <= 0) return null;
  const capped = ms < result.retryAfterMs ? ` (capped at ${ms} ms: twice the retry step, or WEBHOOK_MAX_PAUSE)` : '';
  return { ms, reason: `the receiver answered ${result.statusCode} with Retry-After ${Math.round(result.retryAfterMs / 1000)}s${capped}` };
}

/** What an attempt says about its receiver's load, for the adaptive cap: overload, success, or nothing. */
export function loadSignal(result: AttemptResult | null | undefined): 'overload' | 'success' | null {
  if (!result) return null;
  if (result.outcome === 'success') return 'success';
  if (result.outcome === 'timeout') return 'overload';
  return result.statusCode === 429 || result.statusCode === 502 || result.statusCode === 503 || result.statusCode === 504 ? 'overload' : null;
}

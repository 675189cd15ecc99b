import type { AttemptResult } from '../../workflows/types';

// The receiver's own signal to slow down: a 429 or 503 with Retry-After pauses the whole
// subscriber (every delivery, on every worker), not just the delivery that was refused. Pure.

/** How long a result pauses its subscriber, capped at `maxPauseMs`; null when it asks for no pause. */
export function pauseFor(result: Pick<AttemptResult, 'statusCode' | 'retryAfterMs'> | null | undefined, maxPauseMs: number): { ms: number; reason: string } | null {
  if (!result || (result.statusCode !== 429 && result.statusCode !== 503)) return null;
  if (result.retryAfterMs === null || !Number.isFinite(result.retryAfterMs) || result.retryAfterMs <= 0) return null;
  const ms = Math.min(Math.ceil(result.retryAfterMs), maxPauseMs);
  const capped = ms < result.retryAfterMs ? ` (capped at WEBHOOK_MAX_PAUSE, ${Math.round(maxPauseMs / 1000)}s)` : '';
  return { ms, reason: `the receiver answered ${result.statusCode} with Retry-After ${Math.round(result.retryAfterMs / 1000)}s${capped}` };
}

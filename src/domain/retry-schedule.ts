// Pure and deterministic: imported by workflows and activities alike.

/** The steps after the first, immediate attempt (WEBHOOK_RETRY_SCHEDULE; six retries by default). */
export interface RetryPlan {
  /** Delays in milliseconds before retry 1, 2, ... */
  delaysMs: number[];
}

export function maxAttempts(plan: RetryPlan): number {
  return plan.delaysMs.length + 1;
}

/**
 * How long to wait after failed attempt `attempt` (1-based), or null when it was the last.
 * A Retry-After from a 429 or 503 is honoured but capped at twice the step it replaces.
 */
export function nextDelayMs(plan: RetryPlan, attempt: number, retryAfterMs?: number | null): number | null {
  const step = plan.delaysMs[attempt - 1];
  if (step === undefined) return null;
  if (retryAfterMs === undefined || retryAfterMs === null || !Number.isFinite(retryAfterMs) || retryAfterMs < 0) {
    return step;
  }
  return Math.min(retryAfterMs, step * 2);
}

/** Reads a Retry-After header: delta seconds or an HTTP date. */
export function parseRetryAfter(header: string | undefined | null, nowMs: number): number | null {
  if (!header) return null;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return null;
  return Math.max(0, date - nowMs);
}

/**
 * Attempt latencies as a fixed log-scale histogram, so that percentiles can be merged across
 * the rollup's buckets (webhook_log_rollup) and raw rows alike. The bin of a duration is
 * PostgreSQL's `webhook_latency_bin(ms)` (migration 0009): exact below 16 ms, then 8 bins per
 * doubling. This file reads bins back; the two must agree (test/integration/admin-stats-rollup.test.ts
 * checks bins against the database's function).
 */

/** Durations below this many milliseconds each have a bin of their own. */
const EXACT_BELOW = 16;
/** Bins per doubling above EXACT_BELOW. */
const PER_DOUBLING = 8;

/**
 * The most a reported percentile can be off from the exact nearest-rank percentile of the
 * same rows, relative to it: half a bin, 2^(1/16) - 1, about 4.4% (before rounding to 0.1 ms).
 */
export const LATENCY_RELATIVE_ERROR = 2 ** (1 / (2 * PER_DOUBLING)) - 1;

/** The value a bin stands for: its own duration below 16 ms, else the geometric middle of its range. */
export function binValue(bin: number): number {
  if (bin < EXACT_BELOW) return bin;
  return EXACT_BELOW * 2 ** ((bin - EXACT_BELOW + 0.5) / PER_DOUBLING);
}

/** Counts per bin. */
export type Histogram = Map<number, number>;

export function addTo(into: Histogram, from: Histogram): Histogram {
  for (const [bin, n] of from) into.set(bin, (into.get(bin) ?? 0) + n);
  return into;
}

/**
 * The nearest-rank percentile `p` (0..1) of the histogram's durations, as its bin's value
 * rounded to 0.1 ms; null when there are none.
 */
export function percentile(h: Histogram, p: number): number | null {
  const bins = [...h.entries()].filter(([, n]) => n > 0).sort(([a], [b]) => a - b);
  const total = bins.reduce((sum, [, n]) => sum + n, 0);
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(p * total));
  let seen = 0;
  for (const [bin, n] of bins) {
    seen += n;
    if (seen >= rank) return Math.round(binValue(bin) * 10) / 10;
  }
  return null;
}

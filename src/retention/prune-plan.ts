// What a pruning run removes, in which order, and from when. Pure: the retention workflow
// imports it, so it must stay deterministic (no Node builtins, no I/O).

export const PRUNE_KINDS = ['logs', 'deliveries', 'events', 'payloads', 'responses'] as const;
export type PruneKind = (typeof PRUNE_KINDS)[number];

export interface RetentionAges {
  /** Event payloads and request bodies; 0 keeps them. */
  payloadAgeMs: number;
  /** Response bodies in attempt logs; 0 keeps them. */
  responseAgeMs: number;
  /** Attempt logs, finished delivery rows and, once they have none, their events; 0 keeps them. */
  logAgeMs: number;
}

export interface PruneStep {
  kind: PruneKind;
  /** Rows older than this (milliseconds since the epoch) go. */
  cutoffMs: number;
}

/**
 * The steps of one run at `nowMs`. Rows go before bodies, so that no row past the log age is
 * rewritten just before it is deleted; logs go before the deliveries and events they belong
 * to, so that no step leaves a row pointing at one already removed.
 */
export function prunePlan(ages: RetentionAges, nowMs: number): PruneStep[] {
  const ageOf: Record<PruneKind, number> = {
    payloads: ages.payloadAgeMs,
    responses: ages.responseAgeMs,
    logs: ages.logAgeMs,
    deliveries: ages.logAgeMs,
    events: ages.logAgeMs,
  };
  return PRUNE_KINDS.filter((kind) => ageOf[kind] > 0).map((kind) => ({ kind, cutoffMs: nowMs - ageOf[kind] }));
}

import type { PruneKind } from '../src/retention/prune-plan';
import type { RetentionRepository } from '../src/retention/retention-repository';
import type { ActivityDeps } from './deps';
import { runContext, type RunContext } from './run-context';

export interface PruneInput {
  kind: PruneKind;
  cutoffMs: number;
  /** Rows per statement. */
  batchSize: number;
  /** A pause between statements, so delivery's own queries keep the database. */
  pauseMs: number;
  /** Return (with `more`) after this long, so the workflow's history shows progress. */
  budgetMs: number;
}

export interface PruneResult {
  removed: number;
  /** The budget ran out before the last batch came back short. */
  more: boolean;
}

/** The retention pruner's activity: one kind of data, in short batches, heartbeating as it goes. */
export function createRetentionActivities(deps: Pick<ActivityDeps, 'repos' | 'logger'>) {
  const retention: RetentionRepository = deps.repos.retention;
  const step: Record<PruneKind, (cutoff: Date, limit: number) => Promise<number>> = {
    payloads: (c, n) => retention.expirePayloads(c, n),
    responses: (c, n) => retention.clearResponses(c, n),
    logs: (c, n) => retention.deleteLogs(c, n),
    deliveries: (c, n) => retention.deleteDeliveries(c, n),
    // Events, then the state rows of ordered keys unused as long (no workflow change: one more
    // statement in the last step, filling what is left of its batch).
    events: async (c, n) => {
      const removed = await retention.deleteEvents(c, n);
      return removed < n ? removed + (await retention.deleteOrderingKeys(c, n - removed)) : removed;
    },
  };

  return {
    async pruneExpired(input: PruneInput, context?: RunContext): Promise<PruneResult> {
      const ctx = runContext(context);
      const cutoff = new Date(input.cutoffMs);
      const started = Date.now();
      let removed = 0;
      for (;;) {
        const n = await step[input.kind](cutoff, input.batchSize);
        removed += n;
        ctx.heartbeat({ removed });
        if (n < input.batchSize) break;
        if (Date.now() - started >= input.budgetMs) {
          deps.logger.info({ kind: input.kind, removed }, 'retention: pruning continues in the next activity');
          return { removed, more: true };
        }
        if (input.pauseMs > 0) await ctx.sleep(input.pauseMs);
      }
      if (removed > 0) deps.logger.info({ kind: input.kind, removed, cutoff: cutoff.toISOString() }, 'retention: pruned');
      return { removed, more: false };
    },
  };
}

import { proxyActivities } from '@temporalio/workflow';
// Only import the activity types.
import type { createActivities } from '../activities';
import { prunePlan, type PruneKind, type RetentionAges } from '../src/retention/prune-plan';

type Activities = ReturnType<typeof createActivities>;

// Each activity runs at most PRUNE_BUDGET_MS and heartbeats every batch: a worker that dies
// mid-run is noticed within a minute, and the retry resumes where the rows say it stopped.
const PRUNE_OPTIONS = {
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10 },
} as const;

const { pruneExpired } = proxyActivities<Activities>(PRUNE_OPTIONS);

export interface RetentionWorkflowInput extends RetentionAges {
  /** Rows per statement (default 1,000). */
  batchSize?: number;
  /** Pause between statements (default 20 ms). */
  pauseMs?: number;
}

export interface RetentionWorkflowResult {
  removed: Record<PruneKind, number>;
}

const PRUNE_BUDGET_MS = 60_000;

/** One pruning run, started by the retention Schedule: each kind of data past its age, oldest first. */
export async function retentionWorkflow(input: RetentionWorkflowInput): Promise<RetentionWorkflowResult> {
  const removed: Record<PruneKind, number> = { payloads: 0, responses: 0, logs: 0, deliveries: 0, events: 0 };
  // Workflow time is deterministic: a replay computes the same cutoffs.
  for (const step of prunePlan(input, Date.now())) {
    for (;;) {
      const result = await pruneExpired.executeWithOptions({ ...PRUNE_OPTIONS, summary: `prune ${step.kind}` }, [
        { kind: step.kind, cutoffMs: step.cutoffMs, batchSize: input.batchSize ?? 1000, pauseMs: input.pauseMs ?? 20, budgetMs: PRUNE_BUDGET_MS },
      ]);
      removed[step.kind] += result.removed;
      if (!result.more) break;
    }
  }
  return { removed };
}

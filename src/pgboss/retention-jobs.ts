import type PgBoss from 'pg-boss';
import type { Logger } from 'pino';
import type { createActivities } from '../../activities';
import type { RunContext } from '../../activities/run-context';
import type { Config } from '../config';
import { createPeriodicTask } from '../periodic-task';
import { prunePlan } from '../retention/prune-plan';
import { jobId, RETENTION_QUEUE } from './boss';

// The retention pruner under the pg-boss driver. Every worker offers a run each interval; the
// job id is the interval's number, so however many workers offer it, one run happens per interval.

type Prune = ReturnType<typeof createActivities>['pruneExpired'];

/** Offers this interval's run every WEBHOOK_RETENTION_INTERVAL (none when it is 0). */
export function offerRetentionRuns(boss: PgBoss, config: Config, logger: Logger, queued: () => void) {
  const every = config.WEBHOOK_RETENTION_INTERVAL;
  return createPeriodicTask(
    async () => {
      const slot = Math.floor(Date.now() / every);
      if (await boss.send(RETENTION_QUEUE, {}, { id: jobId(`retention:${every}:${slot}`), singletonKey: 'retention' })) queued();
    },
    every,
    logger,
    'offering the retention run',
  );
}

/** One pruning run: each kind of data past its age, oldest first, in budgeted batches (the retention workflow's loop). */
export async function runRetention(prune: Prune, config: Config, ctx: RunContext): Promise<{ removed: number }> {
  const ages = { payloadAgeMs: config.WEBHOOK_RETENTION_PAYLOAD_DAYS, responseAgeMs: config.WEBHOOK_RETENTION_RESPONSE_DAYS, logAgeMs: config.WEBHOOK_RETENTION_LOG_DAYS };
  let removed = 0;
  for (const step of prunePlan(ages, Date.now())) {
    for (;;) {
      const result = await prune({ kind: step.kind, cutoffMs: step.cutoffMs, batchSize: 1000, pauseMs: 20, budgetMs: 60_000 }, ctx);
      removed += result.removed;
      if (!result.more || ctx.cancellationSignal.aborted) break;
    }
  }
  return { removed };
}

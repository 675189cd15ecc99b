import { Context } from '@temporalio/activity';
import type { AttemptRecord, DeliveryForAttempt } from '../src/db/delivery-repository';
import { deliveryIdFor, deliveryWorkflowId } from '../src/domain/ids';
import { attemptTimeoutMs } from '../src/domain/attempt-timeout';
import { targetLabel } from '../src/domain/target-label';
import type { AttemptResult, FanOutPage } from '../workflows/types';
import { isRetryable, recordAttempts, sendAttempt } from './attempt';
import type { ActivityDeps } from './deps';

export interface FanOutBatchInput {
  eventId: string;
  eventType: string;
  cursor: string | null;
  limit: number;
}

/** Runs `fn` over items with at most `limit` in flight. */
async function eachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  });
  await Promise.all(workers);
}

/** What the delivery workflow needs to resume a delivery whose attempts were made elsewhere. */
function resumeFrom(row: DeliveryForAttempt['delivery']): AttemptResult {
  return {
    attempt: row.attempts,
    outcome: 'failure',
    statusCode: row.lastResponseCode,
    durationMs: 0,
    error: row.lastError,
    retryAfterMs: null,
    logged: true,
    at: row.updatedAt.getTime(),
  };
}

export function createFanOutActivities(deps: ActivityDeps) {
  const { repos, config, adminUrl } = deps;

  return {
    /**
     * One page of the fan-out: loads matching subscribers, creates their delivery rows and, on
     * the fast path, makes every first attempt here. It returns only the deliveries that need a
     * workflow of their own (all of them when the fast path is off). A retry of this activity
     * after a crash skips what was already recorded, so the page resumes where it stopped.
     */
    async fanOutBatch(input: FanOutBatchInput): Promise<FanOutPage> {
      const page = await repos.subscribers.pageMatching(input.eventType, input.cursor, input.limit);
      const ids = page.map((s) => deliveryIdFor(input.eventId, s.id));
      await repos.deliveries.createMany(
        page.map((s, i) => ({
          id: ids[i],
          eventId: input.eventId,
          subscriberId: s.id,
          eventType: input.eventType,
          workflowId: deliveryWorkflowId(input.eventId, s.id),
        })),
      );
      const base = { nextCursor: page.length === input.limit ? page[page.length - 1].id : null, retryDelaysMs: config.retryDelaysMs, attemptTimeoutMs: attemptTimeoutMs(config.timeoutMs), adminUrl };
      const toChild = (row: DeliveryForAttempt, firstAttempt: AttemptResult | null) => ({
        deliveryId: row.delivery.id,
        subscriberId: row.delivery.subscriberId,
        target: targetLabel(row.subscriber.url),
        firstAttempt,
      });

      // The last page: the event is `processed` once this page's work is recorded.
      const finish = async <T>(page: T): Promise<T> => {
        if (base.nextCursor === null) await repos.events.setStatus(input.eventId, 'processed');
        return page;
      };
      const rows = await repos.deliveries.loadForAttempt(ids);
      if (!config.fastPath) return finish({ ...base, deliveries: rows.map((r) => toChild(r, null)), firstAttempts: { succeeded: 0, failed: 0 } });

      const needRetry: FanOutPage['deliveries'] = [];
      const fresh: DeliveryForAttempt[] = [];
      for (const row of rows) {
        if (row.delivery.status !== 'pending') continue; // finished before a crash
        if (row.delivery.attempts > 0) needRetry.push(toChild(row, resumeFrom(row.delivery)));
        else fresh.push(row);
      }

      const ctx = Context.current();
      let succeeded = 0;
      let failed = 0;
      let pending: AttemptRecord[] = [];
      const flush = async () => {
        const batch = pending;
        pending = [];
        await recordAttempts(deps, batch);
        // Local activities cannot heartbeat; the workflow task's own heartbeat covers them.
        if (!ctx.info.isLocal) ctx.heartbeat({ recorded: succeeded + failed + needRetry.length });
      };
      await eachLimited(fresh, config.batchConcurrency, async (row) => {
        const { result, record } = await sendAttempt(deps, row, 1, ctx.cancellationSignal);
        if (result.outcome === 'success') succeeded++;
        else if (isRetryable(result.outcome)) needRetry.push(toChild(row, result));
        else failed++;
        pending.push(record);
        // Record in slices, so a crash loses (and resends) at most a slice.
        if (pending.length >= 50) await flush();
      });
      await flush();
      return finish({ ...base, deliveries: needRetry, firstAttempts: { succeeded, failed } });
    },
  };
}

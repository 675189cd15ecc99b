import type { Logger } from 'pino';
import type { ListPosition } from '../db/newest-first';
import type { Repositories } from '../db/repositories';
import type { QueueDriver } from '../engine/queue-driver';
import { createPeriodicTask } from '../periodic-task';
import { resumeFrom, type DeliveryStarter } from './delivery-starter';

export interface OrphanDeliveryReconcilerOptions {
  repos: Pick<Repositories, 'deliveries' | 'subscribers' | 'ordering'>;
  starter: Pick<DeliveryStarter, 'start'>;
  /** The driver's ordered keys, when it orders them: a key whose workflow was ended with deliveries queued is started again. */
  orderedKeys?: Pick<QueueDriver, 'wakeOrderedKey' | 'orderedKeyRunning'>;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Between the end of one pass and the start of the next; 0 never runs. */
  intervalMs: number;
  /** Younger rows may belong to a start in progress. */
  minAgeMs?: number;
  batchSize?: number;
  now?: () => number;
}

export interface ReconcileResult {
  started: number;
  alreadyRunning: number;
  failed: number;
  /** Ordered keys with deliveries queued whose workflow was not running, started again. */
  keysRestarted: number;
}

export const ORPHAN_MIN_AGE_MS = 60_000;

/**
 * Starts the workflows of pending deliveries that have none: a replay or a fan-out hand-off
 * whose start failed, or a crash between a row and its workflow. The start is idempotent (the
 * workflow id is the delivery's), so several api processes may run this at once; a delivery
 * resumes after its last recorded attempt, so nothing recorded is sent again. One bad row never
 * stops a pass.
 */
export function createOrphanDeliveryReconciler(options: OrphanDeliveryReconcilerOptions) {
  const { repos, starter, logger, intervalMs } = options;
  const minAgeMs = options.minAgeMs ?? ORPHAN_MIN_AGE_MS;
  const batchSize = options.batchSize ?? 100;
  const now = options.now ?? (() => Date.now());
  const task = createPeriodicTask(() => reconcileOnce(), intervalMs, logger, 'orphan-delivery pass');

  async function reconcileOnce(): Promise<ReconcileResult> {
    const result: ReconcileResult = { started: 0, alreadyRunning: 0, failed: 0, keysRestarted: 0 };
    const cutoff = new Date(now() - minAgeMs);
    let after: ListPosition | undefined;
    while (!task.stopped) {
      const page = await repos.deliveries.listOrphans(cutoff, batchSize, after);
      for (const row of page) {
        if (task.stopped) break;
        try {
          const subscriber = await repos.subscribers.get(row.subscriberId);
          if (!subscriber) continue; // its rows go with it (on delete cascade)
          const startedHere = await starter.start(row, subscriber.url, resumeFrom(row));
          if (startedHere) result.started++;
          else result.alreadyRunning++;
          logger.warn({ deliveryId: row.id, workflowId: row.workflowId, startedHere }, startedHere ? 'started the workflow of an orphaned delivery' : 'marked a delivery whose workflow was running');
        } catch (err) {
          result.failed++;
          logger.error({ err, deliveryId: row.id }, 'could not start the workflow of an orphaned delivery; the next pass retries it');
        }
      }
      const last = page.at(-1);
      if (!last || page.length < batchSize) break;
      after = { at: last.createdAt, id: last.id };
    }
    if (!task.stopped) await restartStalledKeys(cutoff, result);
    return result;
  }

  /**
   * An ordered key's queued deliveries are driven by its workflow alone, which a sender wakes
   * only when it waits idle: a workflow ended by hand (terminated) or failed leaves its key
   * stalled. Each key with a delivery queued since before the cutoff is checked (at most once per
   * `minAgeMs`), and one whose workflow is not running is woken, which starts it again.
   */
  async function restartStalledKeys(cutoff: Date, result: ReconcileResult): Promise<void> {
    const keys = options.orderedKeys;
    if (!keys?.wakeOrderedKey || !keys.orderedKeyRunning) return;
    for (const key of await repos.ordering.claimStalled(cutoff, batchSize)) {
      if (task.stopped) break;
      try {
        if (await keys.orderedKeyRunning(key)) continue;
        await keys.wakeOrderedKey(key);
        result.keysRestarted++;
        logger.warn({ subscriberId: key.subscriberId }, 'started again the workflow of an ordered key with deliveries queued (it had ended)');
      } catch (err) {
        result.failed++;
        logger.error({ err, subscriberId: key.subscriberId }, 'could not restart the workflow of an ordered key; a later pass retries it');
      }
    }
  }

  return {
    reconcileOnce,
    start: () => task.start(),
    stop: () => task.stop(),
  };
}

export type OrphanDeliveryReconciler = ReturnType<typeof createOrphanDeliveryReconciler>;

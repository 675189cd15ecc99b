import type { Logger } from 'pino';
import type { ListPosition } from '../db/newest-first';
import type { Repositories } from '../db/repositories';
import { createPeriodicTask } from '../periodic-task';
import { resumeFrom, type DeliveryStarter } from './delivery-starter';

export interface OrphanDeliveryReconcilerOptions {
  repos: Pick<Repositories, 'deliveries' | 'subscribers'>;
  starter: Pick<DeliveryStarter, 'start'>;
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
    const result: ReconcileResult = { started: 0, alreadyRunning: 0, failed: 0 };
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
    return result;
  }

  return {
    reconcileOnce,
    start: () => task.start(),
    stop: () => task.stop(),
  };
}

export type OrphanDeliveryReconciler = ReturnType<typeof createOrphanDeliveryReconciler>;

import type { DeliveryRow } from '../db/delivery-repository';
import type { Repositories } from '../db/repositories';
import { targetLabel } from '../domain/target-label';
import type { QueueDriver } from '../engine/queue-driver';
import type { AttemptResult, DeliveryWorkflowInput } from '../../workflows/types';

export interface DeliveryStarterOptions {
  repos: Pick<Repositories, 'deliveries' | 'ordering'>;
  /** The queue driver's part: starts the delivery unless it was ever started. */
  engine: Pick<QueueDriver, 'startDelivery' | 'wakeOrderedKey'>;
  retryDelaysMs: number[];
  attemptTimeoutMs: number;
  searchAttributes: boolean;
  adminUrl: string | null;
}

/**
 * The one path for deliveries, whoever creates them (fan-out, replay, the reconciler): the row
 * is written first (by the caller), then its workflow starts, then the row is marked started. A
 * crash between any two steps leaves a pending row with no mark, which the orphan-delivery
 * reconciler starts again; the workflow id is fixed, so a second start is refused, never doubled.
 */
export function createDeliveryStarter(opts: DeliveryStarterOptions) {
  const inputFor = (row: DeliveryRow, url: string, firstAttempt: AttemptResult | null, waitFirst: DeliveryWorkflowInput['waitFirst'] = null): DeliveryWorkflowInput => ({
    deliveryId: row.id,
    eventId: row.eventId,
    eventType: row.eventType,
    subscriberId: row.subscriberId,
    target: targetLabel(url),
    retryDelaysMs: opts.retryDelaysMs,
    attemptTimeoutMs: opts.attemptTimeoutMs,
    searchAttributes: opts.searchAttributes,
    adminUrl: opts.adminUrl,
    replayOf: row.replayOf,
    firstAttempt,
    ...(waitFirst ? { waitFirst } : {}),
  });

  return {
    inputFor,
    /** Whether the queue driver orders keyed deliveries (the Temporal driver does; pg-boss does not). */
    ordersKeys: typeof opts.engine.wakeOrderedKey === 'function',
    /**
     * Starts (or finds) the delivery's workflow, then marks the row. An ordered delivery (one with
     * an ordering key) is in its key's queue already: its key's workflow is woken instead when it
     * waits idle (a busy one finds the delivery itself), and starts the delivery's workflow when
     * its turn comes.
     */
    async start(row: DeliveryRow, url: string, firstAttempt: AttemptResult | null = resumeFrom(row), waitFirst: DeliveryWorkflowInput['waitFirst'] = null): Promise<boolean> {
      if (row.orderingKey !== null && opts.engine.wakeOrderedKey) {
        const key = { subscriberId: row.subscriberId, orderingKey: row.orderingKey };
        if (await opts.repos.ordering.needsWake(key)) await opts.engine.wakeOrderedKey(key);
        await opts.repos.deliveries.markWorkflowStarted([row.id]);
        return true;
      }
      const started = await opts.engine.startDelivery(inputFor(row, url, firstAttempt, waitFirst), row.workflowId);
      await opts.repos.deliveries.markWorkflowStarted([row.id]);
      return started;
    },
  };
}

export type DeliveryStarter = ReturnType<typeof createDeliveryStarter>;

/** Where a delivery whose attempts were made elsewhere resumes: after its last recorded attempt. */
export function resumeFrom(row: Pick<DeliveryRow, 'attempts' | 'lastResponseCode' | 'lastError' | 'updatedAt'>): AttemptResult | null {
  if (row.attempts === 0) return null;
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

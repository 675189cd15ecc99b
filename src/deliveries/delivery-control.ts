import type { Logger } from 'pino';
import type { DeliveryRow } from '../db/delivery-repository';
import type { Repositories } from '../db/repositories';
import { deliveryIdFor, deliveryWorkflowId } from '../domain/ids';
import { testSource } from '../domain/internal-events';
import { replayWorkflowId } from '../domain/workflow-ids';
import { OrderedKeyNotBlockedError } from '../ordering/ordering-errors';
import type { Dispatcher } from '../events/dispatcher';
import type { EventDraft } from '../events/normalized-event';
import { WorkNotRunningError, type QueueDriver } from '../engine/queue-driver';
import type { DeliveryStatusView } from '../../workflows/types';
import { DeliveryNotFoundError, DeliveryNotPendingError, DeliveryNotRunningError } from './delivery-errors';
import type { DeliveryStarter } from './delivery-starter';
import { assertPayloadsKept, expiredPayloads } from '../retention/payload-expiry';

export interface DeliveryControlOptions {
  repos: Repositories;
  driver: Pick<QueueDriver, 'retryNow' | 'cancel' | 'liveStatus' | 'wakeOrderedKey'>;
  starter: DeliveryStarter;
  dispatcher: Pick<Dispatcher, 'dispatch'>;
  logger: Pick<Logger, 'warn' | 'info'>;
}

export interface ReplayResult {
  original: string;
  delivery_id: string;
  workflow_id: string;
}

/**
 * What operators do to deliveries: replay dead ones (a new workflow linked to the original,
 * same body, fresh signature), retry now, cancel, read the live status, and send a test event.
 */
export function createDeliveryControl(opts: DeliveryControlOptions) {
  const { repos, driver, starter } = opts;

  async function signal(deliveryId: string, send: (workflowId: string) => Promise<void>) {
    const delivery = await repos.deliveries.get(deliveryId);
    if (!delivery) throw new DeliveryNotFoundError(`delivery ${deliveryId}`);
    if (delivery.status !== 'pending') throw new DeliveryNotPendingError(deliveryId, delivery.status);
    // On the fast path a delivery's workflow starts just after its first attempt is recorded:
    // give it a moment to appear before calling it gone.
    for (let tries = 0; ; tries++) {
      try {
        await send(delivery.workflowId);
        return delivery;
      } catch (err) {
        if (!(err instanceof WorkNotRunningError)) throw err;
        if (tries >= 20) throw new DeliveryNotRunningError(deliveryId);
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }

  return {
    /**
     * Replays dead or failed deliveries through the one delivery path: the row first, then its
     * workflow, then the mark. A start that fails leaves the row to the orphan-delivery reconciler.
     */
    async replay(ids: string[], options: { skipExpired?: boolean } = {}): Promise<{ replayed: ReplayResult[]; skipped: { id: string; reason: string }[] }> {
      const replayed: ReplayResult[] = [];
      const skipped: { id: string; reason: string }[] = [];
      // Asked by id, a delivery whose payload expired refuses the request (409); a bulk job skips it and goes on.
      const expired = new Set<string>();
      if (options.skipExpired) for (const e of await expiredPayloads(repos, ids)) expired.add(e.deliveryId);
      else await assertPayloadsKept(repos, ids);
      for (const id of ids) {
        if (expired.has(id)) {
          skipped.push({ id, reason: 'its payload expired (retention or an expunge)' });
          continue;
        }
        const original = await repos.deliveries.get(id);
        if (!original) {
          skipped.push({ id, reason: 'not found' });
          continue;
        }
        if (original.status !== 'dead' && original.status !== 'failed' && original.status !== 'held') {
          skipped.push({ id, reason: `is ${original.status}, not dead` });
          continue;
        }
        const subscriber = await repos.subscribers.get(original.subscriberId);
        if (!subscriber) {
          skipped.push({ id, reason: 'its subscriber was deleted' });
          continue;
        }
        const root = original.replayOf ?? original.id;
        const n = (await repos.deliveries.countReplays(root)) + 1;
        const replay = await repos.deliveries.createReplay({
          id: `${root}-r${n}`,
          eventId: original.eventId,
          subscriberId: original.subscriberId,
          eventType: original.eventType,
          requestBody: original.requestBody,
          replayOf: root,
          workflowId: replayWorkflowId(original.eventId, original.subscriberId, n),
          // An ordered delivery's replay takes its place in its key's queue, and lifts the block it made.
          orderingKey: original.orderingKey,
          sequence: original.sequence,
        });
        if (original.orderingKey !== null) await repos.ordering.unblock({ subscriberId: original.subscriberId, orderingKey: original.orderingKey }, original.id);
        try {
          await starter.start(replay, subscriber.url, null);
        } catch (err) {
          opts.logger.warn({ err, deliveryId: replay.id }, 'replay workflow start failed; the reconciler will start it');
        }
        replayed.push({ original: id, delivery_id: replay.id, workflow_id: replay.workflowId });
      }
      return { replayed, skipped };
    },

    /** Lifts an ordered key's block: its dead delivery stays dead, and the key goes on with the next. */
    async skipOrderedKey(subscriberId: string, orderingKey: string): Promise<{ skipped: string }> {
      const lifted = await repos.ordering.unblock({ subscriberId, orderingKey });
      if (!lifted) throw new OrderedKeyNotBlockedError(subscriberId, orderingKey);
      opts.logger.info({ subscriberId, deliveryId: lifted.deliveryId }, 'an operator skipped the dead delivery of an ordered key');
      await driver.wakeOrderedKey?.({ subscriberId, orderingKey });
      return { skipped: lifted.deliveryId };
    },

    retryNow: (id: string) => signal(id, (workflowId) => driver.retryNow(workflowId)),
    cancel: (id: string, reason?: string) => signal(id, (workflowId) => driver.cancel(workflowId, reason ?? 'cancelled by an operator')),

    /** The running workflow's own view, or null when it has finished or cannot be reached. */
    async liveStatus(delivery: DeliveryRow): Promise<DeliveryStatusView | null> {
      if (delivery.status !== 'pending') return null;
      return driver.liveStatus(delivery.workflowId);
    },

    /** Sends a signed test event to one subscriber only: an event of its own, through the one event path. */
    async sendTest(subscriberId: string, draft: Omit<EventDraft, 'source'>) {
      const subscriber = await repos.subscribers.get(subscriberId);
      if (!subscriber) throw new DeliveryNotFoundError(`subscriber ${subscriberId}`);
      const { event } = await opts.dispatcher.dispatch({ ...draft, source: testSource(subscriberId) });
      return { event_id: event.id, delivery_id: deliveryIdFor(event.id, subscriberId), workflow_id: deliveryWorkflowId(event.id, subscriberId), event_workflow_id: event.workflowId };
    },
  };
}

export type DeliveryControl = ReturnType<typeof createDeliveryControl>;

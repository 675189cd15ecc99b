import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdReusePolicy,
  WorkflowNotFoundError,
  type Client,
} from '@temporalio/client';
import type { DeliveryRow } from '../db/delivery-repository';
import type { Repositories } from '../db/repositories';
import { deliveryIdFor } from '../domain/ids';
import { targetLabel } from '../domain/target-label';
import { deliveryWorkflowId, replayWorkflowId } from '../domain/workflow-ids';
import { HttpError, notFound } from '../errors';
import { normalizeEvent, toEventRow, type EventDraft } from '../events/normalized-event';
import { assertPayloadsKept } from '../retention/payload-expiry';
import { deliveryStartOptions } from '../temporal/delivery-start';
import type { DeliveryStatusView, DeliveryWorkflowInput } from '../../workflows/types';

export interface DeliveryControlOptions {
  repos: Repositories;
  client: Client;
  taskQueue: string;
  retryDelaysMs: number[];
  /** Per attempt activity: the HTTP timeout plus bookkeeping. */
  attemptTimeoutMs: number;
  searchAttributes: boolean;
  adminUrl: string | null;
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
  const { repos, client } = opts;

  async function startDeliveryWorkflow(delivery: DeliveryRow, url: string): Promise<void> {
    const input: DeliveryWorkflowInput = {
      deliveryId: delivery.id,
      eventId: delivery.eventId,
      eventType: delivery.eventType,
      subscriberId: delivery.subscriberId,
      target: targetLabel(url),
      retryDelaysMs: opts.retryDelaysMs,
      attemptTimeoutMs: opts.attemptTimeoutMs,
      searchAttributes: opts.searchAttributes,
      adminUrl: opts.adminUrl,
      replayOf: delivery.replayOf,
    };
    try {
      await client.workflow.start('deliveryWorkflow', {
        ...deliveryStartOptions(input, delivery.workflowId),
        taskQueue: opts.taskQueue,
        args: [input],
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  }

  async function signal(deliveryId: string, name: 'retryNow' | 'cancel', args: unknown[] = []) {
    const delivery = await repos.deliveries.get(deliveryId);
    if (!delivery) throw notFound(`delivery ${deliveryId}`);
    if (delivery.status !== 'pending') {
      throw new HttpError(409, 'not_pending', `delivery ${deliveryId} is ${delivery.status}; only a pending delivery can be retried or cancelled`);
    }
    // On the fast path a delivery's workflow starts just after its first attempt is recorded:
    // give it a moment to appear before calling it gone.
    for (let tries = 0; ; tries++) {
      try {
        await client.workflow.getHandle(delivery.workflowId).signal(name, ...args);
        return delivery;
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
        if (tries >= 20) throw new HttpError(409, 'not_running', `the workflow of delivery ${deliveryId} is not running`);
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }

  return {
    async replay(ids: string[]): Promise<{ replayed: ReplayResult[]; skipped: { id: string; reason: string }[] }> {
      const replayed: ReplayResult[] = [];
      const skipped: { id: string; reason: string }[] = [];
      await assertPayloadsKept(repos, ids);
      for (const id of ids) {
        const original = await repos.deliveries.get(id);
        if (!original) {
          skipped.push({ id, reason: 'not found' });
          continue;
        }
        if (original.status !== 'dead' && original.status !== 'failed') {
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
        });
        await startDeliveryWorkflow(replay, subscriber.url);
        replayed.push({ original: id, delivery_id: replay.id, workflow_id: replay.workflowId });
      }
      return { replayed, skipped };
    },

    async replayRange(subscriberId: string, from: Date, to: Date) {
      const dead = await repos.deliveries.list({ status: 'dead', subscriberId, from, to, limit: 10_000 });
      return this.replay(dead.map((d) => d.id));
    },

    retryNow: (id: string) => signal(id, 'retryNow'),
    cancel: (id: string, reason?: string) => signal(id, 'cancel', [reason ?? 'cancelled by an operator']),

    /** The running workflow's own view, or null when it has finished or cannot be reached. */
    async liveStatus(delivery: DeliveryRow): Promise<DeliveryStatusView | null> {
      if (delivery.status !== 'pending') return null;
      try {
        return await client.workflow.getHandle(delivery.workflowId).query<DeliveryStatusView>('status');
      } catch {
        return null;
      }
    },

    /** Sends a signed test event to one subscriber only, as a delivery workflow of its own. */
    async sendTest(subscriberId: string, draft: Omit<EventDraft, 'source'>) {
      const subscriber = await repos.subscribers.get(subscriberId);
      if (!subscriber) throw notFound(`subscriber ${subscriberId}`);
      const event = normalizeEvent({ ...draft, source: `test/${subscriberId}` });
      const { event: stored } = await repos.events.insertIfAbsent(toEventRow(event));
      await repos.events.markWorkflowStarted(stored.id);
      const id = deliveryIdFor(stored.id, subscriberId);
      await repos.deliveries.createMany([
        { id, eventId: stored.id, subscriberId, eventType: stored.type, workflowId: deliveryWorkflowId(stored.id, subscriberId) },
      ]);
      const delivery = (await repos.deliveries.get(id))!;
      await startDeliveryWorkflow(delivery, subscriber.url);
      return { event_id: stored.id, delivery_id: id, workflow_id: delivery.workflowId };
    },
  };
}

export type DeliveryControl = ReturnType<typeof createDeliveryControl>;

import {
  ParentClosePolicy,
  WorkflowIdReusePolicy,
  continueAsNew,
  proxyActivities,
  setCurrentDetails,
  startChild,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
// Only import the activity types.
import type { createActivities } from '../activities';
import { deliveryWorkflowId } from '../src/domain/workflow-ids';
import { deliveryStartOptions } from '../src/temporal/delivery-start';
import { WebhookEventId, WebhookEventType } from '../src/temporal/search-attributes';
import { deliveryWorkflow } from './delivery-workflow';
import type { DeliveryWorkflowInput, EventWorkflowInput, EventWorkflowResult, FanOutPage } from './types';

type Activities = ReturnType<typeof createActivities>;

const { planFanOut } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** Subscribers loaded and children started per activity call. */
export const FAN_OUT_BATCH = 500;
/**
 * Batches per run before continue-as-new. Two batches keep a run far below Temporal's limits of
 * 2,000 pending children and 50,000 history events, whatever the number of subscribers.
 */
export const BATCHES_PER_RUN = 2;

export async function eventWorkflow(input: EventWorkflowInput): Promise<EventWorkflowResult> {
  if (input.searchAttributes && !input.cursor) {
    upsertSearchAttributes([
      { key: WebhookEventType, value: input.eventType },
      { key: WebhookEventId, value: input.eventId },
    ]);
  }
  let cursor = input.cursor ?? null;
  let started = input.startedSoFar ?? 0;

  for (let batch = 0; batch < BATCHES_PER_RUN; batch++) {
    const page = await planFanOut.executeWithOptions(
      { startToCloseTimeout: '1 minute', summary: `load subscribers${cursor ? ` after ${cursor.slice(0, 8)}` : ''}` },
      [{ eventId: input.eventId, eventType: input.eventType, cursor, limit: FAN_OUT_BATCH }],
    );
    await Promise.all(page.deliveries.map((d) => startDelivery(input, page, d)));
    started += page.deliveries.length;
    setCurrentDetails(`fanned out to **${started}** subscriber${started === 1 ? '' : 's'}${page.nextCursor ? ' so far' : ''}`);
    cursor = page.nextCursor;
    if (!cursor) return { eventId: input.eventId, deliveries: started };
  }
  return continueAsNew<typeof eventWorkflow>({ ...input, cursor, startedSoFar: started });
}

async function startDelivery(event: EventWorkflowInput, page: FanOutPage, d: FanOutPage['deliveries'][number]): Promise<void> {
  const input: DeliveryWorkflowInput = {
    deliveryId: d.deliveryId,
    eventId: event.eventId,
    eventType: event.eventType,
    subscriberId: d.subscriberId,
    target: d.target,
    retryDelaysMs: page.retryDelaysMs,
    searchAttributes: event.searchAttributes,
    adminUrl: page.adminUrl,
  };
  try {
    await startChild(deliveryWorkflow, {
      ...deliveryStartOptions(input, deliveryWorkflowId(event.eventId, d.subscriberId)),
      args: [input],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    });
  } catch (err) {
    // A re-run of this fan-out must not deliver twice: the delivery already exists.
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}

import {
  ParentClosePolicy,
  WorkflowIdReusePolicy,
  continueAsNew,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
// Only import the activity types.
import type { createActivities } from '../activities';
import { DETAILS_MAX_BYTES, markdownCode, truncateBytes } from '../src/domain/temporal-text';
import { deliveryWorkflowId } from '../src/domain/workflow-ids';
import { deliveryStartOptions } from '../src/temporal/delivery-start';
import { deliveryWorkflow } from './delivery-workflow';
import type { DeliveryLine, DeliveryWorkflowInput, EventWorkflowInput, EventWorkflowResult, FanOutPage } from './types';

type Activities = ReturnType<typeof createActivities>;

// A page of first attempts can take a while against slow receivers; the heartbeat notices a
// dead worker long before the start-to-close timeout does. The activity heartbeats after every
// attempt and every two seconds; the timeout comes with the input (HTTP timeout plus database
// deadline). Retries are bounded: about half an hour of a database that does not answer.
const FAN_OUT_OPTIONS = {
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 40 },
} as const;

const { fanOutBatch } = proxyActivities<Activities>(FAN_OUT_OPTIONS);

// As a local activity the fan-out skips the round trip through the server's task queue and
// records one marker instead of three events: most events have a handful of subscribers.
// A local activity cannot heartbeat: a short timeout is what notices a page that hangs. The page
// begins no delivery that would outlive it (activities/fan-out.ts hands the rest over); the
// input sets it from the attempt timeout (src/engine/page-timeouts.ts), a minute by default.
const LOCAL_FAN_OUT_OPTIONS = {
  startToCloseTimeout: '1 minute',
  localRetryThreshold: '10s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 40 },
} as const;

const { fanOutBatch: fanOutBatchLocally } = proxyLocalActivities<Activities>(LOCAL_FAN_OUT_OPTIONS);

/** Subscribers per fan-out activity call. */
export const FAN_OUT_BATCH = 500;
/**
 * Batches per run before continue-as-new. Two batches keep a run far below Temporal's limits of
 * 2,000 pending children and 50,000 history events, whatever the number of subscribers.
 */
export const BATCHES_PER_RUN = 2;

/** The first page, run locally: big enough for most events, small enough to keep a workflow task short. */
export const LOCAL_FAN_OUT_BATCH = 100;

/** Deliveries listed in the details; beyond it, counts only. */
export const LISTED_DELIVERIES = 50;

export async function eventWorkflow(input: EventWorkflowInput): Promise<EventWorkflowResult> {
  // The search attributes come with the start request (eventSearchAttributes), saving an upsert.
  let cursor = input.cursor ?? null;
  const totals = { ...(input.soFar ?? { deliveries: 0, succeeded: 0, failed: 0, workflows: 0 }) };
  const listed: DeliveryLine[] = [];

  for (let batch = 0; batch < BATCHES_PER_RUN; batch++) {
    const local = input.localFanOut && !input.soFar && batch === 0;
    const args = [
      { eventId: input.eventId, eventType: input.eventType, cursor, limit: local ? LOCAL_FAN_OUT_BATCH : FAN_OUT_BATCH, onlySubscriberId: input.onlySubscriberId ?? null },
    ] as const;
    const summary = `fan out${cursor ? ` after ${cursor.slice(0, 8)}` : ''}`;
    const page = local
      ? await fanOutBatchLocally.executeWithOptions(
          { ...LOCAL_FAN_OUT_OPTIONS, ...(input.localFanOutTimeoutMs ? { startToCloseTimeout: input.localFanOutTimeoutMs } : {}), summary },
          [...args],
        )
      : await fanOutBatch.executeWithOptions(
          { ...FAN_OUT_OPTIONS, ...(input.heartbeatTimeoutMs ? { heartbeatTimeout: input.heartbeatTimeoutMs } : {}), summary },
          [...args],
        );
    // The fast path off: every delivery is a child of this workflow.
    await Promise.all(page.deliveries.map((d) => startDelivery(input, page, d)));
    const handedOff = page.handedOff ?? 0;
    totals.succeeded += page.firstAttempts.succeeded;
    totals.failed += page.firstAttempts.failed;
    totals.workflows += page.deliveries.length + handedOff;
    totals.deliveries += page.firstAttempts.succeeded + page.firstAttempts.failed + page.deliveries.length + handedOff;
    const lines = page.lines ?? page.deliveries.map((d) => ({ ...d, outcome: 'workflow' as const, attempts: 0, statusCode: null, workflowId: deliveryWorkflowId(input.eventId, d.subscriberId) }));
    listed.push(...lines.slice(0, LISTED_DELIVERIES - listed.length));
    setCurrentDetails(details(totals, listed, page.nextCursor !== null));
    cursor = page.nextCursor;
    if (!cursor) return { eventId: input.eventId, ...totals };
  }
  return continueAsNew<typeof eventWorkflow>({ ...input, cursor, soFar: totals });
}

/** The event's deliveries as an operator reads them in the Temporal UI: counts, then the first few, each linked. */
function details(totals: Omit<EventWorkflowResult, 'eventId'>, listed: DeliveryLine[], more: boolean): string {
  const { namespace } = workflowInfo();
  const head =
    `**${totals.deliveries}** deliveries${more ? ' so far' : ''}: ${totals.succeeded} delivered at the first attempt, ` +
    `${totals.failed} refused, ${totals.workflows} in delivery workflows of their own`;
  if (listed.length === 0) return head;
  const rows = listed.map((l) => {
    const link = l.workflowId ? `[workflow](/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(l.workflowId)})` : '—';
    return `| ${markdownCode(l.subscriberId)} | ${markdownCode(l.target)} | ${l.outcome} | ${l.attempts} | ${l.statusCode ?? '—'} | ${link} |`;
  });
  const beyond = totals.deliveries > listed.length ? `\n\n…and ${totals.deliveries - listed.length} more (the admin API lists them all).` : '';
  return truncateBytes([head, '', '| subscriber | target | outcome | attempts | last code | delivery |', '|---|---|---|---|---|---|', ...rows].join('\n') + beyond, DETAILS_MAX_BYTES);
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
    attemptTimeoutMs: page.attemptTimeoutMs,
    firstAttempt: d.firstAttempt,
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

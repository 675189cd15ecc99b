import {
  ParentClosePolicy,
  WorkflowIdReusePolicy,
  condition,
  continueAsNew,
  defineSignal,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  startChild,
} from '@temporalio/workflow';
// Only import the activity types.
import type { createActivities } from '../activities';
import { deliveryStartOptions } from '../src/temporal/delivery-start';
import { deliveryWorkflow } from './delivery-workflow';
import type { OrderedKeyInput, OrderedKeyResult, OrderedNext } from './types';

type Activities = ReturnType<typeof createActivities>;

// Reading the queue is a few indexed reads: a local activity, one marker per step instead of
// three events and a task-queue round trip. It must eventually land, however long the database
// is away (bounded, about a day).
const QUEUE_OPTIONS = {
  startToCloseTimeout: '30s',
  localRetryThreshold: '10s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 1_500 },
} as const;

const { nextOrdered } = proxyLocalActivities<Activities>(QUEUE_OPTIONS);

/** Deliveries per run before continue-as-new: a run's history stays small however long the key lives. */
export const DELIVERIES_PER_RUN = 100;
/** An idle key's workflow waits this long for more, then ends; the next wake starts a new one. */
export const IDLE_MS = 60_000;
/** An earlier event of the key is still being fanned out: look again after this. */
export const GAP_RECHECK_MS = 1_000;
/** A blocked key looks again this often (an operator's skip or replay also wakes it at once). */
export const BLOCKED_RECHECK_MS = 600_000;
/** The head's workflow already runs (started elsewhere): look again after this. */
export const RUNNING_ELSEWHERE_RECHECK_MS = 5_000;

/** New deliveries in the key's queue, or an operator's skip or replay: look at the queue again. */
export const wakeSignal = defineSignal('wake');

/**
 * One subscriber's deliveries of one ordering key, one after another, in the order their events
 * were accepted. The queue is in the database; this workflow reads its head, runs that delivery's
 * own workflow as a child to its end, and moves on. Signals only wake it, so a signal that comes
 * late or twice changes nothing about the order.
 */
export async function orderedKeyWorkflow(input: OrderedKeyInput): Promise<OrderedKeyResult> {
  let wakes = 0;
  setHandler(wakeSignal, () => {
    wakes++;
  });
  let delivered = input.delivered ?? 0;
  let settled = input.settled ?? null;

  for (let run = 0; run < DELIVERIES_PER_RUN; ) {
    const seen = wakes;
    const next = await nextOrdered({ subscriberId: input.subscriberId, orderingKey: input.orderingKey, settled });
    settled = null;
    setCurrentDetails(details(next, delivered));
    if (next.kind === 'deliver') {
      run++;
      try {
        const child = await startChild(deliveryWorkflow, {
          ...deliveryStartOptions(next.input, next.workflowId),
          args: [next.input],
          // A delivery interrupted earlier (its workflow closed, its row still pending) resumes after its last attempt.
          workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
          parentClosePolicy: ParentClosePolicy.ABANDON,
        });
        await child.result();
        delivered++;
      } catch {
        // Its workflow runs already (started before the subscriber chose ordering) or ended
        // abnormally: the row says when it is done; never hot-loop on it.
        await sleep(RUNNING_ELSEWHERE_RECHECK_MS);
      }
      settled = next.input.deliveryId;
      continue;
    }
    const waitMs = next.kind === 'idle' ? IDLE_MS : next.kind === 'gap' ? GAP_RECHECK_MS : BLOCKED_RECHECK_MS;
    const woken = await condition(() => wakes !== seen, waitMs);
    // Idle and nothing came: end. A wake that arrives while this completes fails the completion,
    // and one after it starts a new run (signal-with-start).
    if (!woken && next.kind === 'idle') return { delivered };
  }
  return continueAsNew<typeof orderedKeyWorkflow>({ ...input, delivered, settled });
}

/** The key's state as an operator reads it in the Temporal UI. */
function details(next: OrderedNext, delivered: number): string {
  const done = `${delivered} delivered by this key's workflow`;
  switch (next.kind) {
    case 'deliver':
      return `**delivering** ${next.input.deliveryId} · **${next.queued}** in the queue\n\n${done}`;
    case 'gap':
      return `**waiting** for the fan-out of an earlier event (${next.eventId}) · **${next.queued}** in the queue\n\n${done}`;
    case 'blocked':
      return `**blocked** by dead delivery ${next.deliveryId} since ${new Date(next.since).toISOString()} · **${next.queued}** in the queue\n\nSkip it (POST /admin/api/subscribers/<id>/ordering/skip) or replay it (POST /admin/api/dead-letters/replay).\n\n${done}`;
    case 'idle':
      return `**idle** · the queue is empty\n\n${done}`;
  }
}

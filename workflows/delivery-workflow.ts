import {
  ParentClosePolicy,
  condition,
  defineQuery,
  defineSignal,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  startChild,
  upsertSearchAttributes,
} from '@temporalio/workflow';
// Only import the activity types.
import type { createActivities } from '../activities';
import { formatDuration } from '../src/domain/duration';
import { DEAD_LETTER_EVENT } from '../src/domain/internal-events';
import { eventWorkflowId } from '../src/domain/workflow-ids';
import { maxAttempts, nextDelayMs } from '../src/domain/retry-schedule';
import { WebhookAttempt, WebhookDeliveryStatus, eventSearchAttributes } from '../src/temporal/search-attributes';
import type {
  AttemptResult,
  DeliveryFinalStatus,
  DeliveryStatusView,
  DeliveryWorkflowInput,
  DeliveryWorkflowResult,
} from './types';

type Activities = ReturnType<typeof createActivities>;

// One HTTP attempt per activity execution: the workflow owns the schedule. Temporal retries the
// activity only when the worker itself failed (crash, lost heartbeat), never for an HTTP answer.
// The start-to-close timeout is what notices a dead worker: each delivery sets it from its
// attempt timeout (input.attemptTimeoutMs); this is the fallback for older inputs.
const ATTEMPT_OPTIONS = {
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
} as const;

// Bookkeeping must eventually land, however long the database is away.
const BOOKKEEPING_OPTIONS = {
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute' },
} as const;

const { attemptDelivery } = proxyActivities<Activities>(ATTEMPT_OPTIONS);
const { recordAttempt, finishDelivery } = proxyActivities<Activities>(BOOKKEEPING_OPTIONS);

/**
 * Temporal fires user timers at one-second resolution, so a short wait would land up to a second
 * late. Waits up to this long happen inside the next attempt's activity instead (to the
 * millisecond); longer ones are durable timers, visible as `backoff 30s`.
 */
const SHORT_WAIT_MS = 2_000;

export const statusQuery = defineQuery<DeliveryStatusView>('status');
/** Skips the current backoff and attempts at once. */
export const retryNowSignal = defineSignal('retryNow');
/** Stops a pending delivery after any attempt in flight. */
export const cancelSignal = defineSignal<[reason?: string]>('cancel');

export async function deliveryWorkflow(input: DeliveryWorkflowInput): Promise<DeliveryWorkflowResult> {
  const plan = { delaysMs: input.retryDelaysMs };
  const total = maxAttempts(plan);
  const attempts: AttemptResult[] = [];
  let status: DeliveryStatusView['status'] = 'pending';
  let nextAttemptAt: number | null = null;
  let retryNow = false;
  let cancelReason: string | null = null;
  let lastUpsert = 'pending/0';
  /** A short backoff is waited out by the attempt activity itself, until this time. */
  let notBefore: number | null = null;

  setHandler(statusQuery, () => ({ deliveryId: input.deliveryId, status, attempts, maxAttempts: total, nextAttemptAt }));
  setHandler(retryNowSignal, () => {
    retryNow = true;
  });
  setHandler(cancelSignal, (reason?: string) => {
    cancelReason = reason || 'cancelled by an operator';
  });

  const publish = (attempt: number) => {
    const last = attempts.at(-1);
    const lines = [
      `**${status}** · attempt ${attempt} of ${total}`,
      last ? `last: ${last.statusCode ?? last.outcome}${last.error ? ` (${last.error})` : ''} in ${last.durationMs} ms` : null,
      nextAttemptAt ? `next attempt at ${new Date(nextAttemptAt).toISOString()}` : null,
    ];
    setCurrentDetails(lines.filter(Boolean).join('\n\n'));
    // Each upsert is a history event: only when the status or the attempt number moved.
    const key = `${status}/${attempt}`;
    if (input.searchAttributes && key !== lastUpsert) {
      lastUpsert = key;
      upsertSearchAttributes([
        { key: WebhookDeliveryStatus, value: status },
        { key: WebhookAttempt, value: attempt },
      ]);
    }
  };

  const finish = async (final: DeliveryFinalStatus, reason: string): Promise<DeliveryWorkflowResult> => {
    status = final;
    nextAttemptAt = null;
    publish(attempts.length);
    // A success was recorded by the attempt itself.
    if (final === 'succeeded') return { deliveryId: input.deliveryId, status: final, attempts: attempts.length };
    const announce = final === 'dead' && input.eventType !== DEAD_LETTER_EVENT;
    const { deadLetterEvent } = await finishDelivery({ deliveryId: input.deliveryId, status: final, reason, announce });
    if (deadLetterEvent) {
      // The dead-letter event fans out like any other; its id is derived, so this start is idempotent.
      // By type name: the event workflow module imports this one.
      await startChild('eventWorkflow', {
        workflowId: eventWorkflowId(deadLetterEvent.eventId),
        args: [{ eventId: deadLetterEvent.eventId, eventType: deadLetterEvent.eventType, searchAttributes: input.searchAttributes }],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        staticSummary: `${DEAD_LETTER_EVENT} for ${input.deliveryId}`,
        typedSearchAttributes: input.searchAttributes ? eventSearchAttributes(deadLetterEvent.eventType, deadLetterEvent.eventId) : undefined,
      });
    }
    return { deliveryId: input.deliveryId, status: final, attempts: attempts.length };
  };

  /** What an attempt's result means: a final status, or how long to wait before the next. */
  const next = (result: AttemptResult): { final: DeliveryFinalStatus; reason: string } | { delay: number } => {
    if (result.outcome === 'success') return { final: 'succeeded', reason: `delivered with ${result.statusCode}` };
    if (result.outcome === 'gone') return { final: 'failed', reason: 'the receiver answered 410 Gone; the subscriber was deactivated' };
    if (result.outcome === 'refused') return { final: 'failed', reason: result.error ?? 'the target was refused' };
    const delay = nextDelayMs(plan, result.attempt, result.retryAfterMs);
    return delay === null ? { final: 'dead', reason: `all ${total} attempts failed` } : { delay };
  };

  /** Waits out a step counted from the end of the failed attempt, not from when this code runs. */
  const backoff = async (after: AttemptResult, delay: number) => {
    nextAttemptAt = after.at + after.durationMs + delay;
    retryNow = false;
    publish(attempts.length);
    const remaining = nextAttemptAt - Date.now();
    if (remaining > SHORT_WAIT_MS) {
      await condition(() => retryNow || cancelReason !== null, remaining, { summary: `backoff ${formatDuration(delay)}` });
      notBefore = null;
    } else {
      notBefore = retryNow ? null : nextAttemptAt;
    }
    nextAttemptAt = null;
  };

  // On the fast path the fan-out made the first attempt; this workflow takes over from there.
  if (input.firstAttempt) {
    attempts.push(input.firstAttempt);
    const decision = next(input.firstAttempt);
    if ('final' in decision) return finish(decision.final, decision.reason);
    await backoff(input.firstAttempt, decision.delay);
  }

  for (let attempt = attempts.length + 1; attempt <= total; attempt++) {
    if (cancelReason) return finish('cancelled', cancelReason);
    publish(attempt);
    const wait = notBefore !== null ? notBefore - Date.now() : 0;
    const summary = wait > 0 ? `POST attempt ${attempt} after ${formatDuration(wait)}` : `POST attempt ${attempt}`;
    const timeout = input.attemptTimeoutMs ? input.attemptTimeoutMs + Math.max(wait, 0) : ATTEMPT_OPTIONS.startToCloseTimeout;
    const result = await attemptDelivery.executeWithOptions({ ...ATTEMPT_OPTIONS, startToCloseTimeout: timeout, summary }, [
      { deliveryId: input.deliveryId, attempt, maxAttempts: total, retryDelaysMs: input.retryDelaysMs, notBefore },
    ]);
    notBefore = null;
    attempts.push(result);
    if (!result.logged) await recordAttempt({ deliveryId: input.deliveryId, result });
    const decision = next(result);
    if ('final' in decision) return finish(decision.final, decision.reason);
    await backoff(result, decision.delay);
  }
  // Unreachable: the last failed attempt has no next delay and finishes as dead.
  return finish('dead', `all ${total} attempts failed`);
}

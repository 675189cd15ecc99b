import {
  condition,
  defineQuery,
  defineSignal,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
// Only import the activity types.
import type { createActivities } from '../activities';
import { decide } from '../src/domain/attempt-outcome';
import { formatDuration } from '../src/domain/duration';
import { DEAD_LETTER_EVENT } from '../src/domain/internal-events';
import { maxAttempts } from '../src/domain/retry-schedule';
import { markdownCodeWithin } from '../src/domain/temporal-text';
import { WebhookAttempt, WebhookDeliveryStatus } from '../src/temporal/search-attributes';
import type {
  AttemptDeferred,
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

// Bookkeeping must eventually land, however long the database is away; bounded all the same
// (about a day), so a write that can never succeed does not retry for ever.
const BOOKKEEPING_OPTIONS = {
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 1_500 },
} as const;

/** A deferred attempt (no POST slot) asks again after this, growing to the cap while it stays busy. */
const DEFER_CAP_MS = 30_000;

const { attemptDelivery } = proxyActivities<Activities>(ATTEMPT_OPTIONS);

// The first attempt of a delivery that has no earlier attempt (the fast path off, a replay, a
// delivery that waited for capacity) runs as a local activity: one marker in the history instead
// of three events and no round trip through the task queue. It cannot heartbeat, so its
// timeout is the attempt's own; a worker that dies mid-attempt re-runs it on the next task.
const FIRST_ATTEMPT_LOCAL_OPTIONS = {
  startToCloseTimeout: '2 minutes',
  localRetryThreshold: '10s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
} as const;
const { attemptDelivery: attemptDeliveryLocally } = proxyLocalActivities<Activities>(FIRST_ATTEMPT_LOCAL_OPTIONS);

/** Patch ids (workflows/README.md): each guards a change to running workflow code. */
export const PATCHES = {
  firstAttemptLocal: 'first-attempt-local-activity',
  deferUntilReady: 'defer-until-ready',
  recordHandedOffAttempt: 'record-handed-off-attempt',
  waitFirst: 'wait-first-until-turn',
} as const;
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
  let waiting: string | null = null;

  setHandler(statusQuery, () => ({ deliveryId: input.deliveryId, status, attempts, maxAttempts: total, nextAttemptAt, waiting }));
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
      // The error may be any text (a transform's message): one code span, within 200 bytes.
      last ? `last: ${last.statusCode ?? last.outcome}${last.error ? ` ${markdownCodeWithin(last.error, 200)}` : ''} in ${last.durationMs} ms` : null,
      waiting,
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
    if (final !== 'succeeded') {
      // The dead-letter event is recorded and started by the activity, through the one event path.
      await finishDelivery({ deliveryId: input.deliveryId, status: final, reason, announce: final === 'dead' && input.eventType !== DEAD_LETTER_EVENT });
    }
    return { deliveryId: input.deliveryId, status: final, attempts: attempts.length };
  };

  /** What an attempt's result means: a final status, or how long to wait before the next (src/domain/attempt-outcome). */
  const next = (result: AttemptResult): { final: DeliveryFinalStatus; reason: string } | { delay: number } => {
    const decision = decide(result, plan);
    return decision.kind === 'retry' ? { delay: decision.delayMs } : { final: decision.kind, reason: decision.reason };
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
    // The fan-out hands over an attempt whose log write failed: this workflow records it, durably.
    if (!input.firstAttempt.logged && patched(PATCHES.recordHandedOffAttempt)) await recordAttempt({ deliveryId: input.deliveryId, result: input.firstAttempt });
    const decision = next(input.firstAttempt);
    if ('final' in decision) return finish(decision.final, decision.reason);
    await backoff(input.firstAttempt, decision.delay);
  }

  // Handed over waiting for capacity: its turn is known, so it sleeps until then first instead of
  // asking at once to be told to wait (a slow or dead neighbour's backlog then costs one timer per
  // delivery, not an attempt activity and a timer). Older runs have no `waitFirst`, so they never
  // reach the patch; it is checked last, so only a delivery that takes this branch records its marker.
  if (input.waitFirst && !input.firstAttempt && input.waitFirst.until > Date.now() && patched(PATCHES.waitFirst)) {
    const pause = input.waitFirst.until - Date.now();
    waiting = input.waitFirst.reason;
    publish(1);
    await condition(() => retryNow || cancelReason !== null, pause, { summary: `wait for capacity ${formatDuration(pause)}` });
    retryNow = false;
  }

  for (let attempt = attempts.length + 1; attempt <= total; attempt++) {
    let result: AttemptResult | null = null;
    for (let deferrals = 0; result === null; deferrals++) {
      if (cancelReason) return finish('cancelled', cancelReason);
      publish(attempt);
      const wait = notBefore !== null ? notBefore - Date.now() : 0;
      const summary = wait > 0 ? `POST attempt ${attempt} after ${formatDuration(wait)}` : `POST attempt ${attempt}`;
      const timeout = input.attemptTimeoutMs ? input.attemptTimeoutMs + Math.max(wait, 0) : ATTEMPT_OPTIONS.startToCloseTimeout;
      const args = [{ deliveryId: input.deliveryId, attempt, maxAttempts: total, retryDelaysMs: input.retryDelaysMs, notBefore }] as const;
      const local = attempt === 1 && deferrals === 0 && patched(PATCHES.firstAttemptLocal);
      const answer: AttemptResult | AttemptDeferred = local
        ? await attemptDeliveryLocally.executeWithOptions({ ...FIRST_ATTEMPT_LOCAL_OPTIONS, startToCloseTimeout: timeout, summary }, [...args])
        : await attemptDelivery.executeWithOptions({ ...ATTEMPT_OPTIONS, startToCloseTimeout: timeout, summary }, [...args]);
      notBefore = null;
      if ('deferred' in answer) {
        // No POST slot for this subscriber: not an attempt. Wait durably, holding nothing.
        waiting = answer.reason;
        // The activity knows when a slot is likely (the subscriber's own recent POST times): wait
        // until then rather than back off blindly, which left slots idle while deliveries slept.
        const pause = patched(PATCHES.deferUntilReady)
          ? Math.min(DEFER_CAP_MS, Math.max(answer.retryAt - Date.now(), 250))
          : Math.min(DEFER_CAP_MS, Math.max(answer.retryAt - Date.now(), 1_000) * 2 ** Math.min(deferrals, 5));
        publish(attempt);
        await condition(() => retryNow || cancelReason !== null, pause, { summary: `wait for capacity ${formatDuration(pause)}` });
        retryNow = false;
        continue;
      }
      waiting = null;
      result = answer;
    }
    attempts.push(result);
    if (!result.logged) await recordAttempt({ deliveryId: input.deliveryId, result });
    const decision = next(result);
    if ('final' in decision) return finish(decision.final, decision.reason);
    await backoff(result, decision.delay);
  }
  // Unreachable: the last failed attempt has no next delay and finishes as dead.
  return finish('dead', `all ${total} attempts failed`);
}

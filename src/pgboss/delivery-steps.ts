import type { createActivities } from '../../activities';
import type { RunContext } from '../../activities/run-context';
import { decide } from '../domain/attempt-outcome';
import { DEAD_LETTER_EVENT } from '../domain/internal-events';
import { maxAttempts } from '../domain/retry-schedule';
import { resumeFrom } from '../deliveries/delivery-starter';
import type { Repositories } from '../db/repositories';
import type { AttemptResult, DeliveryFinalStatus } from '../../workflows/types';
import type { DeliveryStep } from './boss';

// A delivery under the pg-boss driver: what workflows/delivery-workflow.ts does, as a chain of
// jobs. Each step makes one attempt (or decides after one) with the same activity code, decides
// with the same pure function, and queues the next step at the scheduled time. A step re-run
// after a crash finds its attempt recorded and never sends it again; the next step's job id is
// derived from the step, so a re-run queues it once.

type Activities = Pick<ReturnType<typeof createActivities>, 'attemptDelivery' | 'recordAttempt' | 'finishDelivery'>;

/**
 * A step is queued this long before its attempt is due and waits the rest inside the attempt, to
 * the millisecond: the queue's polling then cannot make a retry late.
 */
export const STEP_LEAD_MS = 1_000;
/** A deferred attempt (no POST slot) asks again after at most this (the workflow's DEFER_CAP_MS). */
const DEFER_CAP_MS = 30_000;

export interface StepDeps {
  activities: Activities;
  repos: Pick<Repositories, 'deliveries' | 'cancelRequests'>;
  /** Queues the delivery's next step, to run from `runAt` (epoch ms). */
  queue(step: DeliveryStep, runAt: number): Promise<void>;
}

export async function runDeliveryStep(deps: StepDeps, step: DeliveryStep, ctx: RunContext): Promise<void> {
  const { activities, repos } = deps;
  const { input, workflowId } = step;
  const plan = { delaysMs: input.retryDelaysMs };

  const finish = async (final: DeliveryFinalStatus, reason: string) => {
    // A success was recorded by its attempt; the dead letter is announced through the one event path.
    if (final !== 'succeeded') {
      await activities.finishDelivery({ deliveryId: input.deliveryId, status: final, reason, announce: final === 'dead' && input.eventType !== DEAD_LETTER_EVENT });
    }
    await repos.cancelRequests.clear(workflowId);
  };

  const afterAttempt = async (result: AttemptResult) => {
    const decision = decide(result, plan);
    if (decision.kind !== 'retry') return finish(decision.kind, decision.reason);
    const cancelled = await repos.cancelRequests.reasonFor(workflowId);
    if (cancelled) return finish('cancelled', cancelled);
    const next: DeliveryStep = { ...step, attempt: result.attempt + 1, deferrals: 0, notBefore: decision.nextAttemptAt, after: null, waiting: null };
    await deps.queue(next, decision.nextAttemptAt - STEP_LEAD_MS);
  };

  const row = await repos.deliveries.get(input.deliveryId);
  // Finished (or deleted) already: a re-run after the step's work was done.
  if (!row || row.status !== 'pending') return repos.cancelRequests.clear(workflowId);

  if (step.after) {
    // The fan-out made this attempt; its log write failed: record it durably, then go on.
    if (!step.after.logged) await activities.recordAttempt({ deliveryId: input.deliveryId, result: step.after });
    return afterAttempt(step.after);
  }
  const cancelled = await repos.cancelRequests.reasonFor(workflowId);
  if (cancelled) return finish('cancelled', cancelled);
  // Made and recorded before a crash: never sent twice from here.
  if (row.attempts >= step.attempt) return afterAttempt(resumeFrom(row)!);

  const total = maxAttempts(plan);
  const answer = await activities.attemptDelivery(
    { deliveryId: input.deliveryId, attempt: step.attempt, maxAttempts: total, retryDelaysMs: input.retryDelaysMs, notBefore: step.notBefore },
    ctx,
  );
  if ('deferred' in answer) {
    // No POST slot for this subscriber: not an attempt. Wait in the queue, holding nothing.
    const pause = Math.min(DEFER_CAP_MS, Math.max(answer.retryAt - Date.now(), 250));
    await deps.queue({ ...step, deferrals: step.deferrals + 1, notBefore: null, waiting: answer.reason }, Date.now() + pause);
    return;
  }
  if (!answer.logged) await activities.recordAttempt({ deliveryId: input.deliveryId, result: answer });
  return afterAttempt(answer);
}

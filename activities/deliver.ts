import { Context } from '@temporalio/activity';
import { attemptResult } from '../src/domain/attempt-outcome';
import { DEAD_LETTER_EVENT, INTERNAL_SOURCE } from '../src/domain/internal-events';
import type { AttemptDeferred, AttemptInput, AttemptResult, FinishDeliveryInput, FinishDeliveryResult } from '../workflows/types';
import { deactivateIfGone, sendAttempt, toRecord, unlogged, type Attempted } from './attempt';
import { admitRequest } from '../src/engine/admission';
import type { ActivityDeps } from './deps';
import { holdForDisabled } from './held-delivery';

export interface RecordAttemptInput {
  deliveryId: string;
  result: AttemptResult;
}

export function createDeliveryActivities(deps: ActivityDeps) {
  const { repos, logger, config, admission, recorder } = deps;

  return {
    /**
     * One signed POST to the subscriber, logged with the delivery's new state, or a deferral
     * when this worker has no POST slot for the subscriber (the workflow then waits durably).
     */
    async attemptDelivery(input: AttemptInput): Promise<AttemptResult | AttemptDeferred> {
      const ctx = Context.current();
      // A short backoff, waited here to the millisecond (cancellation-aware).
      if (input.notBefore && input.notBefore > Date.now()) await ctx.sleep(input.notBefore - Date.now());
      const [row] = await repos.deliveries.loadForAttempt([input.deliveryId]);
      if (!row) {
        // Nothing was sent and there is no row to log it against: say so, rather than claim a log row.
        const at = Date.now();
        return { ...attemptResult(input.attempt, at, at, 'refused', { error: 'the delivery or its subscriber no longer exists' }), logged: false };
      }
      if (!row.subscriber.active) return holdForDisabled(deps, row, input.attempt);
      const admitted = await admission.admit(admitRequest(row.delivery, row.subscriber), config.admissionWaitMs, ctx.cancellationSignal);
      // Not an attempt: the workflow waits durably until `retryAt`, holding no slot.
      if ('waitUntil' in admitted) return { deferred: true, reason: admitted.reason, retryAt: admitted.waitUntil };
      let attempted: Attempted | undefined;
      try {
        attempted = await sendAttempt(deps, row, input.attempt, ctx.cancellationSignal);
      } finally {
        // The result feeds the subscriber's health (a Retry-After pause) as the lease ends.
        admitted.lease(attempted?.result);
      }
      await deactivateIfGone(deps, row, attempted.result);
      try {
        await recorder.record({ ...attempted.record, update: { ...attempted.record.update, workflowStarted: true } });
      } catch (err) {
        // The POST happened: do not fail (and resend). The workflow records the attempt durably.
        logger.warn({ err, deliveryId: input.deliveryId, attempt: input.attempt }, 'attempt log deferred');
        return unlogged(attempted);
      }
      return attempted.result;
    },

    /** The durable fallback when an attempt could not be logged at the time. */
    async recordAttempt(input: RecordAttemptInput): Promise<void> {
      const delivery = await repos.deliveries.get(input.deliveryId);
      if (!delivery) return;
      const { requestBody, ...result } = input.result;
      const record = toRecord(delivery, { ...result, logged: true }, config.retryDelaysMs, null);
      // The first attempt's body is frozen here when its own log write failed.
      if (requestBody !== undefined && delivery.requestBody === null) record.update.requestBody = requestBody;
      await recorder.record({ ...record, update: { ...record.update, workflowStarted: true } });
    },

    /**
     * Ends a delivery (one statement) and, when it died, announces it through the one event
     * path: the row is written, its workflow started, then marked; the event sweeper repairs a
     * crash between those steps.
     */
    async finishDelivery(input: FinishDeliveryInput): Promise<FinishDeliveryResult> {
      const finished = await repos.deliveries.finish(input.deliveryId, input.status, input.reason);
      const delivery = finished ?? (await repos.deliveries.get(input.deliveryId));
      if (!delivery) return { deadLetterEvent: null };
      // Successes and permanent refusals were counted (and told to plugins) when their attempt was recorded.
      if (input.status === 'dead' || input.status === 'cancelled') {
        deps.metrics?.deliveryFinished({ eventType: delivery.eventType, status: input.status });
        // Only the call that ended it: a retried activity does not tell the hooks twice.
        if (finished) {
          await deps.hooks?.afterDelivery(
            { id: finished.id, eventId: finished.eventId, eventType: finished.eventType, subscriberId: finished.subscriberId, attempts: finished.attempts },
            { status: input.status, statusCode: finished.lastResponseCode, error: input.reason },
          );
        }
      }
      if (!input.announce || delivery.status !== 'dead') return { deadLetterEvent: null };
      const { event } = await deps.events.dispatch({
        source: INTERNAL_SOURCE,
        type: DEAD_LETTER_EVENT,
        externalId: `dead/${delivery.id}`,
        data: {
          delivery_id: delivery.id,
          event_id: delivery.eventId,
          event_type: delivery.eventType,
          subscriber_id: delivery.subscriberId,
          attempts: delivery.attempts,
          last_response_code: delivery.lastResponseCode,
          last_error: delivery.lastError,
          reason: input.reason,
        },
      });
      return { deadLetterEvent: { eventId: event.id, eventType: event.type } };
    },
  };
}

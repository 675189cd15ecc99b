import { Context } from '@temporalio/activity';
import { DEAD_LETTER_EVENT, INTERNAL_SOURCE } from '../src/domain/internal-events';
import { normalizeEvent, toEventRow } from '../src/events/normalized-event';
import type { AttemptInput, AttemptResult, FinishDeliveryInput, FinishDeliveryResult } from '../workflows/types';
import { recordAttempts, sendAttempt, toRecord } from './attempt';
import type { ActivityDeps } from './deps';

export interface RecordAttemptInput {
  deliveryId: string;
  result: AttemptResult;
}

export function createDeliveryActivities(deps: ActivityDeps) {
  const { repos, logger, config } = deps;

  return {
    /** One signed POST to the subscriber, logged with the delivery's new state. */
    async attemptDelivery(input: AttemptInput): Promise<AttemptResult> {
      const ctx = Context.current();
      // A short backoff, waited here to the millisecond (cancellation-aware).
      if (input.notBefore && input.notBefore > Date.now()) await ctx.sleep(input.notBefore - Date.now());
      const [row] = await repos.deliveries.loadForAttempt([input.deliveryId]);
      if (!row) {
        const at = Date.now();
        return { attempt: input.attempt, outcome: 'refused', statusCode: null, durationMs: 0, error: 'the delivery or its subscriber no longer exists', retryAfterMs: null, logged: true, at };
      }
      const { result, record } = await sendAttempt(deps, row, input.attempt, ctx.cancellationSignal, input.retryDelaysMs);
      try {
        await recordAttempts(deps, [record]);
      } catch (err) {
        // The POST happened: do not fail (and resend). The workflow records the attempt durably.
        logger.warn({ err, deliveryId: input.deliveryId, attempt: input.attempt }, 'attempt log deferred');
        return { ...result, logged: false };
      }
      return result;
    },

    /** The durable fallback when an attempt could not be logged at the time. */
    async recordAttempt(input: RecordAttemptInput): Promise<void> {
      const delivery = await repos.deliveries.get(input.deliveryId);
      if (!delivery) return;
      await recordAttempts(deps, [toRecord(delivery, input.result, config.retryDelaysMs, null)]);
    },

    /** Marks a delivery terminal and, when it died, records the dead-letter event. */
    async finishDelivery(input: FinishDeliveryInput): Promise<FinishDeliveryResult> {
      await repos.deliveries.update(input.deliveryId, {
        status: input.status,
        nextAttemptAt: null,
        ...(input.status === 'succeeded' ? {} : { lastError: input.reason }),
      });
      const delivery = await repos.deliveries.get(input.deliveryId);
      // Successes and permanent refusals were counted when their attempt was recorded.
      if (delivery && (input.status === 'dead' || input.status === 'cancelled')) {
        deps.metrics?.deliveryFinished({ eventType: delivery.eventType, status: input.status });
      }
      if (!input.announce || !delivery) return { deadLetterEvent: null };
      const event = normalizeEvent({
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
      const { event: stored } = await repos.events.insertIfAbsent(toEventRow(event));
      await repos.events.markWorkflowStarted(stored.id);
      return { deadLetterEvent: { eventId: stored.id, eventType: stored.type } };
    },
  };
}

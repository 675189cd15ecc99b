import type { EventSink } from '../../activities/deps';
import type { Repositories } from '../db/repositories';
import { INTERNAL_SOURCE, SUBSCRIBER_HEALTH_EVENTS } from '../domain/internal-events';
import type { HealthChange } from './circuit-breaker';

// A subscriber's change of health, told through the one event path (the dispatcher) like
// `webhook.delivery.dead_lettered`: any subscriber of `webhook.subscriber.*` receives it. The
// external id is the subscriber and the change's sequence number, so a change is one event
// however often it is told.

/** The internal event of a change of health. */
export function healthEvent(change: HealthChange) {
  return {
    source: INTERNAL_SOURCE,
    type: SUBSCRIBER_HEALTH_EVENTS[change.state],
    externalId: `subscriber/${change.subscriberId}/health/${change.seq}`,
    occurredAt: change.at,
    data: {
      subscriber_id: change.subscriberId,
      state: change.state,
      previous_state: change.previous,
      reason: change.reason,
      first_failure_at: change.firstFailureAt?.toISOString() ?? null,
      last_error: change.lastError,
      sequence: change.seq,
    },
  };
}

/** Tells a change; a failure to record it is logged (the change itself is already stored). */
export function announceHealthChange(events: EventSink, onError: (err: unknown, change: HealthChange) => void) {
  return (change: HealthChange): void => {
    events.dispatch(healthEvent(change)).catch((err) => onError(err, change));
  };
}

/**
 * Re-enables a subscriber, however an operator asks (POST /enable, POST /activate, PATCH with
 * `active: true`): it becomes active, its circuit closes and its adaptive cap restarts at 1 (the
 * ramp-up), and `webhook.subscriber.recovered` is told when it was not healthy. Returns the row.
 */
export async function reenableSubscriber(
  deps: { repos: Repositories; events?: EventSink | null; onError?: (err: unknown) => void },
  subscriberId: string,
  reason: string,
) {
  const enabled = await deps.repos.subscribers.setActive(subscriberId, true);
  const change = await deps.repos.protection.circuit.reset(subscriberId, reason);
  if (change && deps.events) announceHealthChange(deps.events, (err) => deps.onError?.(err))(change);
  return enabled;
}

/** Tells that a subscriber was disabled outside the breaker (a 410 Gone), once. */
export async function tellDisabled(deps: { repos: Repositories; events: EventSink }, subscriberId: string, reason: string): Promise<void> {
  const change = await deps.repos.protection.circuit.markDisabled(subscriberId, reason);
  if (change) await deps.events.dispatch(healthEvent(change));
}

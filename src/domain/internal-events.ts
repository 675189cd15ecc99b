/** Emitted when a delivery exhausts its retries. Deliveries of this event never announce themselves. */
export const DEAD_LETTER_EVENT = 'webhook.delivery.dead_lettered';
/** The source of events the platform emits about itself; no named source may take it. */
export const INTERNAL_SOURCE = 'internal';

/** A test send is an event of its own source, fanned out to that one subscriber only. */
export const testSource = (subscriberId: string) => `test/${subscriberId}`;

/** The subscriber a test event is for, or null for any other event. */
export const testSubscriberOf = (source: string): string | null => (source.startsWith('test/') ? source.slice(5) : null);

/** The prefix of the platform's own event types, which no sender may emit. */
export const INTERNAL_EVENT_PREFIX = 'webhook.';

/** Whether `type` is one of the platform's own event types (`webhook.*`). */
export function isInternalEventType(type: string): boolean {
  return type.startsWith(INTERNAL_EVENT_PREFIX);
}

/** A subscriber's health changed (src/protection/circuit-breaker): `webhook.subscriber.<change>`, once per change. */
export const SUBSCRIBER_HEALTH_EVENTS = {
  degraded: 'webhook.subscriber.degraded',
  open: 'webhook.subscriber.circuit_opened',
  healthy: 'webhook.subscriber.recovered',
  disabled: 'webhook.subscriber.disabled',
} as const;

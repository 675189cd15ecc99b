/** Emitted when a delivery exhausts its retries. Deliveries of this event never announce themselves. */
export const DEAD_LETTER_EVENT = 'webhook.delivery.dead_lettered';
/** The source of events the platform emits about itself. */
export const INTERNAL_SOURCE = 'internal';

/** A test send is an event of its own source, fanned out to that one subscriber only. */
export const testSource = (subscriberId: string) => `test/${subscriberId}`;

/** The subscriber a test event is for, or null for any other event. */
export const testSubscriberOf = (source: string): string | null => (source.startsWith('test/') ? source.slice(5) : null);

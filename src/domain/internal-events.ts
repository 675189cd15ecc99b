/** Emitted when a delivery exhausts its retries. Deliveries of this event never announce themselves. */
export const DEAD_LETTER_EVENT = 'webhook.delivery.dead_lettered';
/** The source of events the platform emits about itself. */
export const INTERNAL_SOURCE = 'internal';

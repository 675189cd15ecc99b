import type { DeliveryRow } from '../db/delivery-repository';
import type { EventRow } from '../db/event-repository';

/** Thrown when a delivery cannot be replayed because retention or an expunge removed its payload. */
export class PayloadExpiredError extends Error {
  constructor(
    readonly deliveryId: string,
    readonly eventId: string,
  ) {
    super(`the payload of delivery ${deliveryId} (event ${eventId}) has expired or was expunged; it cannot be replayed`);
  }
}

/** Throws PayloadExpiredError for the first of `ids` whose body is gone (unknown ids are the caller's to report). */
export async function assertPayloadsKept(
  repos: { deliveries: { get(id: string): Promise<DeliveryRow | undefined> }; events: { get(id: string): Promise<EventRow | undefined> } },
  ids: string[],
): Promise<void> {
  for (const id of ids) {
    const delivery = await repos.deliveries.get(id);
    if (!delivery || delivery.requestBody !== null) continue;
    const event = await repos.events.get(delivery.eventId);
    if (!event || event.payloadExpiredAt !== null) throw new PayloadExpiredError(delivery.id, delivery.eventId);
  }
}

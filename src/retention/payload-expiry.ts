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

type Reads = { deliveries: { get(id: string): Promise<DeliveryRow | undefined> }; events: { get(id: string): Promise<EventRow | undefined> } };

/** The deliveries among `ids` whose body is gone, as errors, in the order given (unknown ids are the caller's to report). */
export async function expiredPayloads(repos: Reads, ids: string[], opts: { first?: boolean } = {}): Promise<PayloadExpiredError[]> {
  const expired: PayloadExpiredError[] = [];
  for (const id of ids) {
    const delivery = await repos.deliveries.get(id);
    if (!delivery || delivery.requestBody !== null) continue;
    const event = await repos.events.get(delivery.eventId);
    if (!event || event.payloadExpiredAt !== null) {
      expired.push(new PayloadExpiredError(delivery.id, delivery.eventId));
      if (opts.first) break;
    }
  }
  return expired;
}

/** Throws PayloadExpiredError for the first of `ids` whose body is gone (unknown ids are the caller's to report). */
export async function assertPayloadsKept(repos: Reads, ids: string[]): Promise<void> {
  const [first] = await expiredPayloads(repos, ids, { first: true });
  if (first) throw first;
}

import type { DeliveryForAttempt, PageForAttempt } from '../src/db/delivery-repository';
import type { ActivityDeps } from './deps';

export interface OrderedHandOff {
  /** The page's deliveries that take the usual path. */
  rest: DeliveryForAttempt[];
  /** Pending deliveries put into their key's queue instead (no first attempt here). */
  queued: number;
}

/**
 * Takes a keyed event's deliveries to ordered subscribers out of the fan-out page: each goes into
 * its (subscriber, key) queue and its key's workflow is woken, through the one delivery path
 * (the starter). A wake that fails is left to the orphan-delivery reconciler; the queue itself is
 * in the database, so nothing is lost or reordered. Re-running the page does the same again.
 */
export async function handOffOrdered(deps: Pick<ActivityDeps, 'repos' | 'starter' | 'logger'>, page: PageForAttempt): Promise<OrderedHandOff> {
  const { event, rows } = page;
  if (event.orderingKey === null || !deps.starter.ordersKeys) return { rest: rows, queued: 0 };
  const ordered = rows.filter((r) => r.subscriber.orderedDelivery && r.delivery.status === 'pending');
  if (ordered.length === 0) return { rest: rows, queued: 0 };
  await deps.repos.ordering.enqueue(
    ordered.map((r) => r.delivery.id),
    event.orderingKey,
    event.sequence,
  );
  await Promise.all(
    ordered.map(async ({ delivery, subscriber }) => {
      try {
        await deps.starter.start({ ...delivery, orderingKey: event.orderingKey, sequence: event.sequence }, subscriber.url);
      } catch (err) {
        deps.logger.warn({ err, deliveryId: delivery.id }, 'could not wake the ordered key; the reconciler will');
      }
    }),
  );
  const taken = new Set(ordered);
  return { rest: rows.filter((r) => !taken.has(r)), queued: ordered.length };
}

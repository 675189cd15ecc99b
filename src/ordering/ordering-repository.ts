import { and, asc, count, eq, inArray, isNotNull, isNull, lt, ne, notExists, or, sql } from 'drizzle-orm';
import type { Db } from '../db/database';
import type { DeliveryRow } from '../db/delivery-repository';
import { deliveries, events, orderingKeys, subscribers } from '../db/schema';

// The state of ordered keys lives in PostgreSQL: a key's queue is its subscriber's pending
// ordered deliveries in sequence order (a partial index holds only those); webhook_ordering_keys
// says whether the key's workflow waits idle (only then does a new delivery signal it) and which
// dead delivery blocks the key. The workflow reads its queue here, so a late or repeated signal,
// or a restarted workflow, never loses or reorders anything.

export interface OrderedKeyRef {
  subscriberId: string;
  orderingKey: string;
}

export interface OrderingBlock {
  orderingKey: string;
  deliveryId: string;
  blockedAt: Date;
}

/** The queue length a key's workflow shows is exact up to this many. */
export const QUEUE_COUNT_CAP = 10_000;

export interface KeyQueue {
  orderingKey: string;
  pending: number;
}

const thisKey = ({ subscriberId, orderingKey }: OrderedKeyRef) => and(eq(orderingKeys.subscriberId, subscriberId), eq(orderingKeys.orderingKey, orderingKey));

export function createOrderingRepository(db: Db) {
  return {
    /** Puts a page's deliveries into their key's queue: every delivery of one event has its key and sequence. */
    async enqueue(ids: string[], orderingKey: string, sequence: number): Promise<void> {
      if (ids.length === 0) return;
      await db
        .update(deliveries)
        .set({ orderingKey, sequence })
        .where(and(inArray(deliveries.id, ids), isNull(deliveries.orderingKey)));
    },

    /** The key's next delivery (lowest sequence, then oldest: a replay comes after what it replays) and its queue length (at most QUEUE_COUNT_CAP). */
    async head({ subscriberId, orderingKey }: OrderedKeyRef): Promise<{ delivery: DeliveryRow; url: string; queued: number } | null> {
      const queue = and(eq(deliveries.subscriberId, subscriberId), eq(deliveries.orderingKey, orderingKey), eq(deliveries.status, 'pending'));
      const [first] = await db
        .select({ delivery: deliveries, url: subscribers.url })
        .from(deliveries)
        .innerJoin(subscribers, eq(subscribers.id, deliveries.subscriberId))
        .where(queue)
        .orderBy(asc(deliveries.sequence), asc(deliveries.createdAt))
        .limit(1);
      if (!first) return null;
      // Counted up to a cap: every step of a deep queue must not cost its whole length.
      const capped = db.select({ one: sql`1` }).from(deliveries).where(queue).limit(QUEUE_COUNT_CAP).as('capped');
      const [{ queued }] = await db.select({ queued: count() }).from(capped);
      return { ...first, queued };
    },

    /**
     * An earlier event of the key whose fan-out has not reached this subscriber yet: the head
     * must wait for it. An event whose fan-out finished without a delivery here is no gap. While
     * its fan-out runs, a delivery row that exists but is not in the queue yet (pending, no key:
     * the page wrote it and has not enqueued it) is still a gap.
     */
    async gapBefore({ subscriberId, orderingKey }: OrderedKeyRef, sequence: number): Promise<string | null> {
      const [row] = await db
        .select({ id: events.id })
        .from(events)
        .where(
          and(
            eq(events.orderingKey, orderingKey),
            lt(events.sequence, sequence),
            sql`${events.status} in ('received', 'dispatched')`,
            notExists(
              db
                .select({ one: sql`1` })
                .from(deliveries)
                .where(
                  and(
                    eq(deliveries.eventId, events.id),
                    eq(deliveries.subscriberId, subscriberId),
                    or(isNotNull(deliveries.orderingKey), ne(deliveries.status, 'pending')),
                  ),
                ),
            ),
          ),
        )
        .orderBy(asc(events.sequence))
        .limit(1);
      return row?.id ?? null;
    },

    /** Stops the key at this delivery; a key already blocked keeps its first block. */
    async block({ subscriberId, orderingKey }: OrderedKeyRef, deliveryId: string): Promise<void> {
      const now = new Date();
      await db
        .insert(orderingKeys)
        .values({ subscriberId, orderingKey, blockedBy: deliveryId, blockedAt: now })
        .onConflictDoUpdate({ target: [orderingKeys.subscriberId, orderingKeys.orderingKey], set: { blockedBy: deliveryId, blockedAt: now, updatedAt: now }, setWhere: isNull(orderingKeys.blockedBy) });
    },

    async blockOf(key: OrderedKeyRef): Promise<OrderingBlock | undefined> {
      const [row] = await db
        .select({ orderingKey: orderingKeys.orderingKey, deliveryId: orderingKeys.blockedBy, blockedAt: orderingKeys.blockedAt })
        .from(orderingKeys)
        .where(and(thisKey(key), isNotNull(orderingKeys.blockedBy)));
      return row ? { orderingKey: row.orderingKey, deliveryId: row.deliveryId!, blockedAt: row.blockedAt! } : undefined;
    },

    /** Lifts the key's block (only the one made by `deliveryId`, when given); the block, or undefined when there was none. */
    async unblock(key: OrderedKeyRef, deliveryId?: string): Promise<OrderingBlock | undefined> {
      const block = await this.blockOf(key);
      if (!block || (deliveryId && block.deliveryId !== deliveryId)) return undefined;
      // Conditional on the block read: of two operators lifting it at once, one does.
      const lifted = await db
        .update(orderingKeys)
        // Marked idle: the next delivery of the key (a replay of the dead one) wakes its workflow.
        .set({ blockedBy: null, blockedAt: null, idle: true, updatedAt: new Date() })
        .where(and(thisKey(key), eq(orderingKeys.blockedBy, block.deliveryId)))
        .returning({ orderingKey: orderingKeys.orderingKey });
      return lifted.length > 0 ? block : undefined;
    },

    /** The subscriber's blocked keys, oldest block first. */
    async blocked(subscriberId: string, limit: number): Promise<OrderingBlock[]> {
      const rows = await db
        .select({ orderingKey: orderingKeys.orderingKey, deliveryId: orderingKeys.blockedBy, blockedAt: orderingKeys.blockedAt })
        .from(orderingKeys)
        .where(and(eq(orderingKeys.subscriberId, subscriberId), isNotNull(orderingKeys.blockedBy)))
        .orderBy(asc(orderingKeys.blockedAt))
        .limit(limit);
      return rows.map((r) => ({ orderingKey: r.orderingKey, deliveryId: r.deliveryId!, blockedAt: r.blockedAt! }));
    },

    /**
     * Records whether the key's workflow waits idle for a wake. It marks itself idle before it
     * looks at its queue a last time, and a new delivery is enqueued before its sender reads the
     * mark: so either the workflow sees the delivery, or the sender sees the mark and wakes it.
     */
    async setIdle(key: OrderedKeyRef, idle: boolean): Promise<void> {
      await db
        .insert(orderingKeys)
        .values({ ...key, idle })
        .onConflictDoUpdate({ target: [orderingKeys.subscriberId, orderingKeys.orderingKey], set: { idle, updatedAt: new Date() }, setWhere: sql`${orderingKeys.idle} <> ${idle}` });
    },

    /** Whether a new delivery must wake the key's workflow: it waits idle, or has never run. */
    async needsWake(key: OrderedKeyRef): Promise<boolean> {
      const [row] = await db.select({ idle: orderingKeys.idle }).from(orderingKeys).where(thisKey(key));
      return row?.idle ?? true;
    },

    /**
     * Keys whose workflow may be gone (ended by hand, or failed): not blocked, a delivery queued
     * since before `olderThan`, and not claimed since. Each is marked claimed now (its row's
     * `updated_at`), so a pass looks at one key at most once per age. A key with no row gets one,
     * marked idle (as a missing row reads: its next delivery wakes it).
     */
    async claimStalled(olderThan: Date, limit: number): Promise<OrderedKeyRef[]> {
      const at = sql`${olderThan.toISOString()}::timestamptz`;
      const result = await db.execute<{ subscriber_id: string; ordering_key: string }>(sql`
        insert into webhook_ordering_keys (subscriber_id, ordering_key, idle, updated_at)
        select distinct d.subscriber_id, d.ordering_key, true, now() from webhook_deliveries d
        where d.ordering_key is not null and d.status = 'pending' and d.created_at < ${at}
          and not exists (
            select 1 from webhook_ordering_keys k
            where k.subscriber_id = d.subscriber_id and k.ordering_key = d.ordering_key and (k.blocked_by is not null or k.updated_at >= ${at}))
        limit ${limit}
        on conflict (subscriber_id, ordering_key) do update set updated_at = now()
          where webhook_ordering_keys.blocked_by is null and webhook_ordering_keys.updated_at < ${at}
        returning subscriber_id, ordering_key`);
      return (result as unknown as { rows: { subscriber_id: string; ordering_key: string }[] }).rows.map((r) => ({ subscriberId: r.subscriber_id, orderingKey: r.ordering_key }));
    },

    /** The subscriber's keys with pending deliveries, longest queue first. */
    async queues(subscriberId: string, limit: number): Promise<KeyQueue[]> {
      const pending = count();
      const rows = await db
        .select({ orderingKey: deliveries.orderingKey, pending })
        .from(deliveries)
        .where(and(eq(deliveries.subscriberId, subscriberId), sql`${deliveries.orderingKey} is not null`, eq(deliveries.status, 'pending')))
        .groupBy(deliveries.orderingKey)
        .orderBy(sql`${pending} desc`, asc(deliveries.orderingKey))
        .limit(limit);
      return rows.map((r) => ({ orderingKey: r.orderingKey!, pending: r.pending }));
    },
  };
}

export type OrderingRepository = ReturnType<typeof createOrderingRepository>;

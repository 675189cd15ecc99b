import { and, asc, count, eq, inArray, isNull, lt, notExists, sql } from 'drizzle-orm';
import type { Db } from '../db/database';
import type { DeliveryRow } from '../db/delivery-repository';
import { deliveries, events, orderingBlocks, subscribers } from '../db/schema';

// The state of ordered keys lives in PostgreSQL: a key's queue is its subscriber's pending
// ordered deliveries in sequence order (a partial index holds only those), and a key stopped by
// a dead delivery has a row in webhook_ordering_blocks. The key's workflow only reads it, so a
// lost signal or a restarted workflow never loses or reorders anything.

export interface OrderedKeyRef {
  subscriberId: string;
  orderingKey: string;
}

export type OrderingBlock = typeof orderingBlocks.$inferSelect;

export interface KeyQueue {
  orderingKey: string;
  pending: number;
}

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

    /** The key's next delivery (lowest sequence, then oldest: a replay comes after what it replays) and its queue length. */
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
      const [{ queued }] = await db.select({ queued: count() }).from(deliveries).where(queue);
      return { ...first, queued };
    },

    /**
     * An earlier event of the key whose fan-out has not reached this subscriber yet: the head
     * must wait for it. An event whose fan-out finished without a delivery here is no gap.
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
                .where(and(eq(deliveries.eventId, events.id), eq(deliveries.subscriberId, subscriberId))),
            ),
          ),
        )
        .orderBy(asc(events.sequence))
        .limit(1);
      return row?.id ?? null;
    },

    /** Stops the key at this delivery; a key already blocked keeps its first block. */
    async block({ subscriberId, orderingKey }: OrderedKeyRef, deliveryId: string): Promise<void> {
      await db.insert(orderingBlocks).values({ subscriberId, orderingKey, deliveryId }).onConflictDoNothing();
    },

    async blockOf({ subscriberId, orderingKey }: OrderedKeyRef): Promise<OrderingBlock | undefined> {
      const [row] = await db
        .select()
        .from(orderingBlocks)
        .where(and(eq(orderingBlocks.subscriberId, subscriberId), eq(orderingBlocks.orderingKey, orderingKey)));
      return row;
    },

    /** Lifts the key's block (only the one made by `deliveryId`, when given); the block, or undefined when there was none. */
    async unblock({ subscriberId, orderingKey }: OrderedKeyRef, deliveryId?: string): Promise<OrderingBlock | undefined> {
      const [row] = await db
        .delete(orderingBlocks)
        .where(
          and(
            eq(orderingBlocks.subscriberId, subscriberId),
            eq(orderingBlocks.orderingKey, orderingKey),
            deliveryId ? eq(orderingBlocks.deliveryId, deliveryId) : undefined,
          ),
        )
        .returning();
      return row;
    },

    /** The subscriber's blocked keys, oldest block first. */
    async blocked(subscriberId: string, limit: number): Promise<OrderingBlock[]> {
      return db.select().from(orderingBlocks).where(eq(orderingBlocks.subscriberId, subscriberId)).orderBy(asc(orderingBlocks.blockedAt)).limit(limit);
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

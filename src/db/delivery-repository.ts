import { and, asc, count, desc, eq, gte, lt, lte, or, sql } from 'drizzle-orm';
import type { Db } from './database';
import { deliveries, events, logs, subscribers, type DeliveryStatus } from './schema';

export type DeliveryRow = typeof deliveries.$inferSelect;
export type NewDelivery = typeof deliveries.$inferInsert;
export type LogRow = typeof logs.$inferSelect;
export type NewLog = typeof logs.$inferInsert;

export interface DeliveryUpdate {
  status?: DeliveryStatus;
  attempts?: number;
  lastResponseCode?: number | null;
  lastError?: string | null;
  nextAttemptAt?: Date | null;
}

export interface DeliveryFilter {
  status?: DeliveryStatus;
  subscriberId?: string;
  eventId?: string;
  eventType?: string;
  from?: Date;
  to?: Date;
  cursor?: { createdAt: Date; id: string };
  limit?: number;
}

/** A terminal status also stamps completed_at. */
function deliveryPatch(patch: DeliveryUpdate) {
  const now = new Date();
  const terminal = patch.status !== undefined && patch.status !== 'pending';
  return { ...patch, updatedAt: now, ...(terminal ? { completedAt: now } : {}) };
}

export function createDeliveryRepository(db: Db) {
  return {
    /** Creates the rows that do not exist yet; a re-run of a fan-out adds nothing. */
    async createMany(rows: NewDelivery[]): Promise<void> {
      if (rows.length === 0) return;
      await db.insert(deliveries).values(rows).onConflictDoNothing();
    },

    async get(id: string): Promise<DeliveryRow | undefined> {
      const [row] = await db.select().from(deliveries).where(eq(deliveries.id, id));
      return row;
    },

    /** What an attempt needs, in one round trip: the delivery, its event and its subscriber. */
    async loadForAttempt(id: string) {
      const [row] = await db
        .select({ delivery: deliveries, event: events, subscriber: subscribers })
        .from(deliveries)
        .innerJoin(events, eq(events.id, deliveries.eventId))
        .innerJoin(subscribers, eq(subscribers.id, deliveries.subscriberId))
        .where(eq(deliveries.id, id));
      return row;
    },

    async freezeBody(id: string, body: string): Promise<void> {
      await db.update(deliveries).set({ requestBody: body }).where(and(eq(deliveries.id, id), sql`${deliveries.requestBody} is null`));
    },

    async update(id: string, patch: DeliveryUpdate): Promise<void> {
      await db.update(deliveries).set(deliveryPatch(patch)).where(eq(deliveries.id, id));
    },

    /** Logs one attempt and brings its delivery up to date, atomically. A re-run attempt overwrites its row. */
    async recordAttempt(log: NewLog, delivery: DeliveryUpdate): Promise<void> {
      await db.transaction(async (tx) => {
        const { deliveryId, attempts: _attempt, ...rest } = log;
        await tx
          .insert(logs)
          .values(log)
          .onConflictDoUpdate({ target: [logs.deliveryId, logs.attempts], set: { ...rest, createdAt: new Date() } });
        await tx.update(deliveries).set(deliveryPatch(delivery)).where(eq(deliveries.id, deliveryId));
      });
    },

    async logsFor(deliveryId: string): Promise<LogRow[]> {
      return db.select().from(logs).where(eq(logs.deliveryId, deliveryId)).orderBy(asc(logs.attempts));
    },

    async listForEvent(eventId: string): Promise<DeliveryRow[]> {
      return db.select().from(deliveries).where(eq(deliveries.eventId, eventId)).orderBy(asc(deliveries.createdAt));
    },

    async createReplay(row: NewDelivery): Promise<DeliveryRow> {
      const [created] = await db.insert(deliveries).values(row).onConflictDoNothing().returning();
      if (created) return created;
      const [existing] = await db.select().from(deliveries).where(eq(deliveries.id, row.id));
      return existing;
    },

    async countReplays(rootId: string): Promise<number> {
      const [row] = await db.select({ n: count() }).from(deliveries).where(eq(deliveries.replayOf, rootId));
      return Number(row.n);
    },

    /** Newest first; `cursor` is the last row of the previous page. */
    async list(filter: DeliveryFilter = {}): Promise<DeliveryRow[]> {
      const cursor = filter.cursor;
      return db
        .select()
        .from(deliveries)
        .where(
          and(
            filter.status ? eq(deliveries.status, filter.status) : undefined,
            filter.subscriberId ? eq(deliveries.subscriberId, filter.subscriberId) : undefined,
            filter.eventId ? eq(deliveries.eventId, filter.eventId) : undefined,
            filter.eventType ? eq(deliveries.eventType, filter.eventType) : undefined,
            filter.from ? gte(deliveries.createdAt, filter.from) : undefined,
            filter.to ? lte(deliveries.createdAt, filter.to) : undefined,
            cursor
              ? or(lt(deliveries.createdAt, cursor.createdAt), and(eq(deliveries.createdAt, cursor.createdAt), lt(deliveries.id, cursor.id)))
              : undefined,
          ),
        )
        .orderBy(desc(deliveries.createdAt), desc(deliveries.id))
        .limit(filter.limit ?? 100);
    },
  };
}

export type DeliveryRepository = ReturnType<typeof createDeliveryRepository>;

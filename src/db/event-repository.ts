import { and, desc, eq, isNull, lt } from 'drizzle-orm';
import type { Db } from './database';
import { events, type EventStatus } from './schema';

export type EventRow = typeof events.$inferSelect;
export type NewEvent = typeof events.$inferInsert;

export function createEventRepository(db: Db) {
  return {
    /** Inserts the event unless its key is known; returns the stored row and whether it is new. */
    async insertIfAbsent(input: NewEvent): Promise<{ event: EventRow; created: boolean }> {
      const [inserted] = await db.insert(events).values(input).onConflictDoNothing().returning();
      if (inserted) return { event: inserted, created: true };
      const [existing] = await db
        .select()
        .from(events)
        .where(and(eq(events.source, input.source), eq(events.externalId, input.externalId)));
      if (!existing) throw new Error(`event ${input.id} conflicted but cannot be read back`);
      return { event: existing, created: false };
    },

    async get(id: string): Promise<EventRow | undefined> {
      const [row] = await db.select().from(events).where(eq(events.id, id));
      return row;
    },

    async markWorkflowStarted(id: string): Promise<void> {
      await db
        .update(events)
        .set({ workflowStartedAt: new Date(), status: 'dispatched' })
        .where(and(eq(events.id, id), isNull(events.workflowStartedAt)));
    },

    async setStatus(id: string, status: EventStatus): Promise<void> {
      await db.update(events).set({ status }).where(eq(events.id, id));
    },

    async list(options: { type?: string; before?: Date; limit?: number } = {}): Promise<EventRow[]> {
      return db
        .select()
        .from(events)
        .where(and(options.type ? eq(events.type, options.type) : undefined, options.before ? lt(events.receivedAt, options.before) : undefined))
        .orderBy(desc(events.receivedAt))
        .limit(options.limit ?? 100);
    },

    /** Events recorded but whose workflow never started: what a crash between the two leaves. */
    async listUnstarted(olderThan: Date, limit = 100): Promise<EventRow[]> {
      return db
        .select()
        .from(events)
        .where(and(isNull(events.workflowStartedAt), lt(events.receivedAt, olderThan)))
        .limit(limit);
    },
  };
}

export type EventRepository = ReturnType<typeof createEventRepository>;

import { and, asc, desc, eq, getTableColumns, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import type { Db } from './database';
import { newestFirstWindow, pastPosition, type ListPosition } from './newest-first';
import { events, type EventStatus } from './schema';

export type EventRow = typeof events.$inferSelect;
export type NewEvent = typeof events.$inferInsert;
/** An event as lists show it: everything but its payload, so a page's memory does not grow with payloads. */
export type EventSummary = Omit<EventRow, 'payload'>;

const { payload: _payload, ...summaryColumns } = getTableColumns(events);

export interface EventFilter {
  type?: string;
  source?: string;
  status?: EventStatus;
  /** Received at or after. */
  from?: Date;
  /** Received at or before. */
  to?: Date;
  cursor?: ListPosition;
  limit?: number;
}

/** A start marked after its workflow already finished the fan-out (or a plugin vetoed it) keeps that status. */
const dispatchedUnlessProcessed = sql<EventStatus>`case when ${events.status} in ('processed', 'vetoed') then ${events.status} else 'dispatched' end`;

export function createEventRepository(db: Db) {
  return {
    /** Inserts the event unless its key is known; returns the stored row and whether it is new. */
    async insertIfAbsent(input: NewEvent): Promise<{ event: EventRow; created: boolean }> {
      const [result] = await this.insertManyIfAbsent([input]);
      return result!;
    },

    /**
     * `insertIfAbsent` for many events in one statement (the gateway's group commit). Results
     * are in input order; of two inputs with one key, only the first is `created`.
     */
    async insertManyIfAbsent(inputs: NewEvent[]): Promise<{ event: EventRow; created: boolean }[]> {
      const inserted = await insertInKeyOrder(db, inputs);
      const rows = new Map(inserted.map((row) => [eventKey(row), row]));
      const fresh = new Set(rows.keys());
      const missing = inputs.filter((input) => !rows.has(eventKey(input)));
      if (missing.length > 0) {
        const existing = await db
          .select()
          .from(events)
          .where(or(...missing.map((input) => and(eq(events.source, input.source), eq(events.externalId, input.externalId)))));
        for (const row of existing) rows.set(eventKey(row), row);
      }
      return inputs.map((input) => {
        const key = eventKey(input);
        const event = rows.get(key);
        if (!event) throw new Error(`event ${input.id} conflicted but cannot be read back`);
        const created = fresh.delete(key);
        return { event, created };
      });
    },

    async get(id: string): Promise<EventRow | undefined> {
      const [row] = await db.select().from(events).where(eq(events.id, id));
      return row;
    },

    async markWorkflowStarted(id: string): Promise<void> {
      await this.markManyWorkflowStarted([id]);
    },

    async markManyWorkflowStarted(ids: string[]): Promise<void> {
      await db
        .update(events)
        .set({ workflowStartedAt: new Date(), status: dispatchedUnlessProcessed })
        .where(and(inArray(events.id, ids), isNull(events.workflowStartedAt)));
    },

    async setStatus(id: string, status: EventStatus): Promise<void> {
      await db.update(events).set({ status }).where(eq(events.id, id));
    },

    /** `setStatus` for many events in one statement (fan-out pages that end together). */
    async setManyStatus(ids: string[], status: EventStatus): Promise<void> {
      await db.update(events).set({ status }).where(inArray(events.id, ids));
    },

    /** A plugin's beforeDispatch refused the event: no delivery starts for it. */
    async veto(id: string, reason: string): Promise<void> {
      await db.update(events).set({ status: 'vetoed', vetoReason: reason }).where(eq(events.id, id));
    },

    /** A plugin's beforeDispatch enriched the event: every delivery sends this payload. */
    async setPayload(id: string, payload: unknown): Promise<void> {
      await db.update(events).set({ payload }).where(eq(events.id, id));
    },

    /** Newest first; `cursor` is the last row of the previous page. */
    async list(filter: EventFilter = {}): Promise<EventSummary[]> {
      return db
        .select(summaryColumns)
        .from(events)
        .where(
          and(
            filter.type ? eq(events.type, filter.type) : undefined,
            filter.source ? eq(events.source, filter.source) : undefined,
            filter.status ? eq(events.status, filter.status) : undefined,
            newestFirstWindow(events.receivedAt, events.id, { from: filter.from, to: filter.to, after: filter.cursor }),
          ),
        )
        .orderBy(desc(events.receivedAt), desc(events.id))
        .limit(filter.limit ?? 100);
    },

    /**
     * Events recorded but whose workflow never started: what a crash between the two leaves, or
     * a start that failed behind an early answer. Oldest first; `after` pages on from the last
     * row of the previous page (through the partial index on unstarted rows).
     */
    async listUnstarted(olderThan: Date, limit = 100, after?: ListPosition): Promise<EventSummary[]> {
      return db
        .select(summaryColumns)
        .from(events)
        .where(
          and(
            isNull(events.workflowStartedAt),
            lt(events.receivedAt, olderThan),
            after ? pastPosition(events.receivedAt, events.id, after, 'asc') : undefined,
          ),
        )
        .orderBy(asc(events.receivedAt), asc(events.id))
        .limit(limit);
    },
  };
}

/**
 * Inserts the rows. Keyed rows take a lock per ordering key first (sorted, so two batches never
 * deadlock): their sequence numbers are then handed out in commit order per key, so an ordered
 * key's workflow never sees a later event of its key before an earlier one commits.
 */
async function insertInKeyOrder(db: Db, inputs: NewEvent[]): Promise<EventRow[]> {
  const keys = [...new Set(inputs.map((i) => i.orderingKey).filter((k): k is string => typeof k === 'string'))].sort();
  if (keys.length === 0) return db.insert(events).values(inputs).onConflictDoNothing().returning();
  return db.transaction(async (tx) => {
    for (const key of keys) await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${'webhook-ordering:' + key}, 0))`);
    return tx.insert(events).values(inputs).onConflictDoNothing().returning();
  });
}

function eventKey(event: Pick<NewEvent, 'source' | 'externalId'>): string {
  return `${event.source}\u0000${event.externalId}`;
}

export type EventRepository = ReturnType<typeof createEventRepository>;

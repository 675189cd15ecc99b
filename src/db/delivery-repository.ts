import { and, asc, count, desc, eq, getTableColumns, inArray, sql } from 'drizzle-orm';
import type { Db } from './database';
import { newestFirstWindow, pastPosition, type ListPosition } from './newest-first';
import { deliveries, events, logs, subscribers, type DeliveryStatus } from './schema';

export type DeliveryRow = typeof deliveries.$inferSelect;
export type NewDelivery = typeof deliveries.$inferInsert;
/** A delivery as lists show it: everything but its frozen request body. */
export type DeliverySummary = Omit<DeliveryRow, 'requestBody'>;

const { requestBody: _requestBody, ...summaryColumns } = getTableColumns(deliveries);
export type LogRow = typeof logs.$inferSelect;
export type NewLog = typeof logs.$inferInsert;

export interface DeliveryUpdate {
  status?: DeliveryStatus;
  /** Only ever set once: the first attempt freezes the body. */
  requestBody?: string;
  attempts?: number;
  lastResponseCode?: number | null;
  lastError?: string | null;
  nextAttemptAt?: Date | null;
}

export interface AttemptRecord {
  log: NewLog;
  update: DeliveryUpdate;
}

export interface DeliveryForAttempt {
  delivery: DeliveryRow;
  event: typeof events.$inferSelect;
  subscriber: typeof subscribers.$inferSelect;
}

export interface DeliveryFilter {
  status?: DeliveryStatus;
  subscriberId?: string;
  eventId?: string;
  eventType?: string;
  from?: Date;
  to?: Date;
  cursor?: ListPosition;
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

    /** What attempts need, in one round trip: each delivery with its event and subscriber. */
    async loadForAttempt(ids: string[]): Promise<DeliveryForAttempt[]> {
      if (ids.length === 0) return [];
      return db
        .select({ delivery: deliveries, event: events, subscriber: subscribers })
        .from(deliveries)
        .innerJoin(events, eq(events.id, deliveries.eventId))
        .innerJoin(subscribers, eq(subscribers.id, deliveries.subscriberId))
        .where(inArray(deliveries.id, ids));
    },

    async update(id: string, patch: DeliveryUpdate): Promise<void> {
      await db.update(deliveries).set(deliveryPatch(patch)).where(eq(deliveries.id, id));
    },

    /**
     * Logs attempts and brings their deliveries up to date, in one transaction and two
     * statements whatever the count. A re-run attempt overwrites its log row.
     */
    async recordAttempts(records: AttemptRecord[]): Promise<void> {
      if (records.length === 0) return;
      await db.transaction(async (tx) => {
        await tx
          .insert(logs)
          .values(records.map((r) => r.log))
          .onConflictDoUpdate({
            target: [logs.deliveryId, logs.attempts],
            set: {
              requestBody: sql`excluded.request_body`,
              requestHeaders: sql`excluded.request_headers`,
              responseCode: sql`excluded.response_code`,
              responseBody: sql`excluded.response_body`,
              durationMs: sql`excluded.duration_ms`,
              error: sql`excluded.error`,
              outcome: sql`excluded.outcome`,
              nextRetryAt: sql`excluded.next_retry_at`,
              createdAt: sql`now()`,
            },
          });
        const values = records.map(
          ({ log, update }) =>
            sql`(${log.deliveryId}::text, ${update.status ?? null}::text, ${update.attempts ?? log.attempts}::int, ${update.lastResponseCode ?? null}::int, ${update.lastError ?? null}::text, ${update.nextAttemptAt ? update.nextAttemptAt.toISOString() : null}::timestamptz, ${update.requestBody ?? null}::text)`,
        );
        // Only a pending delivery moves: a late duplicate of an attempt must not undo a terminal status.
        await tx.execute(sql`
          update webhook_deliveries as d set
            status = coalesce(v.status, d.status),
            attempts = greatest(d.attempts, v.attempts),
            last_response_code = v.code,
            last_error = v.error,
            next_attempt_at = v.next,
            updated_at = now(),
            completed_at = case when v.status is not null and v.status <> 'pending' then now() else d.completed_at end,
            request_body = coalesce(d.request_body, v.body)
          from (values ${sql.join(values, sql`, `)}) as v(id, status, attempts, code, error, next, body)
          where d.id = v.id and d.status = 'pending'`);
      });
    },

    async logsFor(deliveryId: string): Promise<LogRow[]> {
      return db.select().from(logs).where(eq(logs.deliveryId, deliveryId)).orderBy(asc(logs.attempts));
    },

    /** One page of an event's deliveries, oldest first, without bodies; `after` is the last row of the previous page. */
    async listForEvent(eventId: string, page: { after?: ListPosition; limit?: number } = {}): Promise<DeliverySummary[]> {
      return db
        .select(summaryColumns)
        .from(deliveries)
        .where(and(eq(deliveries.eventId, eventId), page.after ? pastPosition(deliveries.createdAt, deliveries.id, page.after, 'asc') : undefined))
        .orderBy(asc(deliveries.createdAt), asc(deliveries.id))
        .limit(page.limit ?? 100);
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
    async list(filter: DeliveryFilter = {}): Promise<DeliverySummary[]> {
      return db
        .select(summaryColumns)
        .from(deliveries)
        .where(
          and(
            filter.status ? eq(deliveries.status, filter.status) : undefined,
            filter.subscriberId ? eq(deliveries.subscriberId, filter.subscriberId) : undefined,
            filter.eventId ? eq(deliveries.eventId, filter.eventId) : undefined,
            filter.eventType ? eq(deliveries.eventType, filter.eventType) : undefined,
            newestFirstWindow(deliveries.createdAt, deliveries.id, { from: filter.from, to: filter.to, after: filter.cursor }),
          ),
        )
        .orderBy(desc(deliveries.createdAt), desc(deliveries.id))
        .limit(filter.limit ?? 100);
    },
  };
}

export type DeliveryRepository = ReturnType<typeof createDeliveryRepository>;

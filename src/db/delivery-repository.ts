import { and, asc, count, desc, eq, getTableColumns, inArray, isNotNull, isNull, lt, or, sql } from 'drizzle-orm';
import type { Db } from './database';
import { bodyHash, createFrozenBodies } from './frozen-bodies';
import { newestFirstWindow, pastPosition, type ListPosition } from './newest-first';
import { deliveries, events, logs, subscribers, type DeliveryStatus } from './schema';

export type DeliveryRow = typeof deliveries.$inferSelect;
export type NewDelivery = typeof deliveries.$inferInsert;
/** A delivery as lists show it: everything but its frozen request body. */
export type DeliverySummary = Omit<DeliveryRow, 'requestBody'>;

const { requestBody: _requestBody, ...summaryColumns } = getTableColumns(deliveries);
/**
 * A delivery row for a fan-out page that is run again: the frozen body only of a delivery still
 * to be attempted there (a copy of the payload each; those attempted already go to their workflows).
 */
const rerunColumns = {
  ...summaryColumns,
  requestBody: sql<string | null>`case when ${deliveries.attempts} = 0 and ${deliveries.status} = 'pending' then ${deliveries.requestBody} end`,
};
export type LogRow = typeof logs.$inferSelect;
export type NewLog = typeof logs.$inferInsert;

export interface DeliveryUpdate {
  status?: DeliveryStatus;
  /** Only ever set once: the first attempt freezes the body. */
  requestBody?: string;
  /** bodyHash(requestBody), when the caller already has it (a fan-out page hashes a shared body once). */
  requestBodyHash?: string;
  attempts?: number;
  lastResponseCode?: number | null;
  lastError?: string | null;
  nextAttemptAt?: Date | null;
  /** Recorded by the delivery's own workflow: its workflow is known to run. */
  workflowStarted?: boolean;
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

/** One fan-out page: the event once, each delivery with its subscriber. */
export interface PageForAttempt {
  event: typeof events.$inferSelect;
  rows: DeliveryForAttempt[];
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

/** A body as the attempt view shows it: the JSON it holds, or the text when it is not JSON. */
function jsonOrText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** A terminal status also stamps completed_at. */
function deliveryPatch({ workflowStarted, requestBodyHash: _hash, ...patch }: DeliveryUpdate) {
  const now = new Date();
  const terminal = patch.status !== undefined && patch.status !== 'pending';
  return { ...patch, updatedAt: now, ...(terminal ? { completedAt: now } : {}), ...(workflowStarted ? { workflowStartedAt: now } : {}) };
}

export function createDeliveryRepository(db: Db) {
  const frozenBodies = createFrozenBodies();
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

    /**
     * A fan-out page in two round trips: creates its delivery rows (those that already exist, from
     * an earlier run of the page, are left as they are and read back), and loads the event once, so
     * a big payload is held once per page. Returns the deliveries in `attempt` with their
     * subscribers, or null when the event is gone.
     */
    async createPage(eventId: string, rows: NewDelivery[], subscribersById: Map<string, (typeof subscribers)['$inferSelect']>, attempt: Set<string>): Promise<PageForAttempt | null> {
      const created = rows.length === 0 ? [] : await db.insert(deliveries).values(rows).onConflictDoNothing().returning();
      const [event] = await db.select().from(events).where(eq(events.id, eventId));
      if (!event) return null;
      const byId = new Map(created.map((d) => [d.id, d]));
      const earlier = [...attempt].filter((id) => !byId.has(id));
      if (earlier.length > 0) for (const d of await db.select(rerunColumns).from(deliveries).where(inArray(deliveries.id, earlier))) byId.set(d.id, d);
      const page: DeliveryForAttempt[] = [];
      for (const id of attempt) {
        const delivery = byId.get(id);
        const subscriber = delivery && subscribersById.get(delivery.subscriberId);
        if (delivery && subscriber) page.push({ delivery, subscriber, event });
      }
      return { event, rows: page };
    },

    async markWorkflowStarted(ids: string[]): Promise<void> {
      if (ids.length === 0) return;
      await db.update(deliveries).set({ workflowStartedAt: new Date() }).where(and(inArray(deliveries.id, ids), isNull(deliveries.workflowStartedAt)));
    },

    /**
     * Pending deliveries older than `olderThan` with no workflow known to run, whose owner is
     * gone: a replay (nothing else owns it) or a fan-out row whose event finished its fan-out.
     * Oldest first, paged by keyset.
     */
    async listOrphans(olderThan: Date, limit = 100, after?: ListPosition): Promise<DeliveryForAttempt['delivery'][]> {
      return db
        .select({ delivery: deliveries })
        .from(deliveries)
        .innerJoin(events, eq(events.id, deliveries.eventId))
        .where(
          and(
            eq(deliveries.status, 'pending'),
            isNull(deliveries.workflowStartedAt),
            lt(deliveries.createdAt, olderThan),
            or(isNotNull(deliveries.replayOf), eq(events.status, 'processed')),
            after ? pastPosition(deliveries.createdAt, deliveries.id, after, 'asc') : undefined,
          ),
        )
        .orderBy(asc(deliveries.createdAt), asc(deliveries.id))
        .limit(limit)
        .then((rows) => rows.map((r) => r.delivery));
    },

    /**
     * Keeps a pending delivery unsent because its subscriber is disabled: `held`, replayable when
     * it is re-enabled. Returns whether it was still pending.
     */
    async hold(id: string, reason: string): Promise<boolean> {
      const now = new Date();
      const rows = await db
        .update(deliveries)
        .set({ status: 'held', nextAttemptAt: null, updatedAt: now, completedAt: now, lastError: reason })
        .where(and(eq(deliveries.id, id), eq(deliveries.status, 'pending')))
        .returning({ id: deliveries.id });
      return rows.length > 0;
    },

    /** Ends a pending delivery in one statement; returns the row, or undefined when it was no longer pending. */
    async finish(id: string, status: Exclude<DeliveryStatus, 'pending'>, reason: string | null): Promise<DeliveryRow | undefined> {
      const now = new Date();
      const [row] = await db
        .update(deliveries)
        .set({ status, nextAttemptAt: null, updatedAt: now, completedAt: now, ...(reason !== null ? { lastError: reason } : {}) })
        .where(and(eq(deliveries.id, id), eq(deliveries.status, 'pending')))
        .returning();
      return row;
    },

    async update(id: string, patch: DeliveryUpdate): Promise<void> {
      await db.update(deliveries).set(deliveryPatch(patch)).where(eq(deliveries.id, id));
    },

    /**
     * Logs attempts and brings their deliveries up to date, in one transaction and two
     * statements whatever the count (three when a body to freeze is new to this process). A
     * re-run attempt overwrites its log row. A body to freeze is written once per (event, hash)
     * and copied to its deliveries in the database (src/db/frozen-bodies.ts), so a large event
     * costs its size once, not once per delivery; log rows point at their delivery's body.
     */
    async recordAttempts(records: AttemptRecord[]): Promise<void> {
      if (records.length === 0) return;
      const hashes = records.map(({ update }) => (update.requestBody === undefined ? null : (update.requestBodyHash ?? bodyHash(update.requestBody))));
      const toFreeze = records.flatMap(({ log, update }, i) => (update.requestBody === undefined ? [] : [{ eventId: log.eventId, hash: hashes[i]!, body: update.requestBody }]));
      // One statement, so one round trip and atomic without a transaction: the bodies, the logs,
      // then the deliveries, which copy their body from the rows this statement wrote (a
      // statement's own inserts are not in its snapshot) or from earlier ones.
      const insertBodies = frozenBodies.insertUnwritten(toFreeze);
      const insertLogs = db
        .insert(logs)
        .values(records.map((r) => r.log))
        .onConflictDoUpdate({
          target: [logs.deliveryId, logs.attempts],
          set: {
            requestBody: sql`excluded.request_body`,
            requestBodyFrozen: sql`excluded.request_body_frozen`,
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
        ({ log, update }, i) =>
          sql`(${log.deliveryId}::text, ${update.status ?? null}::text, ${update.attempts ?? log.attempts}::int, ${update.lastResponseCode ?? null}::int, ${update.lastError ?? null}::text, ${update.nextAttemptAt ? update.nextAttemptAt.toISOString() : null}::timestamptz, ${hashes[i]}::text, ${update.workflowStarted ?? false}::boolean)`,
      );
      const stored = sql`(select b.body from webhook_request_bodies b where b.event_id = d.event_id and b.hash = v.body_hash)`;
      const body = insertBodies ? sql`coalesce((select f.body from fresh_bodies f where f.event_id = d.event_id and f.hash = v.body_hash), ${stored})` : stored;
      // Only a pending delivery moves: a late duplicate of an attempt must not undo a terminal status.
      await db.execute(sql`
        with ${insertBodies ? sql`fresh_bodies as (${insertBodies}), ` : sql``}logged as (${insertLogs.getSQL()})
        update webhook_deliveries as d set
          status = coalesce(v.status, d.status),
          attempts = greatest(d.attempts, v.attempts),
          last_response_code = v.code,
          last_error = v.error,
          next_attempt_at = v.next,
          updated_at = now(),
          completed_at = case when v.status is not null and v.status <> 'pending' then now() else d.completed_at end,
          request_body = coalesce(d.request_body, ${body}),
          workflow_started_at = case when v.started then coalesce(d.workflow_started_at, now()) else d.workflow_started_at end
        from (values ${sql.join(values, sql`, `)}) as v(id, status, attempts, code, error, next, body_hash, started)
        where d.id = v.id and d.status = 'pending'`);
      frozenBodies.committed(toFreeze);
    },

    /** A delivery's attempts, oldest first, each with the body it sent (its delivery's frozen body, parsed as JSON when it is JSON). */
    async logsFor(deliveryId: string): Promise<LogRow[]> {
      const rows = await db
        .select({ log: logs, frozen: deliveries.requestBody })
        .from(logs)
        .leftJoin(deliveries, eq(deliveries.id, logs.deliveryId))
        .where(eq(logs.deliveryId, deliveryId))
        .orderBy(asc(logs.attempts));
      return rows.map(({ log, frozen }) => (log.requestBodyFrozen && log.requestBody === null && frozen !== null ? { ...log, requestBody: jsonOrText(frozen) } : log));
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

import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/database';
import { deleteBodiesOf } from '../db/frozen-bodies';

// The pruner's statements. Each call handles one bounded batch, oldest first, and returns how
// many rows it touched, so a run is many short statements that never hold locks for long.
// "Live" rows are never touched: an event or log whose delivery is still pending, or held and not
// yet replayed (its subscriber disabled or its circuit open: kept for the replay that re-enabling
// offers), keeps its data.

const count = (result: unknown) => (result as { rows: unknown[] }).rows.length;
const at = (date: Date) => sql`${date.toISOString()}::timestamptz`;

/** The delivery aliased `d` is live: pending, or held with no replay made after it. */
const live = (d: string) =>
  sql.raw(`(${d}.status = 'pending' or (${d}.status = 'held' and not exists (
    select 1 from webhook_deliveries r where r.replay_of = coalesce(${d}.replay_of, ${d}.id) and r.created_at > ${d}.created_at)))`);

export function createRetentionRepository(db: Db) {
  const pendingDeliveryOf = (eventId: ReturnType<typeof sql>) => sql`exists (select 1 from webhook_deliveries p where p.event_id = ${eventId} and ${live('p')})`;

  /** Deletes the `limit` oldest rows of `table` (aliased `l` in `where` and `order`) that match. */
  const deleteOldest = async (table: string, where: SQL, order: string, limit: number) =>
    count(
      await db.execute(sql`
        delete from ${sql.raw(table)}
        where id in (select l.id from ${sql.raw(table)} l where ${where} order by ${sql.raw(order)} limit ${limit})
        returning id`),
    );

  return {
    /**
     * Removes the payloads of events received before `cutoff`: the event's payload, its
     * deliveries' frozen request bodies and its attempt logs' request bodies. Only an event whose
     * fan-out finished (`processed`) and none of whose deliveries is pending loses its payload.
     */
    async expirePayloads(cutoff: Date, limit: number): Promise<number> {
      return db.transaction(async (tx) => {
        const batch = await tx.execute<{ id: string }>(sql`
          select e.id from webhook_events e
          where e.payload_expired_at is null and e.received_at < ${at(cutoff)}
            and e.status = 'processed' and not ${pendingDeliveryOf(sql`e.id`)}
          order by e.received_at limit ${limit}
          for update skip locked`);
        const ids = (batch as unknown as { rows: { id: string }[] }).rows.map((r) => r.id);
        if (ids.length === 0) return 0;
        await stripEvents(tx as unknown as Db, ids, { responses: false });
        return ids.length;
      });
    },

    /** Removes the response bodies of attempt logs written before `cutoff`. */
    async clearResponses(cutoff: Date, limit: number): Promise<number> {
      return count(
        await db.execute(sql`
          update webhook_logs set response_body = null
          where id in (
            select l.id from webhook_logs l
            where l.response_body is not null and l.created_at < ${at(cutoff)}
              and not exists (select 1 from webhook_deliveries p where p.id = l.delivery_id and ${live('p')})
            order by l.created_at limit ${limit})
          returning id`),
      );
    },

    /** Deletes attempt logs written before `cutoff`. */
    async deleteLogs(cutoff: Date, limit: number): Promise<number> {
      return deleteOldest('webhook_logs', sql`l.created_at < ${at(cutoff)} and not exists (select 1 from webhook_deliveries p where p.id = l.delivery_id and ${live('p')})`, 'l.created_at', limit);
    },

    /**
     * Deletes deliveries that finished before `cutoff`. A dead letter is measured from when it
     * died, not from its first attempt, so it stays replayable for the whole log age; a held one
     * stays until it is replayed.
     */
    async deleteDeliveries(cutoff: Date, limit: number): Promise<number> {
      return deleteOldest('webhook_deliveries', sql`l.completed_at is not null and l.completed_at < ${at(cutoff)} and not ${live('l')}`, 'l.completed_at', limit);
    },

    /** Deletes events received before `cutoff` that have no delivery left and whose workflow started. */
    async deleteEvents(cutoff: Date, limit: number): Promise<number> {
      return deleteOldest(
        'webhook_events',
        sql`l.received_at < ${at(cutoff)} and l.workflow_started_at is not null and not exists (select 1 from webhook_deliveries d where d.event_id = l.id)`,
        'l.received_at',
        limit,
      );
    },

    /**
     * Deletes ordered keys' state rows (`webhook_ordering_keys`) untouched since `cutoff` whose
     * key is neither blocked nor has a delivery pending. Such a row only says that the key's
     * workflow went idle: without it, the key's next delivery wakes its workflow, as for a key
     * never seen, so nothing about order is lost. A blocked key keeps its row until an operator
     * skips or replays it.
     */
    async deleteOrderingKeys(cutoff: Date, limit: number): Promise<number> {
      // The test is in the outer statement too: a row blocked (or touched) meanwhile is
      // re-checked there, at its new version, and kept.
      const unused = (k: string) =>
        sql`${sql.raw(k)}.blocked_by is null and ${sql.raw(k)}.updated_at < ${at(cutoff)} and not exists (
          select 1 from webhook_deliveries p
          where p.subscriber_id = ${sql.raw(k)}.subscriber_id and p.ordering_key = ${sql.raw(k)}.ordering_key and p.status = 'pending')`;
      return count(
        await db.execute(sql`
          delete from webhook_ordering_keys o
          where ${unused('o')} and (o.subscriber_id, o.ordering_key) in (
            select k.subscriber_id, k.ordering_key from webhook_ordering_keys k where ${unused('k')} limit ${limit})
          returning 1`),
      );
    },

    /** Whether the event has a delivery still pending. */
    async hasPendingDelivery(eventId: string): Promise<boolean> {
      const result = await db.execute(sql`select 1 from webhook_deliveries p where p.event_id = ${eventId} and p.status = 'pending' limit 1`);
      return count(result) > 0;
    },

    /**
     * Removes one event's payload and every body kept for it (request and response), at once,
     * for a privacy request. Returns the number of deliveries and logs stripped, or null when
     * there is no such event.
     */
    async expunge(eventId: string): Promise<{ deliveries: number; logs: number } | null> {
      return db.transaction(async (tx) => {
        const found = await tx.execute(sql`select id from webhook_events where id = ${eventId} for update`);
        if (count(found) === 0) return null;
        return stripEvents(tx as unknown as Db, [eventId], { responses: true });
      });
    },
  };
}

/** Strips the events' payloads, the bodies frozen from them (deliveries' and webhook_request_bodies'), and their logs' bodies. */
async function stripEvents(db: Db, ids: string[], opts: { responses: boolean }): Promise<{ deliveries: number; logs: number }> {
  const list = sql.join(
    ids.map((id) => sql`${id}`),
    sql`, `,
  );
  await db.execute(sql`update webhook_events set payload = null, payload_expired_at = coalesce(payload_expired_at, now()) where id in (${list})`);
  await deleteBodiesOf(db, list);
  const deliveries = await db.execute(sql`update webhook_deliveries set request_body = null where event_id in (${list}) returning id`);
  const logs = await db.execute(sql`
    update webhook_logs set request_body = null${opts.responses ? sql`, response_body = null` : sql``}
    where delivery_id in (select id from webhook_deliveries where event_id in (${list}))
    returning id`);
  return { deliveries: count(deliveries), logs: count(logs) };
}

export type RetentionRepository = ReturnType<typeof createRetentionRepository>;

import { sql } from 'drizzle-orm';
import type { Db } from './database';
import { rowsOf } from './raw-rows';

export interface EventTypeEntry {
  type: string;
  count: number;
  lastSeenAt: Date;
  /** The newest event of the type. */
  sample: { id: string; payload: unknown };
}


/** The event types seen in webhook_events: counts, last seen, and the newest payload of each. */
export function createEventCatalogRepository(db: Db) {
  return {
    /** The most recently seen types first. */
    async list(limit: number): Promise<EventTypeEntry[]> {
      const types = rowsOf(
        await db.execute(sql`select type, count(*) as count, max(received_at) as last_seen_at from webhook_events group by type order by max(received_at) desc, type limit ${limit}`),
      );
      if (types.length === 0) return [];
      const names = sql.join(types.map((t) => sql`${t.type as string}`), sql`, `);
      // The newest row of each type, through webhook_events_type_received_idx.
      const samples = rowsOf(
        await db.execute(sql`select distinct on (type) type, id, payload from webhook_events where type in (${names}) order by type, received_at desc, id desc`),
      );
      const byType = new Map(samples.map((s) => [s.type as string, s]));
      return types.map((t) => {
        const s = byType.get(t.type as string);
        return { type: t.type as string, count: Number(t.count), lastSeenAt: new Date(t.last_seen_at as string), sample: { id: String(s?.id ?? ''), payload: s?.payload ?? null } };
      });
    },
  };
}

export type EventCatalogRepository = ReturnType<typeof createEventCatalogRepository>;

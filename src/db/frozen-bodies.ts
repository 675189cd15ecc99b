import { createHash } from 'node:crypto';
import { sql, type SQL } from 'drizzle-orm';
import type { Db } from './database';

// A delivery's first attempt freezes the exact bytes it sent (webhook_deliveries.request_body).
// A fan-out page's deliveries share one body per transform, so the body goes to the database
// once per (event, hash) into webhook_request_bodies and the deliveries copy it there: a large
// event costs its size once per worker, not once per delivery, in the worker's memory and on the
// wire. Attempt logs point at their delivery's body (webhook_logs.request_body_frozen).

/** The content hash a body is written under: sha256, hex. */
export function bodyHash(body: string): string {
  return createHash('sha256').update(body).digest('hex');
}

/** A body to freeze on a delivery of `eventId`. */
export interface BodyToFreeze {
  eventId: string;
  hash: string;
  body: string;
}

/** How many (event, hash) pairs a process remembers as written, so that it does not send them again. */
const REMEMBERED = 1024;

/**
 * Writes bodies once. Remembers what this process wrote (after its transaction committed, by
 * `committed`) so that later batches send only the hash; a body written by another worker, or
 * forgotten, is written again and the conflict leaves the row as it was.
 */
export function createFrozenBodies() {
  const written = new Set<string>();
  const key = (b: Pick<BodyToFreeze, 'eventId' | 'hash'>) => `${b.eventId}\u0000${b.hash}`;
  return {
    /**
     * The statement that writes the bodies not yet known as written, or null when there are none.
     * It returns every body it was given, also one that another transaction wrote first (the
     * conflict waits for it and touches only the key), so one statement can copy them on.
     */
    insertUnwritten(bodies: BodyToFreeze[]): SQL | null {
      const fresh = new Map<string, BodyToFreeze>();
      for (const b of bodies) if (!written.has(key(b))) fresh.set(key(b), b);
      if (fresh.size === 0) return null;
      const rows = [...fresh.values()].map((b) => sql`(${b.eventId}::text, ${b.hash}::text, ${b.body}::text)`);
      return sql`insert into webhook_request_bodies (event_id, hash, body) values ${sql.join(rows, sql`, `)}
        on conflict (event_id, hash) do update set hash = excluded.hash returning event_id, hash, body`;
    },
    /** Marks bodies as written, once the transaction that wrote them committed. */
    committed(bodies: Pick<BodyToFreeze, 'eventId' | 'hash'>[]): void {
      for (const b of bodies) {
        written.delete(key(b));
        written.add(key(b));
      }
      // A Set iterates in insertion order: drop the oldest.
      for (const k of written) {
        if (written.size <= REMEMBERED) break;
        written.delete(k);
      }
    },
  };
}

export type FrozenBodies = ReturnType<typeof createFrozenBodies>;

/** Removes the bodies kept for these events (their payloads expired or were expunged). */
export async function deleteBodiesOf(db: Db, eventIds: SQL): Promise<void> {
  await db.execute(sql`delete from webhook_request_bodies where event_id in (${eventIds})`);
}

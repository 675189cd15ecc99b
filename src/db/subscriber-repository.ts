import { and, asc, desc, eq, gt, sql } from 'drizzle-orm';
import type { Db } from './database';
import { subscribers, type SignatureVersion } from './schema';
import { patternsMatching } from '../domain/event-pattern';

export type Subscriber = typeof subscribers.$inferSelect;
export type NewSubscriber = typeof subscribers.$inferInsert;

export interface SubscriberListFilter {
  active?: boolean;
  event?: string;
  /** A case-insensitive substring of the name, description, URL, id or an event pattern. */
  search?: string;
  limit?: number;
}

/** `text` as an ILIKE pattern that matches it anywhere, its own `%`, `_` and `\` taken literally. */
function containing(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export function createSubscriberRepository(db: Db) {
  return {
    async create(input: NewSubscriber): Promise<Subscriber> {
      const [row] = await db.insert(subscribers).values(input).returning();
      return row;
    },

    async get(id: string): Promise<Subscriber | undefined> {
      const [row] = await db.select().from(subscribers).where(eq(subscribers.id, id));
      return row;
    },

    async list(filter: SubscriberListFilter = {}): Promise<Subscriber[]> {
      const where = [];
      if (filter.active !== undefined) where.push(eq(subscribers.active, filter.active));
      if (filter.event) where.push(matchingEvent(filter.event));
      if (filter.search) {
        const p = containing(filter.search);
        where.push(
          sql`(${subscribers.name} ilike ${p} or ${subscribers.description} ilike ${p} or ${subscribers.url} ilike ${p} or ${subscribers.id}::text ilike ${p} or ${subscribers.events}::text ilike ${p})`,
        );
      }
      return db
        .select()
        .from(subscribers)
        .where(and(...where))
        .orderBy(desc(subscribers.createdAt), asc(subscribers.id))
        .limit(filter.limit ?? 500);
    },

    async update(id: string, patch: Partial<NewSubscriber>): Promise<Subscriber | undefined> {
      const [row] = await db
        .update(subscribers)
        .set({ ...patch, updatedAt: new Date() })
        .where(eq(subscribers.id, id))
        .returning();
      return row;
    },

    async remove(id: string): Promise<boolean> {
      const rows = await db.delete(subscribers).where(eq(subscribers.id, id)).returning({ id: subscribers.id });
      return rows.length > 0;
    },

    async setActive(id: string, active: boolean, reason: string | null = null): Promise<Subscriber | undefined> {
      return this.update(id, { active, disabledReason: active ? null : reason });
    },

    /** Keeps the old secret signing until `graceMs` from now, beside the new one. */
    async rotateSecret(id: string, newSecret: string, graceMs: number): Promise<Subscriber | undefined> {
      const [row] = await db
        .update(subscribers)
        .set({
          previousSecret: sql`${subscribers.secret}`,
          previousSecretExpiresAt: new Date(Date.now() + graceMs),
          secret: newSecret,
          updatedAt: new Date(),
        })
        .where(eq(subscribers.id, id))
        .returning();
      return row;
    },

    /** Keeps the old ed25519 signing key signing until `graceMs` from now, beside the new one. */
    async rotateSigningKey(id: string, newKey: string, graceMs: number): Promise<Subscriber | undefined> {
      const [row] = await db
        .update(subscribers)
        .set({
          previousSigningKey: sql`${subscribers.signingKey}`,
          previousSigningKeyExpiresAt: new Date(Date.now() + graceMs),
          signingKey: newKey,
          updatedAt: new Date(),
        })
        .where(eq(subscribers.id, id))
        .returning();
      return row;
    },

    /**
     * One page of subscribers whose patterns match eventType, in id order after `afterId`,
     * disabled ones too: their deliveries are recorded as `held`, never dropped (Outpost #611).
     * With `onlyId` (a test send), that subscriber alone, active or not: the attempt says why it was refused.
     */
    /** One page of the subscribers an event goes to, whole: the fan-out signs and sends with them. */
    async pageMatching(eventType: string, afterId: string | null, limit: number, onlyId?: string | null): Promise<Subscriber[]> {
      const who = onlyId ? eq(subscribers.id, onlyId) : matchingEvent(eventType);
      return db
        .select()
        .from(subscribers)
        .where(and(who, afterId ? gt(subscribers.id, afterId) : undefined))
        .orderBy(asc(subscribers.id))
        .limit(limit);
    },
  };
}

function matchingEvent(eventType: string) {
  const patterns = patternsMatching(eventType);
  return sql`${subscribers.events} ?| array[${sql.join(
    patterns.map((p) => sql`${p}`),
    sql`, `,
  )}]::text[]`;
}

/** The secrets that sign right now: the current one, then the previous one while its grace lasts. */
export function signingSecrets(subscriber: Pick<Subscriber, 'secret' | 'previousSecret' | 'previousSecretExpiresAt'>, now: Date): string[] {
  const secrets = [subscriber.secret];
  if (subscriber.previousSecret && subscriber.previousSecretExpiresAt && subscriber.previousSecretExpiresAt > now) {
    secrets.push(subscriber.previousSecret);
  }
  return secrets;
}

export type SubscriberRepository = ReturnType<typeof createSubscriberRepository>;
export type { SignatureVersion };

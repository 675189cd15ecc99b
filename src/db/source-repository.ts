import { asc, eq } from 'drizzle-orm';
import type { Db } from './database';
import { sources } from './schema';

export type Source = typeof sources.$inferSelect;
export type NewSource = typeof sources.$inferInsert;

/** The named inbound sources behind `/webhook/inbound/:source`. */
export function createSourceRepository(db: Db) {
  return {
    /** Inserts the source; undefined when the name is taken. */
    async create(input: NewSource): Promise<Source | undefined> {
      const [row] = await db.insert(sources).values(input).onConflictDoNothing().returning();
      return row;
    },

    async get(name: string): Promise<Source | undefined> {
      const [row] = await db.select().from(sources).where(eq(sources.name, name));
      return row;
    },

    async list(): Promise<Source[]> {
      return db.select().from(sources).orderBy(asc(sources.name));
    },

    async update(name: string, patch: Partial<Omit<NewSource, 'name'>>): Promise<Source | undefined> {
      const [row] = await db
        .update(sources)
        .set({ ...patch, updatedAt: new Date() })
        .where(eq(sources.name, name))
        .returning();
      return row;
    },

    async remove(name: string): Promise<boolean> {
      const rows = await db.delete(sources).where(eq(sources.name, name)).returning({ name: sources.name });
      return rows.length > 0;
    },
  };
}

export type SourceRepository = ReturnType<typeof createSourceRepository>;

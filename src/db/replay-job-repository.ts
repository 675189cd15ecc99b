import { and, asc, count, desc, eq, inArray, lte, sql, type SQL } from 'drizzle-orm';
import type { Db } from './database';
import { rowsOf } from './raw-rows';
import { newestFirstWindow, pastPosition, type ListPosition } from './newest-first';
import { deliveries, replayJobs, type ReplayJobCursor, type ReplayJobFilter, type ReplayJobStatus } from './schema';

export type ReplayJob = typeof replayJobs.$inferSelect;
export type FilterReplay = Exclude<ReplayJobFilter, { ids: string[] }>;

/** One delivery a job is about to replay, and whether this job already replayed its chain. */
export interface ReplayCandidate {
  id: string;
  createdAt: Date;
  /** A replay of the same original exists since the job began: a resumed batch skips it. */
  alreadyReplayed: boolean;
}

/** What one batch did, added to the job's counts. */
export interface ReplayProgress {
  cursor: ReplayJobCursor;
  processed: number;
  replayed: number;
  skipped: number;
  /** The batch was the last one. */
  done: boolean;
}

/** The deliveries a filter covers; `before` bounds it to the rows that existed when the job began. */
function matching(filter: FilterReplay, before?: Date): SQL | undefined {
  return and(
    eq(deliveries.status, filter.status),
    filter.subscriberId ? eq(deliveries.subscriberId, filter.subscriberId) : undefined,
    filter.event ? eq(deliveries.eventType, filter.event) : undefined,
    newestFirstWindow(deliveries.createdAt, deliveries.id, { from: filter.from ? new Date(filter.from) : undefined, to: filter.to ? new Date(filter.to) : undefined }),
    before ? lte(deliveries.createdAt, before) : undefined,
  );
}

/** Whether a replay of the delivery's original was made at or after `since` (by this job). */
// The outer row's columns are spelled out: Drizzle leaves them unqualified in a one-table select,
// and inside the subquery they would name the replay's own.
const replayedSince = (since: Date) =>
  sql<boolean>`exists (select 1 from webhook_deliveries r where r.replay_of = coalesce(webhook_deliveries.replay_of, webhook_deliveries.id) and r.created_at >= ${since.toISOString()}::timestamptz)`;

export function createReplayJobRepository(db: Db) {
  return {
    /** How many deliveries a replay would cover now: a filter's matches, or the listed ids that are replayable. */
    async countMatching(filter: ReplayJobFilter): Promise<number> {
      const where = 'ids' in filter ? and(inArray(deliveries.id, filter.ids), inArray(deliveries.status, ['dead', 'failed'])) : matching(filter);
      const [row] = await db.select({ n: count() }).from(deliveries).where(where);
      return Number(row?.n ?? 0);
    },

    /** A new job; one that covers nothing is completed at once. */
    async create(filter: ReplayJobFilter, total: number): Promise<ReplayJob> {
      const now = new Date();
      const [row] = await db
        .insert(replayJobs)
        .values({ filter, total, ...(total === 0 ? { status: 'completed' as const, completedAt: now } : {}) })
        .returning();
      return row!;
    },

    async get(id: string): Promise<ReplayJob | undefined> {
      const [row] = await db.select().from(replayJobs).where(eq(replayJobs.id, id));
      return row;
    },

    /** Newest first; `cursor` is the last row of the previous page. */
    async list(options: { cursor?: ListPosition; limit: number }): Promise<ReplayJob[]> {
      return db
        .select()
        .from(replayJobs)
        .where(newestFirstWindow(replayJobs.createdAt, replayJobs.id, { after: options.cursor }))
        .orderBy(desc(replayJobs.createdAt), desc(replayJobs.id))
        .limit(options.limit);
    },

    /**
     * Leases the oldest running job that nobody holds (or whose holder let the lease lapse, or
     * that `owner` holds already). SKIP LOCKED: two processes claiming at once take different jobs.
     */
    async claim(owner: string, leaseMs: number): Promise<ReplayJob | undefined> {
      const result = await db.execute(sql`
        update webhook_replay_jobs set lease_owner = ${owner}, lease_expires_at = now() + ${leaseMs} * interval '1 millisecond', updated_at = now()
        where id = (
          select id from webhook_replay_jobs
          where status = 'running' and (lease_owner is null or lease_owner = ${owner} or lease_expires_at < now())
          order by created_at, id
          for update skip locked
          limit 1
        )
        returning id`);
      const id = rowsOf(result)[0]?.id as string | undefined;
      return id ? this.get(id) : undefined;
    },

    /** The next deliveries of a job after its cursor, oldest first. */
    async nextBatch(job: ReplayJob, limit: number): Promise<ReplayCandidate[]> {
      const filter = job.filter;
      if ('ids' in filter) {
        const offset = job.cursor && 'offset' in job.cursor ? job.cursor.offset : 0;
        const ids = filter.ids.slice(offset, offset + limit);
        if (ids.length === 0) return [];
        const rows = await db
          .select({ id: deliveries.id, alreadyReplayed: replayedSince(job.createdAt) })
          .from(deliveries)
          .where(inArray(deliveries.id, ids));
        const replayed = new Map(rows.map((r) => [r.id, r.alreadyReplayed]));
        // Unknown ids stay in the batch: the replay reports them as skipped.
        return ids.map((id) => ({ id, createdAt: job.createdAt, alreadyReplayed: replayed.get(id) ?? false }));
      }
      const position = job.cursor && 'at' in job.cursor ? { at: new Date(job.cursor.at), id: job.cursor.id } : undefined;
      return db
        .select({ id: deliveries.id, createdAt: deliveries.createdAt, alreadyReplayed: replayedSince(job.createdAt) })
        .from(deliveries)
        .where(and(matching(filter, job.createdAt), position ? pastPosition(deliveries.createdAt, deliveries.id, position, 'asc') : undefined))
        .orderBy(asc(deliveries.createdAt), asc(deliveries.id))
        .limit(limit);
    },

    /**
     * Records a batch and renews the lease, only while `owner` holds the job. A job cancelled
     * meanwhile still counts the batch that was in flight, and stays cancelled. Undefined means
     * another process took the job over; a status other than running means stop.
     */
    async advance(id: string, owner: string, progress: ReplayProgress, leaseMs: number): Promise<ReplayJob | undefined> {
      const running = sql`${replayJobs.status} = 'running'`;
      const [row] = await db
        .update(replayJobs)
        .set({
          cursor: progress.cursor,
          processed: sql`${replayJobs.processed} + ${progress.processed}`,
          replayed: sql`${replayJobs.replayed} + ${progress.replayed}`,
          skipped: sql`${replayJobs.skipped} + ${progress.skipped}`,
          error: null,
          updatedAt: sql`now()`,
          ...(progress.done
            ? {
                status: sql`case when ${running} then 'completed' else ${replayJobs.status} end`,
                completedAt: sql`coalesce(${replayJobs.completedAt}, now())`,
                leaseOwner: null,
                leaseExpiresAt: null,
              }
            : { leaseExpiresAt: sql`now() + ${leaseMs} * interval '1 millisecond'` }),
        })
        .where(and(eq(replayJobs.id, id), eq(replayJobs.leaseOwner, owner), inArray(replayJobs.status, ['running', 'cancelled'])))
        .returning();
      return row;
    },

    /** Gives a job back after a failed batch (it is retried), or ends it as failed. */
    async release(id: string, owner: string, error: string, status: Extract<ReplayJobStatus, 'running' | 'failed'>): Promise<void> {
      await db
        .update(replayJobs)
        .set({ error, status, leaseOwner: null, leaseExpiresAt: null, updatedAt: sql`now()`, ...(status === 'failed' ? { completedAt: sql`now()` } : {}) })
        .where(and(eq(replayJobs.id, id), eq(replayJobs.leaseOwner, owner), eq(replayJobs.status, 'running')));
    },

    /** Cancels a running job; a batch in flight finishes, and no other starts. Undefined when it was not running. */
    async cancel(id: string): Promise<ReplayJob | undefined> {
      const [row] = await db
        .update(replayJobs)
        // The lease stays, so that the holder can still record the batch it has in flight.
        .set({ status: 'cancelled', completedAt: sql`now()`, updatedAt: sql`now()` })
        .where(and(eq(replayJobs.id, id), eq(replayJobs.status, 'running')))
        .returning();
      return row;
    },
  };
}

export type ReplayJobRepository = ReturnType<typeof createReplayJobRepository>;

import { eq } from 'drizzle-orm';
import type { Db } from './database';
import { cancelRequests } from './schema';

/** Operators' cancel requests for deliveries run by the pg-boss driver (src/pgboss). */
export function createCancelRequestRepository(db: Db) {
  return {
    /** Records a cancel request; the first reason stands. */
    async request(workflowId: string, reason: string): Promise<void> {
      await db.insert(cancelRequests).values({ workflowId, reason }).onConflictDoNothing();
    },
    /** The reason the delivery was asked to stop, or null. */
    async reasonFor(workflowId: string): Promise<string | null> {
      const [row] = await db.select({ reason: cancelRequests.reason }).from(cancelRequests).where(eq(cancelRequests.workflowId, workflowId));
      return row?.reason ?? null;
    },
    /** Forgets a request once its delivery finished. */
    async clear(workflowId: string): Promise<void> {
      await db.delete(cancelRequests).where(eq(cancelRequests.workflowId, workflowId));
    },
  };
}

import { eq } from 'drizzle-orm';
import type { Db } from './database';
import { deliveries } from './schema';

/** Counts read at scrape time for the metrics; `webhook_deliveries_status_idx` keeps them cheap. */
export function createStatsRepository(db: Db) {
  return {
    /** Deliveries waiting for an attempt or a retry: the queue depth. */
    async countPendingDeliveries(): Promise<number> {
      return Number(await db.$count(deliveries, eq(deliveries.status, 'pending')));
    },
  };
}

export type StatsRepository = ReturnType<typeof createStatsRepository>;

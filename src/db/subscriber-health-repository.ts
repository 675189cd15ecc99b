import { sql } from 'drizzle-orm';
import type { Db } from './database';
import { rowsOf } from './raw-rows';
import type { AttemptOutcome } from './schema';

export interface AttemptFailure {
  at: Date;
  outcome: AttemptOutcome;
  responseCode: number | null;
  error: string | null;
}

export interface SubscriberHealth {
  /** Attempts since `since`. */
  attempts: number;
  succeeded: number;
  lastSuccessAt: Date | null;
  lastFailure: AttemptFailure | null;
  /** Failed attempts since the last success (all of them when none succeeded), up to `CONSECUTIVE_CAP`. */
  consecutiveFailures: number;
}

/** Counting stops here: past it, the exact number of failures in a row no longer matters. */
export const CONSECUTIVE_CAP = 10_000;

const date = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string));

/** An endpoint's health from its attempts in webhook_logs; each query walks `webhook_logs_subscriber_idx`. */
export function createSubscriberHealthRepository(db: Db) {
  const query = async (q: ReturnType<typeof sql>) => rowsOf(await db.execute(q));
  return {
    async health(subscriberId: string, since: Date): Promise<SubscriberHealth> {
      const [[recent], [success], [failure]] = await Promise.all([
        query(sql`select count(*) as attempts, count(*) filter (where outcome = 'success') as succeeded
          from webhook_logs where subscriber_id = ${subscriberId}::uuid and created_at >= ${since.toISOString()}::timestamptz`),
        query(sql`select created_at from webhook_logs where subscriber_id = ${subscriberId}::uuid and outcome = 'success' order by created_at desc limit 1`),
        query(sql`select created_at, outcome, response_code, error from webhook_logs
          where subscriber_id = ${subscriberId}::uuid and outcome <> 'success' order by created_at desc limit 1`),
      ]);
      const lastSuccessAt = date(success?.created_at);
      const [streak] = await query(sql`select count(*) as n from (
          select 1 from webhook_logs where subscriber_id = ${subscriberId}::uuid and outcome <> 'success'
          ${lastSuccessAt ? sql`and created_at > ${lastSuccessAt.toISOString()}::timestamptz` : sql``}
          limit ${CONSECUTIVE_CAP}) as s`);
      return {
        attempts: Number(recent?.attempts ?? 0),
        succeeded: Number(recent?.succeeded ?? 0),
        lastSuccessAt,
        lastFailure: failure
          ? { at: date(failure.created_at)!, outcome: failure.outcome as AttemptOutcome, responseCode: failure.response_code === null ? null : Number(failure.response_code), error: (failure.error as string | null) ?? null }
          : null,
        consecutiveFailures: Number(streak?.n ?? 0),
      };
    },

    /** Attempts and successes since `since` for each of the subscribers, in one query. */
    async recentCounts(subscriberIds: string[], since: Date): Promise<Map<string, { attempts: number; succeeded: number }>> {
      if (subscriberIds.length === 0) return new Map();
      const ids = sql.join(subscriberIds.map((id) => sql`${id}::uuid`), sql`, `);
      const rows = await query(sql`select subscriber_id, count(*) as attempts, count(*) filter (where outcome = 'success') as succeeded
        from webhook_logs where subscriber_id in (${ids}) and created_at >= ${since.toISOString()}::timestamptz group by subscriber_id`);
      return new Map(rows.map((r) => [String(r.subscriber_id), { attempts: Number(r.attempts), succeeded: Number(r.succeeded) }]));
    },
  };
}

export type SubscriberHealthRepository = ReturnType<typeof createSubscriberHealthRepository>;

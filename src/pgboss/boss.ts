import { createHash } from 'node:crypto';
import PgBoss from 'pg-boss';
import type { AttemptResult, DeliveryWorkflowInput } from '../../workflows/types';

// The pg-boss side of the PostgreSQL queue driver: its two queues, the jobs on them, and the few
// statements pg-boss has no call for (wake a waiting job, extend a running job's lease, find a
// delivery's live job). pg-boss keeps its tables in its own schema (`pgboss`) of DATABASE_URL.

/** One job per event: its fan-out, page after page (the event workflow's work). */
export const EVENT_QUEUE = 'hookyard-events';
/** One job per step of a delivery: an attempt, or the decision after one (the delivery workflow's work). */
export const DELIVERY_QUEUE = 'hookyard-deliveries';

/** One pruning run per WEBHOOK_RETENTION_INTERVAL (the Temporal driver's retention Schedule). */
export const RETENTION_QUEUE = 'hookyard-retention';

/** An event's fan-out job. */
export interface EventJob {
  workflowId: string;
  eventId: string;
  eventType: string;
  onlySubscriberId: string | null;
}

/** A delivery's next step: attempt `attempt` (not before `notBefore`), or, with `after`, decide what follows that attempt. */
export interface DeliveryStep {
  workflowId: string;
  input: DeliveryWorkflowInput;
  attempt: number;
  /** How many times this attempt was deferred for capacity. */
  deferrals: number;
  notBefore: number | null;
  after: AttemptResult | null;
  /** Why the delivery waits without attempting (capacity), if it does. */
  waiting: string | null;
}

/** A job's id, derived from its key: sending the same step twice (a re-run after a crash) inserts it once. */
export function jobId(key: string): string {
  const h = createHash('sha256').update(key).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${((parseInt(h[16], 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export const eventJobId = (workflowId: string) => jobId(`event:${workflowId}`);
export const stepJobId = (step: Pick<DeliveryStep, 'workflowId' | 'attempt' | 'deferrals' | 'after'>) =>
  jobId(`delivery:${step.workflowId}:${step.after ? `after${step.after.attempt}` : `a${step.attempt}d${step.deferrals}`}`);

export interface BossOptions {
  connectionString: string;
  /** A running job whose worker stops extending its lease for this long is retried elsewhere. */
  livenessSeconds: number;
  /** Connections pg-boss opens. */
  poolSize: number;
  /** pg-boss's own background errors (maintenance, monitoring): logged, never thrown. */
  onError(err: Error): void;
}

/**
 * Opens pg-boss on DATABASE_URL, installs its schema (idempotent, under an advisory lock) and
 * both queues. Jobs that fail or whose worker died are retried with a growing delay; a dead
 * worker is noticed by pg-boss's expiry, which its maintenance checks every few seconds.
 */
export async function openBoss(options: BossOptions): Promise<PgBoss> {
  const boss = new PgBoss({
    connectionString: options.connectionString,
    max: options.poolSize,
    application_name: 'hookyard-pgboss',
    maintenanceIntervalSeconds: Math.max(1, Math.min(30, Math.floor(options.livenessSeconds / 3))),
    // Finished jobs are archived after an hour (eventResult still finds them there), dropped after a week.
    archiveCompletedAfterSeconds: 3600,
    deleteAfterDays: 7,
    schedule: false,
  });
  boss.on('error', (err) => options.onError(err));
  await boss.start();
  const queue = { retryLimit: 1_000, retryDelay: 1, retryBackoff: true, expireInSeconds: options.livenessSeconds };
  await boss.createQueue(EVENT_QUEUE, { name: EVENT_QUEUE, ...queue });
  await boss.createQueue(DELIVERY_QUEUE, { name: DELIVERY_QUEUE, ...queue });
  await boss.createQueue(RETENTION_QUEUE, { name: RETENTION_QUEUE, ...queue, retryLimit: 10 });
  return boss;
}

/** A delivery's or an event's live jobs (waiting or running): its workflow id is the job's singleton key. */
export async function liveJobs(boss: PgBoss, workflowId: string): Promise<{ id: string; name: string; state: string; startAfter: Date; data: unknown }[]> {
  const { rows } = await boss
    .getDb()
    .executeSql(
      `SELECT id, name, state, start_after AS "startAfter", data FROM pgboss.job WHERE name IN ($1, $2) AND state < 'completed' AND singleton_key = $3 ORDER BY created_on`,
      [EVENT_QUEUE, DELIVERY_QUEUE, workflowId],
    );
  return rows;
}

/** Moves a delivery's waiting step to now (skipping its backoff); returns how many waited. */
export async function wakeWaiting(boss: PgBoss, workflowId: string): Promise<number> {
  const { rows } = await boss
    .getDb()
    .executeSql(
      `UPDATE pgboss.job SET start_after = now(), data = jsonb_set(data, '{notBefore}', 'null') WHERE name = $1 AND singleton_key = $2 AND state IN ('created', 'retry') RETURNING id`,
      [DELIVERY_QUEUE, workflowId],
    );
  return rows.length;
}

/** Extends a running job's lease by `seconds` from now: the heartbeat of a live worker. */
export async function extendLease(boss: PgBoss, name: string, id: string, seconds: number): Promise<void> {
  await boss
    .getDb()
    .executeSql(`UPDATE pgboss.job SET expire_in = (now() - started_on) + $3 * interval '1 second' WHERE name = $1 AND id = $2 AND state = 'active'`, [name, id, seconds]);
}

/** Events and deliveries waiting or running, newest first. */
export async function listLive(boss: PgBoss, limit: number): Promise<{ workflowId: string; name: string; createdOn: Date }[]> {
  const { rows } = await boss.getDb().executeSql(
    `SELECT * FROM (
       SELECT DISTINCT ON (singleton_key) singleton_key AS "workflowId", name, created_on AS "createdOn" FROM pgboss.job
       WHERE name IN ($1, $2) AND state < 'completed' AND singleton_key IS NOT NULL ORDER BY singleton_key, created_on
     ) live ORDER BY "createdOn" DESC LIMIT $3`,
    [EVENT_QUEUE, DELIVERY_QUEUE, limit],
  );
  return rows;
}

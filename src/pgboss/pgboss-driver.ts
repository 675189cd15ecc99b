import type PgBoss from 'pg-boss';
import type { Logger } from 'pino';
import type { Repositories } from '../db/repositories';
import { within } from '../deadline';
import type { LogRow } from '../db/delivery-repository';
import { WorkNotRunningError, type EventStart, type InFlight, type QueueDriver } from '../engine/queue-driver';
import { maxAttempts } from '../domain/retry-schedule';
import type { AttemptResult, DeliveryStatusView, DeliveryWorkflowInput, EventWorkflowResult } from '../../workflows/types';
import { DELIVERY_QUEUE, EVENT_QUEUE, eventJobId, liveJobs, listLive, openBoss, stepJobId, wakeWaiting, type DeliveryStep, type EventJob } from './boss';

export interface PgBossDriverOptions {
  /** A real PostgreSQL: pg-boss keeps its queues in the `pgboss` schema. */
  connectionString: string;
  livenessSeconds: number;
  poolSize: number;
  repos: Pick<Repositories, 'deliveries' | 'cancelRequests'>;
  logger: Pick<Logger, 'warn'>;
}

/** The PostgreSQL queue driver: an event is a job, a delivery is a chain of jobs, one per attempt. */
export interface PgBossDriver extends QueueDriver {
  readonly name: 'pgboss';
  readonly boss: PgBoss;
  readonly livenessSeconds: number;
  /** Called after this process queued a job, so a worker in the same process takes it at once. */
  onQueued(listener: () => void): void;
}

/** How often eventResult looks at the event's job. */
const RESULT_POLL_MS = 100;

export async function connectPgBossDriver(options: PgBossDriverOptions): Promise<PgBossDriver> {
  const boss = await openBoss({ ...options, onError: (err) => options.logger.warn({ err }, 'pg-boss background work failed; it tries again') });
  const listeners: (() => void)[] = [];
  const queued = () => listeners.forEach((l) => l());
  const { repos } = options;

  /** The delivery's live step, or WorkNotRunningError. */
  async function liveStep(workflowId: string) {
    const jobs = await liveJobs(boss, workflowId);
    const step = jobs.find((j) => j.name === DELIVERY_QUEUE);
    if (!step) throw new WorkNotRunningError(workflowId);
    return step;
  }

  return {
    name: 'pgboss',
    boss,
    livenessSeconds: options.livenessSeconds,
    onQueued: (listener) => listeners.push(listener),

    async startEvent(event: EventStart, deadlineMs: number): Promise<boolean> {
      const job: EventJob = { workflowId: event.workflowId, eventId: event.id, eventType: event.type, onlySubscriberId: event.onlySubscriberId };
      // A send that times out may still land: the retry then finds the job and answers "duplicate".
      const id = await within(boss.send(EVENT_QUEUE, job, { id: eventJobId(event.workflowId), singletonKey: event.workflowId }), deadlineMs);
      if (id) queued();
      return id !== null;
    },

    async eventResult(workflowId: string, abort: AbortSignal): Promise<EventWorkflowResult | null> {
      for (;;) {
        const job = await boss.getJobById<EventJob>(EVENT_QUEUE, eventJobId(workflowId), { includeArchive: true });
        if (!job) throw new WorkNotRunningError(workflowId);
        if (job.state === 'completed') return job.output as EventWorkflowResult;
        if (job.state === 'failed' || job.state === 'cancelled') throw new Error(`the fan-out of ${workflowId} ${job.state}`);
        if (abort.aborted) return null;
        await new Promise((resolve) => setTimeout(resolve, RESULT_POLL_MS));
        if (abort.aborted) return null;
      }
    },

    async startDelivery(input: DeliveryWorkflowInput, workflowId: string): Promise<boolean> {
      const { firstAttempt, waitFirst, ...rest } = input;
      const after = firstAttempt ?? null;
      // Handed over waiting for capacity: its first step runs when its turn comes (or at a retry-now).
      const wait = !after && waitFirst && waitFirst.until > Date.now() ? waitFirst : null;
      const step: DeliveryStep = { workflowId, input: rest, attempt: (after?.attempt ?? 0) + 1, deferrals: 0, notBefore: null, after, waiting: wait?.reason ?? null };
      // Keyed on the workflow id alone: a second start of the same delivery is refused.
      const id = await boss.send(DELIVERY_QUEUE, step, {
        id: stepJobId({ workflowId, attempt: 0, deferrals: 0, after: null }),
        singletonKey: workflowId,
        ...(wait ? { startAfter: new Date(wait.until) } : {}),
      });
      if (id) queued();
      return id !== null;
    },

    async retryNow(workflowId: string): Promise<void> {
      await liveStep(workflowId);
      // A step in flight is not waiting: like the Temporal workflow, a retry-now then changes nothing.
      if ((await wakeWaiting(boss, workflowId)) > 0) queued();
    },

    async cancel(workflowId: string, reason: string): Promise<void> {
      await liveStep(workflowId);
      // The delivery's next step finishes it; a POST in flight is never interrupted.
      await repos.cancelRequests.request(workflowId, reason);
      if ((await wakeWaiting(boss, workflowId)) > 0) queued();
    },

    async liveStatus(workflowId: string): Promise<DeliveryStatusView | null> {
      try {
        const job = await liveStep(workflowId);
        const step = job.data as DeliveryStep;
        const logged = await repos.deliveries.logsFor(step.input.deliveryId);
        const waiting = job.state !== 'active' && !step.after;
        return {
          deliveryId: step.input.deliveryId,
          status: 'pending',
          attempts: logged.map(toAttemptResult),
          maxAttempts: maxAttempts({ delaysMs: step.input.retryDelaysMs }),
          nextAttemptAt: waiting ? (step.notBefore ?? new Date(job.startAfter).getTime()) : null,
          waiting: step.waiting,
        };
      } catch {
        return null;
      }
    },

    async listInFlight(limit: number): Promise<InFlight[]> {
      const live = await listLive(boss, limit);
      return live.map((j) => ({ workflowId: j.workflowId, kind: j.name === EVENT_QUEUE ? 'event' : 'delivery', startedAt: new Date(j.createdOn) }));
    },

    healthy: () =>
      boss
        .getDb()
        .executeSql('SELECT 1', [])
        .then(() => true)
        .catch(() => false),

    close: () => boss.stop({ graceful: false, wait: true, timeout: 1_000 }),
  };
}

/** An attempt as the delivery's log row records it. */
function toAttemptResult(row: LogRow): AttemptResult {
  return {
    attempt: row.attempts,
    outcome: row.outcome,
    statusCode: row.responseCode,
    durationMs: row.durationMs ?? 0,
    error: row.error,
    retryAfterMs: null,
    logged: true,
    at: row.createdAt.getTime() - (row.durationMs ?? 0),
  };
}

import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { ReplayJob, ReplayJobRepository } from '../db/replay-job-repository';
import type { DeliveryControl } from '../deliveries/delivery-control';

export interface ReplayRunnerOptions {
  jobs: ReplayJobRepository;
  /** Replays go through the delivery engine's own replay, whichever driver runs it. */
  replay: DeliveryControl['replay'];
  logger: Logger;
  /** This process's name on the leases it takes. */
  owner?: string;
  /** Deliveries per batch: each batch is one `replay` call and one progress write. */
  batchSize?: number;
  /** How long a lease lasts without progress before another process may take the job over. */
  leaseMs?: number;
  /** How often an idle runner looks for a job. */
  pollMs?: number;
  /** Failed batches in a row after which a job ends as failed. */
  maxFailures?: number;
}

export interface ReplayRunner {
  readonly owner: string;
  start(): void;
  /** Runs jobs until none is left to claim; what the poll loop calls. */
  runOnce(): Promise<void>;
  /** Stops polling and waits for the batch in flight. */
  stop(): Promise<void>;
}

/**
 * Runs bulk replay jobs in the background of an api process: claims a running job with a lease,
 * replays it batch by batch from its cursor, and writes progress after each batch. A crash
 * leaves the lease to lapse and another process resumes from the cursor; a batch interrupted
 * in the middle is not replayed twice, since a delivery whose chain this job already replayed
 * is skipped.
 */
export function createReplayRunner(opts: ReplayRunnerOptions): ReplayRunner {
  const owner = opts.owner ?? `replay-runner/${randomUUID()}`;
  const batchSize = opts.batchSize ?? 100;
  const leaseMs = opts.leaseMs ?? 30_000;
  const pollMs = opts.pollMs ?? 1000;
  const maxFailures = opts.maxFailures ?? 5;
  const failures = new Map<string, number>();
  let started = false;
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;

  async function runJob(claimed: ReplayJob): Promise<void> {
    let job: ReplayJob | undefined = claimed;
    while (job && !stopped) {
      const batch = await opts.jobs.nextBatch(job, batchSize);
      const fresh = batch.filter((c) => !c.alreadyReplayed).map((c) => c.id);
      // A delivery whose payload expired is counted as skipped: it must not fail the whole job.
      const result = fresh.length > 0 ? await opts.replay(fresh, { skipExpired: true }) : { replayed: [], skipped: [] };
      const last = batch[batch.length - 1];
      const offset = job.cursor && 'offset' in job.cursor ? job.cursor.offset : 0;
      job = await opts.jobs.advance(
        job.id,
        owner,
        {
          cursor: 'ids' in job.filter ? { offset: offset + batch.length } : last ? { at: last.createdAt.toISOString(), id: last.id } : (job.cursor ?? { offset: 0 }),
          processed: batch.length,
          replayed: result.replayed.length,
          skipped: result.skipped.length + (batch.length - fresh.length),
          done: batch.length < batchSize,
        },
        leaseMs,
      );
      failures.delete(claimed.id);
      if (job?.status !== 'running') job = undefined;
    }
  }

  async function runOnce(): Promise<void> {
    while (!stopped) {
      const job = await opts.jobs.claim(owner, leaseMs);
      if (!job) return;
      try {
        await runJob(job);
      } catch (err) {
        const n = (failures.get(job.id) ?? 0) + 1;
        failures.set(job.id, n);
        const message = err instanceof Error ? err.message : String(err);
        opts.logger.warn({ err, jobId: job.id, failures: n }, 'a replay batch failed');
        await opts.jobs.release(job.id, owner, message, n >= maxFailures ? 'failed' : 'running').catch(() => undefined);
        return;
      }
      if (stopped) return;
    }
  }

  function schedule() {
    if (stopped) return;
    timer = setTimeout(() => {
      running = runOnce()
        .catch((err: unknown) => opts.logger.warn({ err }, 'the replay runner could not claim a job'))
        .finally(() => {
          running = null;
          schedule();
        });
    }, pollMs);
    timer.unref();
  }

  return {
    owner,
    start() {
      if (started) return;
      started = true;
      schedule();
    },
    runOnce,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}

/** Runs the replay jobs while `app` is up, from its ready to its close. */
export function attachReplayRunner(app: FastifyInstance, opts: ReplayRunnerOptions): ReplayRunner {
  const runner = createReplayRunner(opts);
  app.addHook('onReady', async () => runner.start());
  app.addHook('onClose', async () => runner.stop());
  return runner;
}

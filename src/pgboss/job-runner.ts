import type PgBoss from 'pg-boss';
import type { Logger } from 'pino';
import type { RunContext } from '../../activities/run-context';
import { extendLease } from './boss';

// Runs one pg-boss queue's jobs, up to `concurrency` at once, each on its own: a slow job never
// holds back the next fetch. A running job's lease is extended every third of the liveness
// window; a worker that dies stops extending it, and pg-boss's expiry retries the job elsewhere.

export interface JobRunner {
  /** Looks for jobs now (this process just queued one). */
  wake(): void;
  running(): boolean;
  /** Stops fetching; waits up to `graceMs` for running jobs, then aborts them (they are retried after their lease). */
  stop(graceMs: number): Promise<void>;
}

export interface JobRunnerOptions<T> {
  boss: PgBoss;
  queue: string;
  concurrency: number;
  livenessSeconds: number;
  /** How often an idle runner looks for jobs. */
  pollMs: number;
  logger: Logger;
  handle(data: T, ctx: RunContext): Promise<object | void>;
}

export function startJobRunner<T>(options: JobRunnerOptions<T>): JobRunner {
  const { boss, queue, logger } = options;
  const inFlight = new Map<string, { abort: AbortController; done: Promise<void> }>();
  let stopped = false;
  let wakeUp: (() => void) | null = null;
  const wake = () => wakeUp?.();

  function run(job: PgBoss.Job<T>): void {
    const abort = new AbortController();
    const extend = () => extendLease(boss, queue, job.id, options.livenessSeconds).catch((err: unknown) => logger.warn({ err, job: job.id }, 'job lease extension failed'));
    const ticker = setInterval(extend, (options.livenessSeconds * 1000) / 3);
    const ctx: RunContext = {
      cancellationSignal: abort.signal,
      sleep: (ms) => new Promise((resolve) => {
        const timer = setTimeout(resolve, ms);
        abort.signal.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
      }),
      heartbeat: () => undefined,
      info: { isLocal: false },
    };
    const done = (async () => {
      try {
        const output = await options.handle(job.data, ctx);
        await boss.complete(queue, job.id, output ?? undefined);
      } catch (err) {
        logger.warn({ err, queue, job: job.id }, 'job failed; pg-boss retries it');
        await boss.fail(queue, job.id, { message: err instanceof Error ? err.message : String(err) }).catch(() => undefined);
      } finally {
        clearInterval(ticker);
        inFlight.delete(job.id);
        wake();
      }
    })();
    inFlight.set(job.id, { abort, done });
  }

  const loop = (async () => {
    while (!stopped) {
      const free = options.concurrency - inFlight.size;
      let fetched = 0;
      if (free > 0) {
        try {
          const jobs = await boss.fetch<T>(queue, { batchSize: free });
          fetched = jobs.length;
          for (const job of jobs) run(job);
        } catch (err) {
          logger.warn({ err, queue }, 'job fetch failed; trying again');
        }
      }
      if (stopped) break;
      // A full batch: there may be more. Otherwise wait for a poll, a wake-up or a free slot.
      if (fetched > 0 && fetched === free) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, options.pollMs);
        function done() {
          clearTimeout(timer);
          wakeUp = null;
          resolve();
        }
        wakeUp = done;
      });
    }
  })();

  return {
    wake,
    running: () => !stopped,
    async stop(graceMs) {
      stopped = true;
      wake();
      await loop;
      const all = Promise.all([...inFlight.values()].map((j) => j.done));
      const timer = setTimeout(() => inFlight.forEach((j) => j.abort.abort()), graceMs);
      await all;
      clearTimeout(timer);
    },
  };
}

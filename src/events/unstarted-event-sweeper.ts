import type { Logger } from 'pino';
import type { EventRepository } from '../db/event-repository';
import type { ListPosition } from '../db/newest-first';
import { createPeriodicTask } from '../periodic-task';
import type { Dispatcher } from './dispatcher';

export interface UnstartedEventSweeperOptions {
  events: Pick<EventRepository, 'listUnstarted' | 'markManyWorkflowStarted'>;
  dispatcher: Pick<Dispatcher, 'startWorkflow'> & Partial<Pick<Dispatcher, 'isStarting'>>;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Between the end of one sweep and the start of the next (WEBHOOK_SWEEP_INTERVAL); 0 never sweeps. */
  intervalMs: number;
  /** Younger rows may belong to a request still between its insert and its start. */
  minAgeMs?: number;
  batchSize?: number;
  /** Workflow starts in flight at once within a page. */
  concurrency?: number;
  now?: () => number;
}

export interface SweepResult {
  /** Workflows this sweep started. */
  started: number;
  /** Rows whose workflow was running already (the start happened but the mark did not). */
  alreadyStarted: number;
  /** Starts that failed; the next sweep retries them. */
  failed: number;
  /** Whether a whole chunk failed (Temporal is likely down); the sweep stops there and the next one retries. */
  interrupted: boolean;
}

export const SWEEP_MIN_AGE_MS = 10_000;

/**
 * Starts the workflows of events that were recorded but never started (SPEC S3: a crash
 * between the insert and the start must not leave an event unprocessed). The start is
 * idempotent, since the workflow id comes from the event key, so several API processes may
 * sweep at once.
 */
export function createUnstartedEventSweeper(options: UnstartedEventSweeperOptions) {
  const { events, dispatcher, logger, intervalMs } = options;
  const minAgeMs = options.minAgeMs ?? SWEEP_MIN_AGE_MS;
  const batchSize = options.batchSize ?? 100;
  const concurrency = options.concurrency ?? 16;
  const now = options.now ?? (() => Date.now());
  const task = createPeriodicTask(() => sweepOnce(), intervalMs, logger, 'unstarted-event sweep');

  async function sweepOnce(): Promise<SweepResult> {
    const result: SweepResult = { started: 0, alreadyStarted: 0, failed: 0, interrupted: false };
    const cutoff = new Date(now() - minAgeMs);
    let after: ListPosition | undefined;
    for (;;) {
      const page = await events.listUnstarted(cutoff, batchSize, after);
      const last = page.at(-1);
      after = last && { at: last.receivedAt, id: last.id };
      // Rows this process is starting already (acknowledged on commit) are left to it.
      const todo = page.filter((event) => !dispatcher.isStarting?.(event.id));
      for (let i = 0; i < todo.length && !task.stopped; i += concurrency) {
        const outcomes = await Promise.allSettled(todo.slice(i, i + concurrency).map(async (event) => ({ event, startedHere: await dispatcher.startWorkflow(event) })));
        const started = outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
        // The dispatcher has logged why a start failed. One bad row never stops a sweep; a chunk
        // that failed whole means Temporal is likely down, and the rest would fail too.
        result.failed += outcomes.length - started.length;
        if (started.length === 0 && outcomes.length > 0) result.interrupted = true;
        if (started.length > 0) await events.markManyWorkflowStarted(started.map(({ event }) => event.id));
        for (const { event, startedHere } of started) {
          if (startedHere) result.started++;
          else result.alreadyStarted++;
          logger.warn(
            { eventId: event.id, workflowId: event.workflowId, event: event.type, startedHere },
            startedHere ? 'started the workflow of an event recorded without one' : 'marked an event whose workflow had started',
          );
        }
        if (result.interrupted) return result;
      }
      if (task.stopped || page.length < batchSize) return result;
    }
  }

  return {
    sweepOnce,
    /** Sweeps now (what a crash left behind), then every interval after each sweep ends. */
    start: () => task.start(),
    /** Stops sweeping and waits for a sweep in progress to end. */
    stop: () => task.stop(),
  };
}

export type UnstartedEventSweeper = ReturnType<typeof createUnstartedEventSweeper>;

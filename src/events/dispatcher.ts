import type { Logger } from 'pino';
import { createBatchedWriter } from '../db/batched-writer';
import type { EventRow, NewEvent } from '../db/event-repository';
import type { Repositories } from '../db/repositories';
import { within } from '../deadline';
import { testSubscriberOf } from '../domain/internal-events';
import { WorkNotRunningError, type QueueDriver } from '../engine/queue-driver';
import { EventStoreUnavailableError, StartBacklogFullError, WorkflowStartFailedError } from './event-errors';
import type { EventWorkflowResult } from '../../workflows/types';
import { normalizeEvent, toEventRow, type EventDraft } from './normalized-event';

export interface DispatchResult {
  status: 'received' | 'duplicate';
  event: EventRow;
  workflowId: string;
}

export interface DispatcherOptions {
  repos: Repositories;
  /** The queue driver that runs each event's fan-out. */
  driver: Pick<QueueDriver, 'startEvent' | 'eventResult'>;
  logger: Logger;
  /**
   * `commit` (the default, SPEC S3): answer once the event row is committed and start its
   * workflow behind the answer; the unstarted-event sweeper is the backstop if this process dies
   * first. `start`: answer once the event is durable and its workflow started.
   */
  ackAfter?: 'start' | 'commit';
  /** Background workflow starts in flight at once (`commit` mode). */
  startConcurrency?: number;
  /**
   * How long a workflow start may take before the request is refused with 503. Without a
   * deadline the client retries a down server for as long as it is down, holding the sender.
   */
  startTimeoutMs?: number;
  /**
   * `commit` mode: how long a start behind the answer may take. Nobody waits on it, and a
   * loaded server can take longer than a sender should wait; giving up early only leaves the
   * event to the sweeper's next pass.
   */
  backgroundStartTimeoutMs?: number;
  /** How long an event-row write may take before the request is refused with 503. */
  storeTimeoutMs?: number;
  /**
   * `commit` mode: at most this many events accepted by this process may wait for their
   * workflow start; past it the gateway sheds load with 503 + Retry-After before writing.
   */
  maxStartBacklog?: number;
}

/** What a workflow start needs of an event row (the payload stays in the database). */
export type StartableEvent = Pick<EventRow, 'id' | 'type' | 'source' | 'externalId' | 'workflowId'>;

/** Long enough for a loaded server, short enough for a sender waiting on the answer. */
export const WORKFLOW_START_TIMEOUT_MS = 5_000;
export const EVENT_STORE_TIMEOUT_MS = 5_000;
export const BACKGROUND_START_TIMEOUT_MS = 30_000;

/**
 * Records an event and starts its workflow. The row comes first, so nothing is acknowledged
 * that is not durable; the workflow id is derived from the event key, so Temporal refuses a
 * second start. An event whose row exists but whose workflow never started (a crash between
 * the two) is started on its next delivery attempt instead of being answered as a duplicate.
 */
export function createDispatcher({
  repos,
  driver,
  logger,
  ackAfter = 'commit',
  startConcurrency = 32,
  startTimeoutMs = WORKFLOW_START_TIMEOUT_MS,
  backgroundStartTimeoutMs = BACKGROUND_START_TIMEOUT_MS,
  storeTimeoutMs = EVENT_STORE_TIMEOUT_MS,
  maxStartBacklog = 20_000,
}: DispatcherOptions) {
  // Group commit: concurrent requests share their insert and their "started" mark.
  const inserts = createBatchedWriter({ writeMany: (rows: NewEvent[]) => repos.events.insertManyIfAbsent(rows), writeOne: (row: NewEvent) => repos.events.insertIfAbsent(row) });
  const marks = createBatchedWriter({
    writeMany: async (ids: string[]) => {
      await repos.events.markManyWorkflowStarted(ids);
      return ids.map(() => undefined);
    },
    writeOne: (id: string) => repos.events.markWorkflowStarted(id),
  });

  async function startWorkflow(event: StartableEvent, deadlineMs = startTimeoutMs): Promise<boolean> {
    try {
      return await driver.startEvent({ ...event, onlySubscriberId: testSubscriberOf(event.source) }, deadlineMs);
    } catch (err) {
      logger.error({ err, eventId: event.id }, 'workflow start failed');
      throw new WorkflowStartFailedError(event.id, err);
    }
  }

  // `commit` mode: workflows start behind the answer, a bounded number at a time.
  const queue: StartableEvent[] = [];
  /** Ids queued or starting here, so the sweeper leaves them to this process. */
  const pending = new Set<string>();
  let inFlight = 0;
  const idle: (() => void)[] = [];
  const pump = () => {
    while (inFlight < startConcurrency && queue.length > 0) {
      const event = queue.shift()!;
      inFlight++;
      startWorkflow(event, Math.max(startTimeoutMs, backgroundStartTimeoutMs))
        .then(() => marks.write(event.id))
        .catch((err) => logger.warn({ err, eventId: event.id }, 'background start failed; the sweeper will retry it'))
        .finally(() => {
          pending.delete(event.id);
          inFlight--;
          pump();
          if (inFlight === 0 && queue.length === 0) idle.splice(0).forEach((resolve) => resolve());
        });
    }
  };

  return {
    async dispatch(draft: EventDraft): Promise<DispatchResult> {
      const normalized = normalizeEvent(draft);
      if (ackAfter === 'commit' && pending.size >= maxStartBacklog) {
        // Shed before writing: the sender retries later, and nothing it sent is half-accepted.
        throw new StartBacklogFullError(pending.size);
      }
      // While the database is away a connection can take up to its connect timeout to fail:
      // answer 503 within the store deadline rather than hold the sender. An insert that lands
      // later is harmless: the retry finds the row and starts its workflow, or the sweeper does.
      const { event, created } = await within(inserts.write(toEventRow(normalized)), storeTimeoutMs).catch((err: unknown) => {
        logger.error({ err }, 'event insert failed');
        throw new EventStoreUnavailableError(err);
      });
      if (!created && event.workflowStartedAt) return { status: 'duplicate', event, workflowId: event.workflowId };
      if (ackAfter === 'commit') {
        // Durable now: answer, and start the workflow behind the answer (a repeat of a row that
        // never started queues it again; Temporal refuses a second start).
        if (!pending.has(event.id)) {
          pending.add(event.id);
          queue.push({ id: event.id, type: event.type, source: event.source, externalId: event.externalId, workflowId: event.workflowId });
          pump();
        }
        return { status: created ? 'received' : 'duplicate', event, workflowId: event.workflowId };
      }
      const startedHere = await startWorkflow(event);
      // The workflow has started: answer even if the mark does not land (the sweeper marks it later).
      await within(marks.write(event.id), storeTimeoutMs).catch((err) =>
        logger.warn({ err, eventId: event.id }, 'could not mark the workflow started'),
      );
      // Of concurrent repeats, only the request whose start created the workflow answers "received".
      const status = startedHere ? 'received' : 'duplicate';
      logger.info({ eventId: event.id, workflowId: event.workflowId, event: event.type, status }, 'event accepted');
      return { status, event, workflowId: event.workflowId };
    },

    /**
     * Waits up to `ms` for the event workflow's fan-out result, or null. In `commit` mode the
     * workflow may not exist yet: it waits for it to appear. The long poll ends with the wait.
     */
    async waitForResult(workflowId: string, ms: number): Promise<EventWorkflowResult | null> {
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(), ms);
      try {
        while (!abort.signal.aborted) {
          try {
            return await driver.eventResult(workflowId, abort.signal);
          } catch (err) {
            if (abort.signal.aborted) return null;
            if (!(err instanceof WorkNotRunningError)) {
              logger.warn({ err, workflowId }, 'waiting for the fan-out result failed');
              return null;
            }
            await new Promise((r) => setTimeout(r, 100));
          }
        }
        return null;
      } finally {
        clearTimeout(timer);
      }
    },

    startWorkflow,

    /** Whether this process has the event's workflow start queued or in flight. */
    isStarting(eventId: string): boolean {
      return pending.has(eventId);
    },

    /** Events acknowledged on commit whose workflow start is queued or in flight here. */
    startBacklog(): number {
      return pending.size;
    },

    /** Resolves when no background start is queued or in flight. */
    drained(): Promise<void> {
      if (inFlight === 0 && queue.length === 0) return Promise.resolve();
      return new Promise((resolve) => idle.push(resolve));
    },
  };
}

export type Dispatcher = ReturnType<typeof createDispatcher>;


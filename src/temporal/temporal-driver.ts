import { Client, WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy, WorkflowNotFoundError, type ConnectionLike } from '@temporalio/client';
import { WorkNotRunningError, type EventStart, type InFlight, type QueueDriver } from '../engine/queue-driver';
import type { DeliveryStatusView, EventWorkflowInput, EventWorkflowResult, OrderedKeyInput } from '../../workflows/types';
import { DETAILS_MAX_BYTES, markdownCode, markdownCodeWithin, SUMMARY_MAX_BYTES, truncateBytes } from '../domain/temporal-text';
import { connectClient } from './client';
import type { TemporalConnectionOptions } from './connection-options';
import { deliveryStartOptions } from './delivery-start';
import { orderedKeyStartOptions } from './ordered-key-start';
import { orderedKeyWorkflowId } from '../domain/ordering-key';
import { eventSearchAttributes } from './search-attributes';
import { maxAttempts } from '../domain/retry-schedule';
import { LOCAL_WORK_TASK_TIMEOUT_MS } from '../engine/page-timeouts';

/** A source name is short (sources are configured by operators); the event type takes the rest of a summary. */
const SUMMARY_SOURCE_BYTES = 60;

export interface TemporalDriverOptions {
  address: string;
  namespace: string;
  taskQueue: string;
  /** The custom search attributes are registered on the cluster. */
  searchAttributes: boolean;
  /** Event workflows run their first fan-out page as a local activity. */
  localFanOut: boolean;
  /** The fan-out activity's heartbeat timeout. */
  fanOutHeartbeatMs?: number;
  /** The local fan-out's start-to-close timeout. */
  localFanOutTimeoutMs?: number;
  /** TLS and API key (TEMPORAL_TLS_*, TEMPORAL_API_KEY). */
  connection?: TemporalConnectionOptions;
  /** The admin UI's base URL, linked from the event workflow's details. */
  adminUrl?: string | null;
  /** Told of each workflow this driver started, and whether the start was eager. */
  onStarted?: (workflow: 'event' | 'delivery', eager: boolean) => void;
}

/** The Temporal queue driver: one workflow per event, and one per delivery that needs more than its first attempt. */
export interface TemporalDriver extends QueueDriver {
  readonly name: 'temporal';
  /** For the Temporal worker and for tests that inspect histories; the app uses the driver's methods. */
  readonly client: Client;
  /**
   * Starts workflows eagerly through this process's own worker (its NativeConnection) while
   * `running()` says the worker polls: the server hands the first workflow task back with the
   * start's answer instead of queueing it for a poll. Returns the detach.
   */
  startEagerlyThrough(eager: EagerStarts): () => void;
}

/** A client on the worker's own connection, and whether that worker still runs. */
export interface EagerStarts {
  client: Client;
  running(): boolean;
}

/** Eager starts need a client on the worker's own NativeConnection (the SDK refuses any other). */
export function eagerStartsThrough(connection: ConnectionLike, namespace: string, running: () => boolean): EagerStarts {
  return { client: new Client({ connection, namespace }), running };
}

export async function connectTemporalDriver(options: TemporalDriverOptions): Promise<TemporalDriver> {
  return temporalDriver(await connectClient({ address: options.address, namespace: options.namespace, connection: options.connection }), options);
}

/** Shorter waits start at once and sleep in the workflow (input.waitFirst): a delayed start is not worth its describe on a retry-now. */
const MIN_START_DELAY_MS = 1_000;
/** The memo of a delivery started with a delay: what its status says until it runs. */
const WAITING_MEMO = 'waitingForCapacity';

export function temporalDriver(client: Client, options: Omit<TemporalDriverOptions, 'address' | 'namespace' | 'connection'>): TemporalDriver {
  let eager: EagerStarts | null = null;
  /** The client a start goes through: this process's worker's own when it runs (an eager start), else the shared one. */
  const starting = (delayed = false): { starter: Client; requestEagerStart: boolean } =>
    eager && !delayed && eager.running() ? { starter: eager.client, requestEagerStart: true } : { starter: client, requestEagerStart: false };

  async function signal(workflowId: string, name: 'retryNow' | 'cancel', args: unknown[]): Promise<void> {
    const handle = client.workflow.getHandle(workflowId);
    try {
      await handle.signal(name, ...args);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new WorkNotRunningError(workflowId);
      throw err;
    }
    // A delivery started with a delay (it waits for capacity) gets no task for a plain signal
    // until its delay ends; a signal-with-start dispatches one now. It is running (the signal
    // above reached it), so nothing starts: a finished one is refused by REJECT_DUPLICATE.
    const { executionTime } = await handle.describe();
    if (!executionTime || executionTime.getTime() <= Date.now()) return;
    try {
      await client.workflow.signalWithStart('deliveryWorkflow', {
        workflowId,
        taskQueue: options.taskQueue,
        args: [],
        signal: name,
        signalArgs: args,
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  }

  return {
    name: 'temporal',
    client,

    startEagerlyThrough(through) {
      eager = through;
      return () => {
        if (eager === through) eager = null;
      };
    },

    async startEvent(event: EventStart, deadlineMs: number): Promise<boolean> {
      const args: EventWorkflowInput = {
        eventId: event.id,
        eventType: event.type,
        searchAttributes: options.searchAttributes,
        localFanOut: options.localFanOut,
        onlySubscriberId: event.onlySubscriberId,
        ...(options.fanOutHeartbeatMs ? { heartbeatTimeoutMs: options.fanOutHeartbeatMs } : {}),
        ...(options.localFanOut && options.localFanOutTimeoutMs ? { localFanOutTimeoutMs: options.localFanOutTimeoutMs } : {}),
      };
      const { starter, requestEagerStart } = starting();
      try {
        // A start that times out may still have happened: the retry then finds it and answers "duplicate".
        const handle = await starter.withDeadline(Date.now() + deadlineMs, () =>
          starter.workflow.start('eventWorkflow', {
            workflowId: event.workflowId,
            requestEagerStart,
            taskQueue: options.taskQueue,
            args: [args],
            workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
            staticSummary: eventSummary(event),
            typedSearchAttributes: options.searchAttributes ? eventSearchAttributes(event.type, event.id) : undefined,
            staticDetails: eventDetails(event, options.adminUrl ?? null),
            ...(options.localFanOut ? { workflowTaskTimeout: LOCAL_WORK_TASK_TIMEOUT_MS } : {}),
          }),
        );
        options.onStarted?.('event', handle.eagerlyStarted);
        return true;
      } catch (err) {
        if (err instanceof WorkflowExecutionAlreadyStartedError) return false;
        throw err;
      }
    },

    async eventResult(workflowId: string, abort: AbortSignal): Promise<EventWorkflowResult | null> {
      try {
        return await client.withAbortSignal(abort, () => client.workflow.getHandle(workflowId).result() as Promise<EventWorkflowResult>);
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) throw new WorkNotRunningError(workflowId);
        if (abort.aborted) return null;
        throw err;
      }
    },

    /** The workflow id is the delivery's, so a second start is refused. */
    async startDelivery(input, workflowId) {
      // Handed over waiting for capacity: it starts when its turn comes, and until then costs the
      // worker nothing (no task, no timer). A retry-now or a cancel starts it at once (signal above).
      const delayMs = input.waitFirst && !input.firstAttempt ? Math.round(input.waitFirst.until - Date.now()) : 0;
      const { starter, requestEagerStart } = starting(delayMs >= MIN_START_DELAY_MS);
      try {
        const handle = await starter.workflow.start('deliveryWorkflow', {
          ...deliveryStartOptions(input, workflowId),
          // Its first attempt may be a local activity.
          workflowTaskTimeout: LOCAL_WORK_TASK_TIMEOUT_MS,
          requestEagerStart,
          ...(delayMs >= MIN_START_DELAY_MS
            ? { startDelay: delayMs, memo: { [WAITING_MEMO]: { deliveryId: input.deliveryId, maxAttempts: maxAttempts({ delaysMs: input.retryDelaysMs }), ...input.waitFirst } } }
            : {}),
          taskQueue: options.taskQueue,
          args: [input],
          workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        });
        options.onStarted?.('delivery', handle.eagerlyStarted);
        return true;
      } catch (err) {
        if (err instanceof WorkflowExecutionAlreadyStartedError) return false;
        throw err;
      }
    },
    /** Signal-with-start: one workflow per (subscriber, key), started by the first wake and after it went idle. */
    async wakeOrderedKey({ subscriberId, orderingKey }) {
      const input: OrderedKeyInput = { subscriberId, orderingKey, searchAttributes: options.searchAttributes };
      await client.workflow.signalWithStart('orderedKeyWorkflow', {
        ...orderedKeyStartOptions(input),
        taskQueue: options.taskQueue,
        args: [input],
        signal: 'wake',
        signalArgs: [],
      });
    },
    async orderedKeyRunning({ subscriberId, orderingKey }) {
      try {
        const { status } = await client.workflow.getHandle(orderedKeyWorkflowId(subscriberId, orderingKey)).describe();
        return status.name === 'RUNNING';
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return false;
        throw err;
      }
    },
    retryNow: (workflowId) => signal(workflowId, 'retryNow', []),
    cancel: (workflowId, reason) => signal(workflowId, 'cancel', [reason]),

    async liveStatus(workflowId: string): Promise<DeliveryStatusView | null> {
      const handle = client.workflow.getHandle(workflowId);
      try {
        // Not started yet (it waits for capacity): it cannot answer a query, its memo says why it waits.
        const description = await handle.describe();
        const waiting = description.memo?.[WAITING_MEMO] as { deliveryId: string; maxAttempts: number; until: number; reason: string } | undefined;
        if (waiting && description.executionTime && description.executionTime.getTime() > Date.now()) {
          return { deliveryId: waiting.deliveryId, status: 'pending', attempts: [], maxAttempts: waiting.maxAttempts, nextAttemptAt: waiting.until, waiting: waiting.reason };
        }
        return await handle.query<DeliveryStatusView>('status');
      } catch {
        return null;
      }
    },

    async listInFlight(limit: number): Promise<InFlight[]> {
      const out: InFlight[] = [];
      const query = `TaskQueue = "${options.taskQueue}" AND ExecutionStatus = "Running"`;
      for await (const wf of client.workflow.list({ query, pageSize: Math.min(limit, 1000) })) {
        out.push({ workflowId: wf.workflowId, kind: wf.type === 'eventWorkflow' ? 'event' : 'delivery', startedAt: wf.startTime ?? null });
        if (out.length >= limit) break;
      }
      return out;
    },

    healthy: () =>
      client.workflowService
        .getSystemInfo({})
        .then(() => true)
        .catch(() => false),

    close: () => client.connection.close(),
  };
}

/** The Temporal UI renders summaries as Markdown, and a type or a source is the sender's text: each in a code span. */
function eventSummary(event: Pick<EventStart, 'type' | 'source'>): string {
  const source = markdownCodeWithin(event.source, SUMMARY_SOURCE_BYTES);
  return `${markdownCodeWithin(event.type, SUMMARY_MAX_BYTES - ' from '.length - SUMMARY_SOURCE_BYTES)} from ${source}`;
}

/** Sender-chosen values (type, source, key) each stay in one code span, within Temporal's size limits. */
function eventDetails(event: EventStart, adminUrl: string | null): string {
  const code = (text: string) => markdownCode(truncateBytes(text, SUMMARY_MAX_BYTES));
  const link = adminUrl ? `\n- [open in the admin UI](${adminUrl}/events/${encodeURIComponent(event.id)})` : '';
  return truncateBytes(`**Event** ${code(event.id)}\n- type: ${code(event.type)}\n- source: ${code(event.source)} · key ${code(event.externalId)}${link}`, DETAILS_MAX_BYTES);
}

import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { WorkNotRunningError, type EventStart, type InFlight, type QueueDriver } from '../engine/queue-driver';
import type { DeliveryStatusView, EventWorkflowInput, EventWorkflowResult } from '../../workflows/types';
import { connectClient } from './client';
import { deliveryStartOptions } from './delivery-start';
import { eventSearchAttributes } from './search-attributes';

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
}

/** The Temporal queue driver: one workflow per event, and one per delivery that needs more than its first attempt. */
export interface TemporalDriver extends QueueDriver {
  readonly name: 'temporal';
  /** For the Temporal worker and for tests that inspect histories; the app uses the driver's methods. */
  readonly client: Client;
}

export async function connectTemporalDriver(options: TemporalDriverOptions): Promise<TemporalDriver> {
  return temporalDriver(await connectClient({ address: options.address, namespace: options.namespace }), options);
}

export function temporalDriver(client: Client, options: Omit<TemporalDriverOptions, 'address' | 'namespace'>): TemporalDriver {
  async function signal(workflowId: string, name: 'retryNow' | 'cancel', args: unknown[]): Promise<void> {
    try {
      await client.workflow.getHandle(workflowId).signal(name, ...args);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new WorkNotRunningError(workflowId);
      throw err;
    }
  }

  return {
    name: 'temporal',
    client,

    async startEvent(event: EventStart, deadlineMs: number): Promise<boolean> {
      const args: EventWorkflowInput = {
        eventId: event.id,
        eventType: event.type,
        searchAttributes: options.searchAttributes,
        localFanOut: options.localFanOut,
        onlySubscriberId: event.onlySubscriberId,
        ...(options.fanOutHeartbeatMs ? { heartbeatTimeoutMs: options.fanOutHeartbeatMs } : {}),
      };
      try {
        // A start that times out may still have happened: the retry then finds it and answers "duplicate".
        await client.withDeadline(Date.now() + deadlineMs, () =>
          client.workflow.start('eventWorkflow', {
            workflowId: event.workflowId,
            taskQueue: options.taskQueue,
            args: [args],
            workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
            staticSummary: `${event.type} from ${event.source}`,
            typedSearchAttributes: options.searchAttributes ? eventSearchAttributes(event.type, event.id) : undefined,
            staticDetails: `**Event** \`${event.id}\`\n- type: \`${event.type}\`\n- source: \`${event.source}\` · key \`${event.externalId}\``,
          }),
        );
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
      try {
        await client.workflow.start('deliveryWorkflow', {
          ...deliveryStartOptions(input, workflowId),
          taskQueue: options.taskQueue,
          args: [input],
          workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        });
        return true;
      } catch (err) {
        if (err instanceof WorkflowExecutionAlreadyStartedError) return false;
        throw err;
      }
    },
    retryNow: (workflowId) => signal(workflowId, 'retryNow', []),
    cancel: (workflowId, reason) => signal(workflowId, 'cancel', [reason]),

    async liveStatus(workflowId: string): Promise<DeliveryStatusView | null> {
      try {
        return await client.workflow.getHandle(workflowId).query<DeliveryStatusView>('status');
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

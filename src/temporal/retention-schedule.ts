import { ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { Config } from '../config';
import type { RetentionWorkflowInput } from '../../workflows/retention-workflow';

// The pruner is a Temporal Schedule, one per task queue: it shows in the Temporal UI
// (Schedules), every api and worker process ensures it at boot, and the server starts at most
// one run at a time (overlap SKIP), however many processes there are.

export const retentionScheduleId = (taskQueue: string) => `retention/${taskQueue}`;

export function retentionInput(config: Config): RetentionWorkflowInput {
  return {
    payloadAgeMs: config.WEBHOOK_RETENTION_PAYLOAD_DAYS,
    responseAgeMs: config.WEBHOOK_RETENTION_RESPONSE_DAYS,
    logAgeMs: config.WEBHOOK_RETENTION_LOG_DAYS,
  };
}

function scheduleOptions(config: Config) {
  const taskQueue = config.TEMPORAL_TASK_QUEUE;
  return {
    spec: { intervals: [{ every: config.WEBHOOK_RETENTION_INTERVAL }] },
    action: {
      type: 'startWorkflow' as const,
      workflowType: 'retentionWorkflow',
      workflowId: retentionScheduleId(taskQueue),
      taskQueue,
      args: [retentionInput(config)],
      staticSummary: 'retention: prune payloads, response bodies and logs past their age',
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: 60_000 },
  };
}

/**
 * Creates the retention Schedule, or brings an existing one to this process's configuration.
 * With WEBHOOK_RETENTION_INTERVAL=0 it deletes the Schedule. Idempotent: every process calls it.
 */
export async function ensureRetentionSchedule(client: Client, config: Config, logger: Logger): Promise<void> {
  const scheduleId = retentionScheduleId(config.TEMPORAL_TASK_QUEUE);
  const handle = client.schedule.getHandle(scheduleId);
  if (config.WEBHOOK_RETENTION_INTERVAL === 0) {
    await handle.delete().catch((err: unknown) => {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    });
    return;
  }
  const options = scheduleOptions(config);
  try {
    await client.schedule.create({ scheduleId, ...options, state: { note: 'created by hookyard at boot' } });
    logger.info({ scheduleId, everyMs: config.WEBHOOK_RETENTION_INTERVAL }, 'retention schedule created');
    return;
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  const current = await handle.describe();
  const action = current.action as { args?: unknown[]; taskQueue?: string };
  const interval = current.spec.intervals?.[0]?.every;
  const same =
    JSON.stringify(action.args) === JSON.stringify(options.action.args) && action.taskQueue === options.action.taskQueue && interval === config.WEBHOOK_RETENTION_INTERVAL;
  if (same) return;
  await handle.update((previous) => ({ ...previous, ...options }));
  logger.info({ scheduleId, everyMs: config.WEBHOOK_RETENTION_INTERVAL }, 'retention schedule updated to this configuration');
}

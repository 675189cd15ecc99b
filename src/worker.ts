import { DefaultLogger, NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Logger } from 'pino';
import { createActivities } from '../activities';
import { createActivityDeps, createWorkerHttp, type EngineWorkerDeps } from './engine/activity-deps';
import { sdkPrometheusExporter, type SdkMetricsEndpoint } from './metrics/temporal-sdk-metrics';
import type { OutboundClient } from './net/outbound-client';
import { temporalConnectionOptions } from './temporal/connection-options';
import { eagerStartsThrough, type TemporalDriver } from './temporal/temporal-driver';

export interface WorkerDeps extends EngineWorkerDeps {
  temporalAddress: string;
  /** This process's starts of event and delivery workflows go eagerly through this worker while it runs. */
  eagerStarts?: Pick<TemporalDriver, 'startEagerlyThrough'>;
  /** A prebuilt workflow bundle (tests build one and share it); otherwise workflows/ is bundled. */
  workflowBundlePath?: string;
  /** Overrides for tests: identity, shutdown grace time. */
  workerOptions?: Partial<WorkerOptions>;
  /** Export the SDK's own worker metrics here (only the first worker of a process decides). */
  sdkMetrics?: SdkMetricsEndpoint | null;
}

export interface RunningWorker {
  worker: Worker;
  http: OutboundClient;
  /** Resolves when the worker has stopped; rejects when it crashed. */
  done: Promise<void>;
  /** Where the SDK's worker metrics are exported, or null when they are not. */
  sdkMetrics: SdkMetricsEndpoint | null;
  stop(): Promise<void>;
}

export function workflowsPath(): string {
  return require.resolve('../workflows');
}

let runtimeInstalled: { sdkMetrics: SdkMetricsEndpoint | null } | null = null;

/**
 * The SDK's own logs: warnings and errors only, into our stderr; and, when asked, its worker
 * metrics on a Prometheus exporter. The runtime is one per process, so the first call decides.
 */
function installSdkRuntime(sdkMetrics: SdkMetricsEndpoint | null, logger: Logger): SdkMetricsEndpoint | null {
  if (runtimeInstalled) return runtimeInstalled.sdkMetrics;
  runtimeInstalled = { sdkMetrics: null };
  const sdkLogger = new DefaultLogger('WARN');
  if (sdkMetrics) {
    try {
      Runtime.install({ logger: sdkLogger, telemetryOptions: { metrics: sdkPrometheusExporter(sdkMetrics.bindAddress) } });
      runtimeInstalled.sdkMetrics = sdkMetrics;
      return sdkMetrics;
    } catch (err) {
      // The port was taken since it was picked, or the host process installed the runtime first.
      logger.warn({ err }, 'the Temporal SDK metrics exporter could not start; /metrics goes without temporal_* metrics');
    }
  }
  try {
    Runtime.install({ logger: sdkLogger });
  } catch {
    // Already installed by the host process.
  }
  return null;
}

/** Wires activities, workflows and the task queue into a worker and starts it. */
export async function startWorker(deps: WorkerDeps): Promise<RunningWorker> {
  const { config } = deps;
  const sdkMetrics = installSdkRuntime(deps.sdkMetrics ?? null, deps.logger);
  const http = createWorkerHttp(config, deps.logger);
  const connection = await NativeConnection.connect({ ...temporalConnectionOptions(config), address: deps.temporalAddress });
  const activityDeps = createActivityDeps(deps, http);
  const worker = await Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    ...(deps.workflowBundlePath ? { workflowBundle: { codePath: deps.workflowBundlePath } } : { workflowsPath: workflowsPath() }),
    activities: createActivities(activityDeps),
    // POSTs are capped by the admission (WEBHOOK_CONCURRENCY), not by activity slots: a page
    // waiting on a slow receiver must not keep the next event's page from running.
    maxConcurrentActivityTaskExecutions: config.WEBHOOK_ACTIVITY_SLOTS,
    // Event workflows are short and new: most workflow tasks are first tasks, which arrive on the
    // shared queue, not a worker's sticky queue. The SDK's default gives the shared queue 2 of 10
    // pollers, which starved the fan-out while events were being started (bench: 1,000 events ×
    // 10 subscribers went from ~390 to ~470 deliveries/s with these three settings).
    maxConcurrentWorkflowTaskPolls: Math.min(config.TEMPORAL_WORKFLOW_TASK_POLLERS, config.TEMPORAL_WORKFLOW_TASK_SLOTS),
    maxConcurrentWorkflowTaskExecutions: config.TEMPORAL_WORKFLOW_TASK_SLOTS,
    nonStickyToStickyPollRatio: 1,
    // Deliveries spend most of their life asleep in a backoff: keep a bounded number in memory
    // and replay the rest from history when their timer fires.
    maxCachedWorkflows: config.TEMPORAL_MAX_CACHED_WORKFLOWS,
    // Two threads for workflow tasks: a burst of new delivery workflows (a page's hand-overs) is
    // activated on both cores, so their retries keep their schedule (test/heavy/retry-timing-page).
    workflowThreadPoolSize: config.TEMPORAL_WORKFLOW_THREADS,
    shutdownGraceTime: '10s',
    ...deps.workerOptions,
  });
  const done = worker.run();
  // Eager workflow start: a workflow this process starts gets its first task in the start's
  // answer, when this worker has a free slot, instead of through the server's task queue and a
  // poll. It needs a client on the worker's own connection.
  const detach = deps.eagerStarts?.startEagerlyThrough(eagerStartsThrough(connection, config.TEMPORAL_NAMESPACE, () => worker.getState() === 'RUNNING'));
  let stopping: Promise<void> | null = null;
  return {
    worker,
    http,
    done,
    sdkMetrics,
    stop() {
      stopping ??= (async () => {
        detach?.();
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await done.catch(() => undefined);
        // The warm gate leases go back now, not when they expire.
        await activityDeps.admission.close();
        await http.close();
        await connection.close();
      })();
      return stopping;
    },
  };
}

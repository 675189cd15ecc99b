import { DefaultLogger, NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Logger } from 'pino';
import { createActivities } from '../activities';
import { createAttemptRecorder } from '../activities/attempt-recorder';
import type { EventSink } from '../activities/deps';
import { attemptTimeoutMs } from './domain/attempt-timeout';
import { createDeliveryStarter } from './deliveries/delivery-starter';
import { createAdmission } from './engine/admission';
import type { Config } from './config';
import { breakerSettings, retryDelays } from './config';
import { announceHealthChange } from './protection/health-events';
import { ACTIVITY_DB_CALL_TIMEOUT_MS, boundedRepositories } from './db/bounded-repositories';
import type { Repositories } from './db/repositories';
import type { QueueDriver } from './engine/queue-driver';
import type { HookRunner } from './extensions/hook-runner';
import type { Metrics } from './metrics/metrics';
import { sdkPrometheusExporter, type SdkMetricsEndpoint } from './metrics/temporal-sdk-metrics';
import { createAddressPolicy } from './net/address-policy';
import { createOutboundClient, type OutboundClient } from './net/outbound-client';
import { temporalConnectionOptions } from './temporal/connection-options';
import type { TransformRegistry } from './transforms/registry';

export interface WorkerDeps {
  config: Config;
  repos: Repositories;
  transforms: TransformRegistry;
  logger: Logger;
  temporalAddress: string;
  /** Starts delivery workflows from the activities. */
  driver: Pick<QueueDriver, 'startDelivery'>;
  /** Records and starts internal events (the dispatcher, in `start` mode). */
  events: EventSink;
  adminUrl: string | null;
  /** A prebuilt workflow bundle (tests build one and share it); otherwise workflows/ is bundled. */
  workflowBundlePath?: string;
  /** Overrides for tests: identity, shutdown grace time. */
  workerOptions?: Partial<WorkerOptions>;
  /** The process's metrics; the delivery activities count attempts and outcomes on it. */
  metrics?: Metrics;
  /** The plugins' hooks (WEBHOOK_PLUGINS). */
  hooks?: HookRunner;
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
  const http = createOutboundClient(
    createAddressPolicy(config.WEBHOOK_ALLOW_PRIVATE_TARGETS, config.WEBHOOK_PRIVATE_TARGET_ALLOWLIST),
    Math.max(config.WEBHOOK_CONCURRENCY, 8),
    (refused) => deps.logger.warn(refused, 'the SSRF guard refused a delivery target'),
  );
  const repos = boundedRepositories(deps.repos, ACTIVITY_DB_CALL_TIMEOUT_MS);
  const starter = createDeliveryStarter({
    repos,
    engine: deps.driver,
    retryDelaysMs: retryDelays(config),
    attemptTimeoutMs: attemptTimeoutMs(config.WEBHOOK_TIMEOUT * 1000),
    searchAttributes: config.TEMPORAL_SEARCH_ATTRIBUTES,
    adminUrl: deps.adminUrl,
  });
  const connection = await NativeConnection.connect({ ...temporalConnectionOptions(config), address: deps.temporalAddress });
  const worker = await Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    ...(deps.workflowBundlePath ? { workflowBundle: { codePath: deps.workflowBundlePath } } : { workflowsPath: workflowsPath() }),
    activities: createActivities({
      repos,
      http,
      admission: createAdmission(config.WEBHOOK_CONCURRENCY, {
        gate: repos.protection,
        defaultMaxInFlight: config.WEBHOOK_ENDPOINT_CONCURRENCY,
        // A lease outlives its POST's timeout; one whose worker died frees its slot after this.
        leaseTtlMs: config.WEBHOOK_TIMEOUT * 1000 + 30_000,
        maxPauseMs: config.WEBHOOK_MAX_PAUSE,
        retryDelaysMs: retryDelays(config),
        onError: (err, context) => deps.logger.warn({ err }, `${context} failed; the lease expires instead`),
        breaker: breakerSettings(config),
        onHealthChange: announceHealthChange(deps.events, (err, change) => deps.logger.error({ err, change }, 'a subscriber health event could not be recorded')),
      }),
      recorder: createAttemptRecorder(repos, deps.metrics, deps.hooks),
      hooks: deps.hooks,
      starter,
      events: deps.events,
      transforms: deps.transforms,
      logger: deps.logger,
      metrics: deps.metrics,
      adminUrl: deps.adminUrl,
      config: {
        retryDelaysMs: retryDelays(config),
        timeoutMs: config.WEBHOOK_TIMEOUT * 1000,
        fastPath: config.WEBHOOK_FAST_PATH,
        batchConcurrency: config.WEBHOOK_FANOUT_CONCURRENCY,
        admissionWaitMs: config.WEBHOOK_ADMISSION_WAIT,
      },
    }),
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
    shutdownGraceTime: '10s',
    ...deps.workerOptions,
  });
  const done = worker.run();
  let stopping: Promise<void> | null = null;
  return {
    worker,
    http,
    done,
    sdkMetrics,
    stop() {
      stopping ??= (async () => {
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await done.catch(() => undefined);
        await http.close();
        await connection.close();
      })();
      return stopping;
    },
  };
}

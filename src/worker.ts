import { DefaultLogger, NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Logger } from 'pino';
import { createActivities } from '../activities';
import type { Config } from './config';
import { retryDelays } from './config';
import type { Repositories } from './db/repositories';
import { createAddressPolicy } from './net/address-policy';
import { createOutboundClient, type OutboundClient } from './net/outbound-client';
import type { TransformRegistry } from './transforms/registry';

export interface WorkerDeps {
  config: Config;
  repos: Repositories;
  transforms: TransformRegistry;
  logger: Logger;
  temporalAddress: string;
  adminUrl: string | null;
  /** A prebuilt workflow bundle (tests build one and share it); otherwise workflows/ is bundled. */
  workflowBundlePath?: string;
  /** Overrides for tests: identity, shutdown grace time. */
  workerOptions?: Partial<WorkerOptions>;
}

export interface RunningWorker {
  worker: Worker;
  http: OutboundClient;
  /** Resolves when the worker has stopped; rejects when it crashed. */
  done: Promise<void>;
  stop(): Promise<void>;
}

export function workflowsPath(): string {
  return require.resolve('../workflows');
}

let runtimeInstalled = false;

/** The SDK's own logs: warnings and errors only, into our stderr. */
function installSdkRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // Already installed by the host process.
  }
}

/** Wires activities, workflows and the task queue into a worker and starts it. */
export async function startWorker(deps: WorkerDeps): Promise<RunningWorker> {
  const { config } = deps;
  installSdkRuntime();
  const http = createOutboundClient(
    createAddressPolicy(config.WEBHOOK_ALLOW_PRIVATE_TARGETS, config.WEBHOOK_PRIVATE_TARGET_ALLOWLIST),
    Math.max(config.WEBHOOK_CONCURRENCY, 8),
  );
  const connection = await NativeConnection.connect({ address: deps.temporalAddress });
  const worker = await Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    ...(deps.workflowBundlePath ? { workflowBundle: { codePath: deps.workflowBundlePath } } : { workflowsPath: workflowsPath() }),
    activities: createActivities({
      repos: deps.repos,
      http,
      transforms: deps.transforms,
      logger: deps.logger,
      adminUrl: deps.adminUrl,
      config: {
        retryDelaysMs: retryDelays(config),
        timeoutMs: config.WEBHOOK_TIMEOUT * 1000,
        signatureVersions: config.WEBHOOK_SIGNATURE_VERSIONS,
      },
    }),
    maxConcurrentActivityTaskExecutions: config.WEBHOOK_CONCURRENCY,
    shutdownGraceTime: '10s',
    ...deps.workerOptions,
  });
  const done = worker.run();
  let stopping: Promise<void> | null = null;
  return {
    worker,
    http,
    done,
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

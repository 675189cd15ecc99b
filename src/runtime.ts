import { sql } from 'drizzle-orm';
import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { buildApp } from './app';
import { retryDelays, type Config } from './config';
import type { Database } from './db/database';
import { createRepositories, type Repositories } from './db/repositories';
import { createStatsRepository } from './db/stats-repository';
import { attemptTimeoutMs } from './domain/attempt-timeout';
import { ACTIVITY_DB_CALL_TIMEOUT_MS } from './db/bounded-repositories';
import { createDeliveryControl, type DeliveryControl } from './deliveries/delivery-control';
import { createDeliveryStarter } from './deliveries/delivery-starter';
import { createOrphanDeliveryReconciler, type OrphanDeliveryReconciler } from './deliveries/orphan-delivery-reconciler';
import { createDispatcher, type Dispatcher } from './events/dispatcher';
import { createUnstartedEventSweeper, type UnstartedEventSweeper } from './events/unstarted-event-sweeper';
import { loadAsnTable } from './inbound/asn-table';
import { createIpWhitelist } from './inbound/ip-whitelist';
import { createMetrics, type Metrics } from './metrics/metrics';
import { startMetricsServer, type MetricsServer } from './metrics/metrics-server';
import { reserveSdkMetricsEndpoint, scrapeSdkMetrics } from './metrics/temporal-sdk-metrics';
import { connectClient } from './temporal/client';
import { temporalDeliveryEngine } from './temporal/delivery-workflow-engine';
import { createTransformRegistry, type TransformRegistry } from './transforms/registry';
import { startWorker, type RunningWorker, type WorkerDeps } from './worker';

export interface RuntimeOptions {
  config: Config;
  database: Database;
  logger: Logger;
  temporalAddress: string;
  temporalUiUrl?: string | null;
  api: boolean;
  worker: boolean;
  workflowBundlePath?: string;
  workerOptions?: WorkerDeps['workerOptions'];
  /**
   * This runtime owns the process's metrics: Node process metrics, the Temporal SDK's exporter
   * and, in a worker without the api, the /metrics server on WORKER_METRICS_PORT. The entry
   * points set it; tests that build several runtimes in one process leave it off.
   */
  processMetrics?: boolean;
}

export interface Runtime {
  app: FastifyInstance | null;
  worker: RunningWorker | null;
  client: Client;
  repos: Repositories;
  dispatcher: Dispatcher;
  control: DeliveryControl;
  transforms: TransformRegistry;
  /** One registry for the process: the api's /metrics shows the worker's counts when both run here. */
  metrics: Metrics;
  /** The worker's own /metrics server (a worker-only process with processMetrics), or null. */
  metricsServer: MetricsServer | null;
  /** Starts the workflows of events recorded without one (api only; null when WEBHOOK_SWEEP_INTERVAL=0). */
  sweeper: UnstartedEventSweeper | null;
  /** Starts the workflows of pending deliveries that have none (api only; null when WEBHOOK_SWEEP_INTERVAL=0). */
  reconciler: OrphanDeliveryReconciler | null;
  /** `dispatch(event, data, agentId)` for producers embedding hookyard. */
  dispatch(event: string, data: unknown, agentId?: string | null, id?: string): ReturnType<Dispatcher['dispatch']>;
  stop(): Promise<void>;
}

/** Composes the API and/or the worker from one configuration. */
export async function startRuntime(options: RuntimeOptions): Promise<Runtime> {
  const { config, database, logger } = options;
  const repos = createRepositories(database.db);
  const transforms = createTransformRegistry();
  const stats = createStatsRepository(database.db);
  const client = await connectClient({ address: options.temporalAddress, namespace: config.TEMPORAL_NAMESPACE });
  const dispatcher = createDispatcher({
    repos,
    client,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    searchAttributes: config.TEMPORAL_SEARCH_ATTRIBUTES,
    logger,
    ackAfter: config.WEBHOOK_ACK_AFTER,
    maxStartBacklog: config.WEBHOOK_START_BACKLOG,
    startConcurrency: config.WEBHOOK_START_CONCURRENCY,
    localFanOut: config.WEBHOOK_LOCAL_FANOUT,
    fanOutHeartbeatMs: fanOutHeartbeatMs(config),
  });
  // Internal events raised by the worker (dead letters) take the same path, acknowledged on start.
  const internalEvents = createDispatcher({
    repos,
    client,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    searchAttributes: config.TEMPORAL_SEARCH_ATTRIBUTES,
    logger,
    ackAfter: 'start',
    localFanOut: config.WEBHOOK_LOCAL_FANOUT,
    fanOutHeartbeatMs: fanOutHeartbeatMs(config),
  });
  const metrics = createMetrics({
    queueDepth: () => stats.countPendingDeliveries(),
    endpoints: () => repos.protection.busy(200),
    startBacklog: () => dispatcher.startBacklog(),
    processMetrics: options.processMetrics,
    logger,
  });
  // Links from workflow details to the admin UI; none until the UI is served (nothing points at a missing page).
  const adminUrl = null as string | null;
  const starter = createDeliveryStarter({
    repos,
    engine: temporalDeliveryEngine(client, config.TEMPORAL_TASK_QUEUE),
    retryDelaysMs: retryDelays(config),
    attemptTimeoutMs: attemptTimeoutMs(config.WEBHOOK_TIMEOUT * 1000),
    searchAttributes: config.TEMPORAL_SEARCH_ATTRIBUTES,
    adminUrl,
  });
  const control = createDeliveryControl({ repos, client, starter, dispatcher, logger });

  let worker: RunningWorker | null = null;
  let app: FastifyInstance | null = null;
  let sweeper: UnstartedEventSweeper | null = null;
  let reconciler: OrphanDeliveryReconciler | null = null;
  let metricsServer: MetricsServer | null = null;
  try {
    if (options.worker) {
      const sdkMetrics = options.processMetrics && config.TEMPORAL_SDK_METRICS ? await reserveSdkMetricsEndpoint() : null;
      worker = await startWorker({
        config,
        repos,
        transforms,
        logger,
        temporalAddress: options.temporalAddress,
        client,
        events: internalEvents,
        adminUrl,
        workflowBundlePath: options.workflowBundlePath,
        workerOptions: options.workerOptions,
        metrics,
        sdkMetrics,
      });
      if (worker.sdkMetrics) metrics.addAppendix(scrapeSdkMetrics(worker.sdkMetrics.url));
      if (options.processMetrics && !options.api && config.WORKER_METRICS_PORT > 0) {
        metricsServer = await startMetricsServer({ metrics, port: config.WORKER_METRICS_PORT, host: config.HOST, logger }).catch((err: Error) => {
          throw new Error(`WORKER_METRICS_PORT=${config.WORKER_METRICS_PORT}: the worker metrics server could not listen (${err.message}); pick another port or 0 to turn it off`);
        });
        logger.info({ url: `${metricsServer.url}/metrics` }, 'worker metrics listening');
      }
    }
    if (options.api) {
      if (!config.ADMIN_TOKEN) throw new Error('ADMIN_TOKEN is required to serve the admin API');
      const asnTable = config.WEBHOOK_ASN_DB ? loadAsnTable(config.WEBHOOK_ASN_DB) : null;
      app = await buildApp({
        config,
        repos,
        dispatcher,
        control,
        temporalUiUrl: options.temporalUiUrl ?? null,
        transforms,
        logger,
        whitelist: createIpWhitelist(config.WEBHOOK_IP_WHITELIST, asnTable),
        asnTable,
        adminToken: config.ADMIN_TOKEN,
        inboundSecrets: config.WEBHOOK_INBOUND_SECRET ? config.WEBHOOK_INBOUND_SECRET.split(',').map((s) => s.trim()) : [],
        metrics,
        health: async () => ({
          database: await database.db
            .execute(sql`select 1`)
            .then(() => true)
            .catch(() => false),
          temporal: await client.workflowService
            .getSystemInfo({})
            .then(() => true)
            .catch(() => false),
          worker: worker ? worker.worker.getState() === 'RUNNING' : true,
        }),
      });
      if (config.WEBHOOK_SWEEP_INTERVAL > 0) {
        sweeper = createUnstartedEventSweeper({ events: repos.events, dispatcher, logger, intervalMs: config.WEBHOOK_SWEEP_INTERVAL });
        sweeper.start();
        reconciler = createOrphanDeliveryReconciler({ repos, starter, logger, intervalMs: config.WEBHOOK_SWEEP_INTERVAL });
        reconciler.start();
      }
    }
  } catch (err) {
    await sweeper?.stop();
    await reconciler?.stop();
    await app?.close();
    await metricsServer?.close();
    await worker?.stop();
    await client.connection.close();
    throw err;
  }

  return {
    app,
    worker,
    client,
    repos,
    dispatcher,
    control,
    transforms,
    metrics,
    metricsServer,
    sweeper,
    reconciler,
    dispatch: (event, data, agentId = null, id) => dispatcher.dispatch({ source: 'api', type: event, data, agentId, externalId: id }),
    async stop() {
      await sweeper?.stop();
      await reconciler?.stop();
      await app?.close();
      // Acknowledged events whose workflow is still starting: finish them before leaving.
      await Promise.race([dispatcher.drained(), new Promise((r) => setTimeout(r, 10_000))]);
      await metricsServer?.close();
      await worker?.stop();
      await client.connection.close();
    },
  };
}

/** The fan-out's heartbeat timeout: a POST's timeout plus a database call's deadline, with room. */
export function fanOutHeartbeatMs(config: Config): number {
  return config.WEBHOOK_TIMEOUT * 1000 + ACTIVITY_DB_CALL_TIMEOUT_MS + 10_000;
}

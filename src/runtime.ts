import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { buildApp } from './app';
import { inboundSecrets, retryDelays, type Config } from './config';
import type { Database } from './db/database';
import { createRepositories, type Repositories } from './db/repositories';
import { createStatsRepository } from './db/stats-repository';
import { attemptTimeoutMs } from './domain/attempt-timeout';
import { fanOutHeartbeatMs, localFanOutTimeoutMs } from './engine/page-timeouts';
import { createDeliveryControl, type DeliveryControl } from './deliveries/delivery-control';
import { createDeliveryStarter } from './deliveries/delivery-starter';
import { createOrphanDeliveryReconciler, type OrphanDeliveryReconciler } from './deliveries/orphan-delivery-reconciler';
import { createDispatcher, type Dispatcher } from './events/dispatcher';
import { createUnstartedEventSweeper, type UnstartedEventSweeper } from './events/unstarted-event-sweeper';
import { loadAsnTable } from './inbound/asn-table';
import { attachReplayRunner } from './replays/replay-runner';
import { createIpWhitelist } from './inbound/ip-whitelist';
import { createMetrics, type Metrics } from './metrics/metrics';
import { startMetricsServer, type MetricsServer } from './metrics/metrics-server';
import { reserveSdkMetricsEndpoint, scrapeSdkMetrics } from './metrics/temporal-sdk-metrics';
import { ensureRetentionSchedule } from './temporal/retention-schedule';
import { temporalConnectionOptions } from './temporal/connection-options';
import { connectTemporalDriver, type TemporalDriver } from './temporal/temporal-driver';
import type { QueueDriver } from './engine/queue-driver';
import { connectPgBossDriver, type PgBossDriver } from './pgboss/pgboss-driver';
import { startPgBossWorker, type RunningPgBossWorker } from './pgboss/pgboss-worker';
import { createTransformRegistry, type TransformRegistry } from './transforms/registry';
import { createHookRunner, type HookRunner } from './extensions/hook-runner';
import { loadPlugins } from './extensions/plugin-loader';
import { startWorker, type RunningWorker, type WorkerDeps } from './worker';

export interface RuntimeOptions {
  config: Config;
  database: Database;
  logger: Logger;
  /** Required with QUEUE_DRIVER=temporal. */
  temporalAddress?: string | null;
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
  /** Where WEBHOOK_PLUGINS paths are resolved from; the working directory by default. */
  pluginBaseDir?: string;
}

export interface Runtime {
  app: FastifyInstance | null;
  /** The Temporal worker (QUEUE_DRIVER=temporal), or null. */
  worker: RunningWorker | null;
  /** The pg-boss worker (QUEUE_DRIVER=pgboss), or null. */
  pgbossWorker: RunningPgBossWorker | null;
  /** The queue driver: everything the app asks of the delivery engine goes through it. */
  driver: QueueDriver;
  /** The Temporal driver's client, for tests that inspect workflows; throws under QUEUE_DRIVER=pgboss. */
  readonly client: TemporalDriver['client'];
  repos: Repositories;
  dispatcher: Dispatcher;
  control: DeliveryControl;
  transforms: TransformRegistry;
  /** The plugins' hooks (WEBHOOK_PLUGINS). */
  hooks: HookRunner;
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
  // Before anything connects: a plugin that cannot load stops start-up with its name.
  const plugins = await loadPlugins(config.WEBHOOK_PLUGINS, { transforms, logger, baseDir: options.pluginBaseDir ?? process.cwd() });
  if (plugins.names.length > 0) logger.info({ plugins: plugins.names }, 'plugins loaded');
  const stats = createStatsRepository(database.db);
  // Links from workflow details to the admin UI (/admin/deliveries/<id>, /admin/events/<id>).
  const adminUrl = `${config.PUBLIC_URL ?? `http://${config.HOST}:${config.PORT}`}/admin`;
  // Read at scrape time, so the dispatcher made below is there by then.
  const metrics = createMetrics({
    queueDepth: () => stats.countPendingDeliveries(),
    endpoints: () => repos.protection.busy(200),
    startBacklog: () => dispatcher.startBacklog(),
    processMetrics: options.processMetrics,
    logger,
  });
  let temporal: TemporalDriver | null = null;
  let pgboss: PgBossDriver | null = null;
  if (config.QUEUE_DRIVER === 'pgboss') {
    pgboss = await connectPgBossDriver({
      connectionString: config.DATABASE_URL!,
      livenessSeconds: Math.ceil(config.QUEUE_LIVENESS / 1000),
      poolSize: Math.min(config.DATABASE_POOL_SIZE, 5),
      repos,
      logger,
    });
  } else {
    if (!options.temporalAddress) throw new Error('QUEUE_DRIVER=temporal needs a Temporal address (TEMPORAL_ADDRESS)');
    temporal = await connectTemporalDriver({
      address: options.temporalAddress,
      namespace: config.TEMPORAL_NAMESPACE,
      connection: temporalConnectionOptions(config),
      adminUrl,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      searchAttributes: config.TEMPORAL_SEARCH_ATTRIBUTES,
      localFanOut: config.WEBHOOK_LOCAL_FANOUT,
      fanOutHeartbeatMs: fanOutHeartbeatMs(config),
      localFanOutTimeoutMs: localFanOutTimeoutMs(config),
      onStarted: (workflow, eager) => metrics.workflowStarted(workflow, eager),
    });
    await ensureRetentionSchedule(temporal.client, config, logger).catch((err: unknown) => logger.warn({ err }, 'the retention schedule could not be ensured; the next boot tries again'));
  }
  const driver: QueueDriver = (temporal ?? pgboss)!;
  const dispatcher = createDispatcher({
    repos,
    driver,
    logger,
    ackAfter: config.WEBHOOK_ACK_AFTER,
    maxStartBacklog: config.WEBHOOK_START_BACKLOG,
    startConcurrency: config.WEBHOOK_START_CONCURRENCY,
  });
  // Internal events raised by the worker (dead letters) take the same path, acknowledged on start.
  const internalEvents = createDispatcher({ repos, driver, logger, ackAfter: 'start' });
  const hooks = createHookRunner({
    beforeDispatch: plugins.beforeDispatch,
    afterDelivery: plugins.afterDelivery,
    timeoutMs: config.WEBHOOK_HOOK_TIMEOUT,
    logger,
    onFailure: (failure) => metrics.hookFailed(failure),
  });
  const starter = createDeliveryStarter({
    repos,
    engine: driver,
    retryDelaysMs: retryDelays(config),
    attemptTimeoutMs: attemptTimeoutMs(config.WEBHOOK_TIMEOUT * 1000),
    searchAttributes: config.TEMPORAL_SEARCH_ATTRIBUTES,
    adminUrl,
  });
  const control = createDeliveryControl({ repos, driver, starter, dispatcher, logger });

  let worker: RunningWorker | null = null;
  let pgbossWorker: RunningPgBossWorker | null = null;
  let app: FastifyInstance | null = null;
  let sweeper: UnstartedEventSweeper | null = null;
  let reconciler: OrphanDeliveryReconciler | null = null;
  let metricsServer: MetricsServer | null = null;
  try {
    if (options.worker && pgboss) {
      pgbossWorker = startPgBossWorker({ config, repos, transforms, logger, driver: pgboss, events: internalEvents, adminUrl, metrics, hooks });
    }
    if (options.worker && temporal) {
      const sdkMetrics = options.processMetrics && config.TEMPORAL_SDK_METRICS ? await reserveSdkMetricsEndpoint() : null;
      worker = await startWorker({
        config,
        repos,
        transforms,
        logger,
        temporalAddress: options.temporalAddress!,
        driver: temporal,
        eagerStarts: config.TEMPORAL_EAGER_START ? temporal : undefined,
        events: internalEvents,
        adminUrl,
        workflowBundlePath: options.workflowBundlePath,
        workerOptions: options.workerOptions,
        metrics,
        sdkMetrics,
        hooks,
      });
      if (worker.sdkMetrics) metrics.addAppendix(scrapeSdkMetrics(worker.sdkMetrics.url));
    }
    if (options.worker) {
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
        driver,
        temporalUiUrl: options.temporalUiUrl ?? null,
        transforms,
        logger,
        whitelist: createIpWhitelist(config.WEBHOOK_IP_WHITELIST, asnTable),
        asnTable,
        adminToken: config.ADMIN_TOKEN,
        inboundSecrets: inboundSecrets(config),
        metrics,
        health: async () => ({
          database: await database.db
            .execute(sql`select 1`)
            .then(() => true)
            .catch(() => false),
          [driver.name]: await driver.healthy(),
          worker: worker ? worker.worker.getState() === 'RUNNING' : pgbossWorker ? pgbossWorker.running() : true,
        }),
      });
      attachReplayRunner(app, { jobs: repos.replayJobs, replay: (ids, options) => control.replay(ids, options), logger });
      if (config.WEBHOOK_SWEEP_INTERVAL > 0) {
        sweeper = createUnstartedEventSweeper({ events: repos.events, dispatcher, logger, intervalMs: config.WEBHOOK_SWEEP_INTERVAL });
        sweeper.start();
        reconciler = createOrphanDeliveryReconciler({ repos, starter, orderedKeys: driver, logger, intervalMs: config.WEBHOOK_SWEEP_INTERVAL });
        reconciler.start();
      }
    }
  } catch (err) {
    await sweeper?.stop();
    await reconciler?.stop();
    await app?.close();
    await metricsServer?.close();
    await worker?.stop();
    await pgbossWorker?.stop();
    await driver.close();
    throw err;
  }

  return {
    app,
    worker,
    pgbossWorker,
    driver,
    get client() {
      if (!temporal) throw new Error('QUEUE_DRIVER=pgboss: there is no Temporal client');
      return temporal.client;
    },
    repos,
    dispatcher,
    control,
    transforms,
    hooks,
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
      await pgbossWorker?.stop();
      await driver.close();
    },
  };
}

import { sql } from 'drizzle-orm';
import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { buildApp } from './app';
import { retryDelays, type Config } from './config';
import type { Database } from './db/database';
import { createRepositories, type Repositories } from './db/repositories';
import { createDeliveryControl, type DeliveryControl } from './deliveries/delivery-control';
import { createDispatcher, type Dispatcher } from './events/dispatcher';
import { loadAsnTable } from './inbound/asn-table';
import { createIpWhitelist } from './inbound/ip-whitelist';
import { connectClient } from './temporal/client';
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
}

export interface Runtime {
  app: FastifyInstance | null;
  worker: RunningWorker | null;
  client: Client;
  repos: Repositories;
  dispatcher: Dispatcher;
  control: DeliveryControl;
  transforms: TransformRegistry;
  /** `dispatch(event, data, agentId)` for producers embedding hookyard. */
  dispatch(event: string, data: unknown, agentId?: string | null, id?: string): ReturnType<Dispatcher['dispatch']>;
  stop(): Promise<void>;
}

/** Composes the API and/or the worker from one configuration. */
export async function startRuntime(options: RuntimeOptions): Promise<Runtime> {
  const { config, database, logger } = options;
  const repos = createRepositories(database.db);
  const transforms = createTransformRegistry();
  const client = await connectClient({ address: options.temporalAddress, namespace: config.TEMPORAL_NAMESPACE });
  const dispatcher = createDispatcher({
    repos,
    client,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    searchAttributes: config.TEMPORAL_SEARCH_ATTRIBUTES,
    logger,
  });
  const publicUrl = config.PUBLIC_URL ?? `http://${config.HOST}:${config.PORT}`;
  const control = createDeliveryControl({
    repos,
    client,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    retryDelaysMs: retryDelays(config),
    searchAttributes: config.TEMPORAL_SEARCH_ATTRIBUTES,
    adminUrl: `${publicUrl}/admin`,
  });

  let worker: RunningWorker | null = null;
  let app: FastifyInstance | null = null;
  try {
    if (options.worker) {
      worker = await startWorker({
        config,
        repos,
        transforms,
        logger,
        temporalAddress: options.temporalAddress,
        adminUrl: `${publicUrl}/admin`,
        workflowBundlePath: options.workflowBundlePath,
        workerOptions: options.workerOptions,
      });
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
    }
  } catch (err) {
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
    dispatch: (event, data, agentId = null, id) => dispatcher.dispatch({ source: 'api', type: event, data, agentId, externalId: id }),
    async stop() {
      await app?.close();
      await worker?.stop();
      await client.connection.close();
    },
  };
}

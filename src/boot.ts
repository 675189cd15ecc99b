import { ConfigError, loadConfig } from './config';
import { idleConnectionLost, openDatabase } from './db/database';
import { createLogger } from './logger';
import { runUntilSignal } from './process-lifecycle';
import { startRuntime } from './runtime';

/** Boots a production process (api or worker) against DATABASE_URL and, with QUEUE_DRIVER=temporal, TEMPORAL_ADDRESS. */
export async function bootProcess(roles: { api: boolean; worker: boolean }): Promise<void> {
  try {
    const config = loadConfig();
    if (config.QUEUE_DRIVER === 'temporal' && !config.TEMPORAL_ADDRESS) throw new ConfigError([{ variable: 'TEMPORAL_ADDRESS', message: 'is required (use `npm start` for the embedded dev server)' }]);
    if (roles.api && !config.ADMIN_TOKEN) throw new ConfigError([{ variable: 'ADMIN_TOKEN', message: 'is required for the admin API' }]);
    const logger = createLogger(config.LOG_LEVEL, roles.api ? 'api' : 'worker');
    const database = await openDatabase({ url: config.DATABASE_URL, dataDir: config.DATA_DIR, poolSize: config.DATABASE_POOL_SIZE, migrate: roles.api, onIdleError: idleConnectionLost(logger) });
    const runtime = await startRuntime({ config, database, logger, temporalAddress: config.TEMPORAL_ADDRESS, temporalUiUrl: config.TEMPORAL_UI_URL, processMetrics: true, ...roles });
    if (runtime.app) {
      const address = await runtime.app.listen({ port: config.PORT, host: config.HOST });
      logger.info({ address, queueDriver: config.QUEUE_DRIVER }, 'api listening');
    }
    if (runtime.driver.name === 'pgboss' && roles.worker) logger.info({ queueDriver: 'pgboss' }, 'pg-boss worker running (no Temporal)');
    await runUntilSignal(logger, async () => {
      await runtime.stop();
      await database.close();
    });
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exit(err instanceof ConfigError ? 78 : 1);
  }
}

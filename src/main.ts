import path from 'node:path';
import { ConfigError, loadConfig, type Config } from './config';
import { embeddedCredentials } from './credentials';
import { idleConnectionLost, openDatabase } from './db/database';
import { createLogger } from './logger';
import { startRuntime } from './runtime';
import { findTemporalCli } from './temporal/cli-path';
import { freePort, startDevServer, type DevServer } from './temporal/dev-server';
import { runUntilSignal } from './process-lifecycle';

// `npm start`: the whole system in one process on embedded defaults. PGlite under DATA_DIR,
// and a local Temporal dev server as a child process when TEMPORAL_ADDRESS is unset.

async function main() {
  const dataDir = path.resolve(readDataDir());
  let config: Config;
  try {
    config = loadConfig({ ...embeddedCredentials(dataDir), DATA_DIR: dataDir });
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(78);
    }
    throw err;
  }
  const logger = createLogger(config.LOG_LEVEL);

  let devServer: DevServer | null = null;
  let temporalAddress = config.TEMPORAL_ADDRESS;
  let temporalUi = config.TEMPORAL_UI_URL ?? null;
  if (!temporalAddress && config.QUEUE_DRIVER === 'temporal') {
    const cli = findTemporalCli(config.TEMPORAL_CLI_PATH, config.PATH);
    if (!cli) {
      console.error('No temporal CLI found. Run `bash scripts/install-temporal.sh` or set TEMPORAL_ADDRESS / TEMPORAL_CLI_PATH.');
      process.exit(69);
    }
    const port = (await isFree(7233)) ? 7233 : await freePort();
    const uiPort = (await isFree(8233)) ? 8233 : await freePort();
    devServer = await startDevServer({ cliPath: cli, dbFile: path.join(dataDir, 'temporal.db'), port, uiPort, namespace: config.TEMPORAL_NAMESPACE });
    temporalAddress = devServer.address;
    temporalUi = devServer.uiUrl;
  }

  const database = await openDatabase({ url: config.DATABASE_URL, dataDir, poolSize: config.DATABASE_POOL_SIZE, onIdleError: idleConnectionLost(logger) });
  const runtime = await startRuntime({ config, database, logger, temporalAddress, temporalUiUrl: temporalUi, api: true, worker: true, processMetrics: true });
  const address = await runtime.app!.listen({ port: config.PORT, host: config.HOST });

  console.log(
    [
      '',
      config.QUEUE_DRIVER === 'pgboss'
        ? `  hookyard is running (${database.kind}, queue driver pgboss: PostgreSQL only, no Temporal)`
        : `  hookyard is running (${database.kind}, queue driver temporal at ${temporalAddress})`,
      `  API          ${address}`,
      `  Inbound      POST ${address}${config.WEBHOOK_INBOUND_PATH}`,
      `  Admin API    ${address}/admin/api   (Authorization: Bearer <ADMIN_TOKEN>)`,
      `  Admin UI     ${address}/admin`,
      `  Metrics      ${address}/metrics`,
      `  Delivery     ${deliveryMode(config)}`,
      `  Temporal UI  ${config.QUEUE_DRIVER === 'pgboss' ? '(none: QUEUE_DRIVER=pgboss)' : (temporalUi ?? '(none)')}`,
      `  Credentials  ${path.join(dataDir, 'credentials.json')}`,
      '',
    ].join('\n'),
  );

  await runUntilSignal(logger, async () => {
    await runtime.stop();
    await database.close();
    await devServer?.stop();
  });
}

/** What this process creates per delivery, in one line (README: "What each mode creates"). */
function deliveryMode(config: { WEBHOOK_FAST_PATH: boolean; WEBHOOK_ACK_AFTER: string; WEBHOOK_CONCURRENCY: number }): string {
  const mode = config.WEBHOOK_FAST_PATH
    ? 'fast path: first attempts in the fan-out, a workflow only for deliveries that need more'
    : 'a child workflow for every delivery (WEBHOOK_FAST_PATH=false)';
  return `${mode}; 200 after ${config.WEBHOOK_ACK_AFTER}; ${config.WEBHOOK_CONCURRENCY} POSTs in flight per worker`;
}

/** DATA_DIR decides where the generated credentials live, so it is read before them. */
function readDataDir(): string {
  try {
    return loadConfig({ ADMIN_TOKEN: 'placeholder-token-16', WEBHOOK_INBOUND_SECRET: 'placeholder' }).DATA_DIR;
  } catch {
    return '.data'; // The full load below reports what is wrong.
  }
}

async function isFree(port: number): Promise<boolean> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});

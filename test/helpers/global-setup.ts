import { writeFileSync } from 'node:fs';
import path from 'node:path';
import postgres from 'postgres';
import { bundleWorkflowCode } from '@temporalio/worker';
import { openDatabase } from '../../src/db/database';
import { findTemporalCli } from '../../src/temporal/cli-path';
import { startDevServer } from '../../src/temporal/dev-server';
import { workflowsPath } from '../../src/worker';
import { startPostgres } from './postgres-server';
import { createRuntimeDir, writeTestRuntime } from './runtime-file';

// One real Temporal dev server and one real PostgreSQL cluster for the whole run. Each test
// file gets its own database (a copy of a migrated template) and its own task queue.

export const TEMPLATE_DB = 'hookyard_template';

export default async function globalSetup(): Promise<void> {
  const dir = createRuntimeDir();
  const cli = findTemporalCli(undefined, process.env.PATH);
  if (!cli) throw new Error('no temporal CLI: run `bash scripts/setup.sh --test`');
  const [temporal, pg, bundle] = await Promise.all([
    startDevServer({ cliPath: cli, uiPort: null }),
    startPostgres(),
    bundleWorkflowCode({ workflowsPath: workflowsPath(), logger: quietLogger }),
  ]);
  const admin = postgres(pg.url(), { max: 1, onnotice: () => undefined });
  await admin.unsafe(`create database ${TEMPLATE_DB}`);
  await admin.end();
  const template = await openDatabase({ url: pg.url(TEMPLATE_DB), dataDir: '' });
  await template.close();

  const bundlePath = path.join(dir, 'workflow-bundle.js');
  writeTestRuntime({ temporalAddress: temporal.address, postgresUrl: pg.url(), templateDatabase: TEMPLATE_DB, workflowBundlePath: bundlePath });
  writeFileSync(bundlePath, bundle.code);
  (globalThis as Record<string, unknown>).__hookyard = { temporal, pg };
}

const quietLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: (message: string, meta?: unknown) => console.error(message, meta),
};

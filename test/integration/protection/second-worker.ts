import { openDatabase } from '../../../src/db/database';
import { createLogger } from '../../../src/logger';
import { startRuntime } from '../../../src/runtime';
import type { Harness } from '../../helpers/harness';
import { readTestRuntime } from '../../helpers/runtime-file';

/** A (second) worker on the harness's task queue and database, with an admission of its own (as a second process has). */
export async function startSecondWorker(h: Harness, options: { poolSize?: number } = {}): Promise<{ stop(): Promise<void> }> {
  const rt = readTestRuntime();
  const database = await openDatabase({ url: h.database.url, dataDir: '', migrate: false, poolSize: options.poolSize ?? 5 });
  const runtime = await startRuntime({
    config: h.config,
    database,
    logger: createLogger(h.config.LOG_LEVEL),
    temporalAddress: rt.temporalAddress,
    api: false,
    worker: true,
    workflowBundlePath: rt.workflowBundlePath,
    workerOptions: { shutdownGraceTime: '1s', identity: 'second-worker' },
  });
  return {
    async stop() {
      await runtime.stop();
      await database.close();
    },
  };
}

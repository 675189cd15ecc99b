import { ConfigError, loadConfig } from './config';
import { openDatabase } from './db/database';

// `npm run migrate`: applies the migrations in drizzle/ to DATABASE_URL and exits (the
// Kubernetes migration Job, deploy/k8s/migration-job.yaml). Applied migrations are skipped.
async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.DATABASE_URL) throw new ConfigError([{ variable: 'DATABASE_URL', message: 'is required to migrate' }]);
  const database = await openDatabase({ url: config.DATABASE_URL, dataDir: config.DATA_DIR, poolSize: 1, migrate: true });
  await database.close();
  console.log('migrations applied');
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(err instanceof ConfigError ? 78 : 1);
  },
);

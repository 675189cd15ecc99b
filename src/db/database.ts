import { chmodSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { schema } from './schema';

/** The Drizzle database, on node-postgres or on PGlite: repositories see only this. */
export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface Database {
  db: Db;
  kind: 'postgres' | 'pglite';
  close(): Promise<void>;
}

export const MIGRATIONS_FOLDER = path.resolve(__dirname, '../../drizzle');

export interface DatabaseOptions {
  /** A postgres:// URL; without it, PGlite stores its files under dataDir. */
  url?: string;
  dataDir: string;
  poolSize?: number;
  /** Apply the migrations in drizzle/ before returning. */
  migrate?: boolean;
  /** Told when the server closes an idle pooled connection (the pool replaces it). */
  onIdleError?: (err: Error) => void;
}

/** Opens the database named by the options and, unless told not to, applies the migrations. */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  const database = options.url
    ? await openPostgres(options.url, options.poolSize ?? 10, options.onIdleError ?? (() => undefined))
    : await openPglite(options.dataDir);
  if (options.migrate !== false) await migrateDatabase(database);
  return database;
}

async function openPostgres(url: string, poolSize: number, onIdleError: (err: Error) => void): Promise<Database> {
  const { Pool } = await import('pg');
  const { drizzle } = await import('drizzle-orm/node-postgres');
  const pool = new Pool({
    connectionString: url,
    max: poolSize,
    // Fail a checkout rather than queue behind a server that does not answer.
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
  });
  // A pooled connection the server closed while idle (a restart, an administrator's kill) is
  // dropped by the pool; without a listener its 'error' event would end the process.
  pool.on('error', onIdleError);
  // A connection the server ends while it is checked out (a transaction in progress, a
  // bounded call that gave up on it) emits 'error' on the client itself, where the pool has no
  // listener: that ended the worker in the PostgreSQL-outage test. The query in flight fails on
  // its own; the event only needs a listener.
  pool.on('connect', (client) => client.on('error', onIdleError));
  return {
    db: drizzle({ client: pool, schema }) as unknown as Db,
    kind: 'postgres',
    close: () => pool.end(),
  };
}

async function openPglite(dataDir: string): Promise<Database> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { drizzle } = await import('drizzle-orm/pglite');
  const dir = path.resolve(dataDir, 'pglite');
  // PGlite creates its files 0666 whatever the umask. The directories are 0700, so nothing
  // under them is reachable by other users; the files are also set 0600 at open and close.
  closeToOthers(path.resolve(dataDir));
  const client = await PGlite.create(dir);
  closeToOthers(dir);
  return {
    db: drizzle(client, { schema }) as unknown as Db,
    kind: 'pglite',
    close: async () => {
      await client.close();
      closeToOthers(dir);
    },
  };
}

/** Creates `dir` if needed and makes it and everything under it owner-only: directories 0700, files 0600. */
export function closeToOthers(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const walk = (p: string, isDir: boolean) => {
    try {
      chmodSync(p, isDir ? 0o700 : 0o600);
    } catch {
      // Not ours (a file another user put there): the 0700 directory above still closes it.
    }
    if (isDir) for (const entry of readdirSync(p, { withFileTypes: true })) walk(path.join(p, entry.name), entry.isDirectory());
  };
  walk(dir, true);
}

/** The log line for a pooled connection the server closed while it was idle. */
export function idleConnectionLost(logger: { warn(obj: object, msg: string): void }): (err: Error) => void {
  return (err) => logger.warn({ err }, 'the database closed an idle connection; the pool opens another when needed');
}

export async function migrateDatabase(database: Database): Promise<void> {
  if (database.kind === 'postgres') {
    const { migrate } = await import('drizzle-orm/node-postgres/migrator');
    await migrate(database.db as never, { migrationsFolder: MIGRATIONS_FOLDER });
  } else {
    const { migrate } = await import('drizzle-orm/pglite/migrator');
    await migrate(database.db as never, { migrationsFolder: MIGRATIONS_FOLDER });
  }
}

import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { openDatabase, type Database } from '../../src/db/database';
import { readTestRuntime } from './runtime-file';

/** A fresh, migrated database of its own on the shared test cluster. */
export async function freshDatabase(): Promise<Database & { url: string }> {
  const rt = readTestRuntime();
  const name = `t_${randomBytes(6).toString('hex')}`;
  const admin = postgres(rt.postgresUrl, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`create database ${name} template ${rt.templateDatabase}`);
  await admin.end();
  const url = rt.postgresUrl.replace(/\/[^/]*$/, `/${name}`);
  const db = await openDatabase({ url, dataDir: '', migrate: false, poolSize: 5 });
  return { ...db, url };
}

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import postgres from 'postgres';
import { readTestRuntime } from '../helpers/runtime-file';

// `npm run migrate` (the Kubernetes migration Job, deploy/k8s/migration-job.yaml): applies every
// migration to an empty database and exits 0; a second run finds nothing to do; without
// DATABASE_URL it exits with the configuration error code.

const root = path.resolve(__dirname, '../..');

function migrate(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/migrate.ts'], { cwd: root, env: { PATH: process.env.PATH ?? '', WEBHOOK_VALIDATE_SIGNATURE: 'false', ...env } });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.once('exit', (code) => resolve({ code, output }));
  });
}

describe('npm run migrate', () => {
  it('applies every migration to an empty database, then finds nothing to do', async () => {
    const rt = readTestRuntime();
    const name = `m_${randomBytes(6).toString('hex')}`;
    const admin = postgres(rt.postgresUrl, { max: 1, onnotice: () => undefined });
    await admin.unsafe(`create database ${name}`);
    const url = rt.postgresUrl.replace(/\/[^/]*$/, `/${name}`);
    const db = postgres(url, { max: 1, onnotice: () => undefined });
    try {
      const first = await migrate({ DATABASE_URL: url });
      expect(first).toEqual({ code: 0, output: 'migrations applied\n' });
      const applied = await db`select count(*)::int as n from drizzle.__drizzle_migrations`;
      expect(applied[0]!.n).toBe(readdirSync(path.join(root, 'drizzle')).filter((f) => f.endsWith('.sql')).length);
      const tables = await db`select table_name from information_schema.tables where table_schema = 'public' and table_name like 'webhook_%'`;
      expect(tables.map((t) => t.table_name)).toEqual(expect.arrayContaining(['webhook_events', 'webhook_deliveries', 'webhook_subscribers', 'webhook_logs']));

      const again = await migrate({ DATABASE_URL: url });
      expect(again.code).toBe(0);
      expect((await db`select count(*)::int as n from drizzle.__drizzle_migrations`)[0]!.n).toBe(applied[0]!.n);
    } finally {
      await db.end();
      await admin.unsafe(`drop database ${name} with (force)`);
      await admin.end();
    }
  }, 60_000);

  it('exits with the configuration error code when DATABASE_URL is unset', async () => {
    const res = await migrate({});
    expect(res.code).toBe(78);
    expect(res.output).toContain('DATABASE_URL');
  }, 30_000);
});

import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/temporal/dev-server';
import { freshDatabase } from '../helpers/database';
import { eventually } from '../helpers/harness';

// `npm start` with QUEUE_DRIVER=pgboss: PostgreSQL alone, no Temporal server started or needed.

const root = path.resolve(__dirname, '../..');

/** The commands of a process's children (tsx's esbuild service is one of them). */
function children(pid: number): string[] {
  try {
    return execFileSync('ps', ['-o', 'args=', '--ppid', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .map((s) => s.trim())
      .filter(Boolean);
  } catch {
    return [];
  }
}

function start(env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

describe('npm start with QUEUE_DRIVER=pgboss', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hookyard-pgboss-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('stops at once, in one line, without a real PostgreSQL (pg-boss cannot run on PGlite)', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, QUEUE_DRIVER: 'pgboss', LOG_LEVEL: 'warn' };
    delete env.DATABASE_URL;
    const run = start(env);
    expect(await run.exited).toBe(78);
    expect(run.output()).toMatch(/QUEUE_DRIVER is pgboss, which needs a real PostgreSQL: set DATABASE_URL/);
  });

  it('comes up on PostgreSQL with no Temporal (no Temporal child process, no TEMPORAL_ADDRESS), and stops on SIGTERM', async () => {
    const database = await freshDatabase();
    const port = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), DATA_DIR: dataDir, DATABASE_URL: database.url, QUEUE_DRIVER: 'pgboss', LOG_LEVEL: 'warn' };
    delete env.TEMPORAL_ADDRESS;
    const run = start(env);
    try {
      const health = await eventually(
        async () => {
          if (run.child.exitCode !== null) throw new Error(`exited early: ${run.output()}`);
          const res = await fetch(`http://127.0.0.1:${port}/health`);
          return res.status === 200 ? res.json() : null;
        },
        60_000,
        500,
      );
      expect(health).toMatchObject({ status: 'ok', checks: { database: true, pgboss: true, worker: true } });
      expect(run.output()).toContain('queue driver pgboss');
      expect(run.output()).toContain('Temporal UI  (none: QUEUE_DRIVER=pgboss)');
      expect(children(run.child.pid!).filter((args) => /temporal/.test(args))).toEqual([]);
      run.child.kill('SIGTERM');
      expect(await run.exited).toBe(0);
    } finally {
      run.child.kill('SIGKILL');
      await database.close();
    }
  }, 90_000);
});

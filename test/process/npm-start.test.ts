import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/temporal/dev-server';
import { eventually } from '../helpers/harness';

const root = path.resolve(__dirname, '../..');

function descendants(pid: number): number[] {
  let out = '';
  try {
    out = execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' });
  } catch {
    return [];
  }
  const children = out.split('\n').map((s) => Number(s.trim())).filter(Boolean);
  return children.flatMap((c) => [c, ...descendants(c)]);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('npm start (embedded mode)', () => {
  it('comes up on PGlite and its own Temporal dev server, answers /health, and stops on SIGTERM leaving no process behind', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hookyard-start-'));
    const port = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
    delete env.TEMPORAL_ADDRESS;
    delete env.DATABASE_URL;
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const health = await eventually(
        async () => {
          if (child.exitCode !== null) throw new Error(`exited early: ${output}`);
          const res = await fetch(`http://127.0.0.1:${port}/health`);
          return res.status === 200 ? res.json() : null;
        },
        120_000,
        500,
      );
      expect(health).toMatchObject({ status: 'ok', checks: { database: true, temporal: true, worker: true } });
      expect(output).toContain('Temporal UI  http://');
      // The banner names the admin UI's address (issue 12: the operator opens it), and it serves the UI.
      const adminUi = /^ {2}Admin UI {5}(http:\/\/\S+\/admin)$/m.exec(output)?.[1];
      expect(adminUi).toBe(`http://127.0.0.1:${port}/admin`);
      expect(await (await fetch(adminUi!)).text()).toContain('<title>hookyard admin</title>');

      const spawned = descendants(child.pid!);
      expect(spawned.length).toBeGreaterThan(0); // the temporal dev server
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      await eventually(async () => spawned.every((pid) => !alive(pid)), 15_000);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 180_000);
});

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

// webhookctl as a child process, run the way a user runs it: `node bin/webhookctl.js …`.

export const BIN = path.resolve(__dirname, '../../bin/webhookctl.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunningCli {
  child: ChildProcess;
  output(): { stdout: string; stderr: string };
  /** Resolves with the first match of `pattern` in stdout or stderr. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Sends `signal` and resolves once the process has exited. */
  stop(signal?: NodeJS.Signals): Promise<CliResult>;
  exited: Promise<CliResult>;
}

// Outside the project folder, so no .data/credentials.json is picked up by accident.
const cwd = mkdtempSync(path.join(tmpdir(), 'webhookctl-test-'));

function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('WEBHOOKCTL_')));
  return { ...base, NO_COLOR: '1', ...env };
}

export function startCli(args: string[], env: Record<string, string> = {}, input?: string): RunningCli {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, env: childEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const watchers: { pattern: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];
  const check = () => {
    for (const w of [...watchers]) {
      const match = stdout.match(w.pattern) ?? stderr.match(w.pattern);
      if (match) {
        watchers.splice(watchers.indexOf(w), 1);
        w.resolve(match);
      }
    }
  };
  child.stdout!.on('data', (c: Buffer) => {
    stdout += c.toString('utf8');
    check();
  });
  child.stderr!.on('data', (c: Buffer) => {
    stderr += c.toString('utf8');
    check();
  });
  child.stdin!.end(input ?? '');
  const exited = new Promise<CliResult>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return {
    child,
    exited,
    output: () => ({ stdout, stderr }),
    waitFor(pattern, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${pattern} within ${timeoutMs} ms; stdout:\n${stdout}\nstderr:\n${stderr}`)), timeoutMs);
        watchers.push({
          pattern,
          resolve: (m) => {
            clearTimeout(timer);
            resolve(m);
          },
        });
        check();
        void exited.then(() => setTimeout(() => reject(new Error(`exited before ${pattern}; stdout:\n${stdout}\nstderr:\n${stderr}`)), 50));
      });
    },
    async stop(signal = 'SIGINT') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Runs webhookctl to completion. */
export function runCli(args: string[], env: Record<string, string> = {}, input?: string): Promise<CliResult> {
  return startCli(args, env, input).exited;
}

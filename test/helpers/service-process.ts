import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { ADMIN_TOKEN, INBOUND_SECRET, eventually } from './harness';

// The production processes (`src/api.ts`, `src/worker-main.ts`) as children of a fault test, so
// the test can SIGKILL or SIGTERM them. Every process started here is killed when the test
// process exits, whatever happened.

const root = path.resolve(__dirname, '../..');

export type ServiceRole = 'api' | 'worker';

export interface ServiceProcess {
  role: ServiceRole;
  pid: number;
  child: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  running(): boolean;
  kill(signal: NodeJS.Signals): void;
  /** Resident set size in bytes, from /proc; null once it has exited. */
  rss(): number | null;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

const live = new Set<ServiceProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const p of live) p.kill('SIGKILL');
  });
}

/** The environment every spawned service shares: loopback targets, quiet logs, no fixed ports. */
export function baseServiceEnv(overrides: Record<string, string>): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    ADMIN_TOKEN,
    WEBHOOK_INBOUND_SECRET: INBOUND_SECRET,
    WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    // Several workers on one machine: no fixed metrics port.
    WORKER_METRICS_PORT: '0',
    TEMPORAL_SDK_METRICS: 'false',
    ...overrides,
  };
}

/** Starts `src/api.ts` or `src/worker-main.ts` with exactly `env`. */
export function spawnService(role: ServiceRole, env: Record<string, string>): ServiceProcess {
  installExitHook();
  const entry = role === 'api' ? 'src/api.ts' : 'src/worker-main.ts';
  const child = spawn(process.execPath, ['--import', 'tsx', entry], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (d: Buffer) => {
    out += d.toString('utf8');
    // Keep the tail only: a chatty process must not eat the test's memory.
    if (out.length > 200_000) out = out.slice(-100_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const proc: ServiceProcess = {
    role,
    pid: child.pid!,
    child,
    output: () => out,
    exited,
    running: () => child.exitCode === null && child.signalCode === null,
    kill(signal) {
      if (proc.running()) child.kill(signal);
    },
    rss() {
      if (!proc.running()) return null;
      try {
        const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${proc.pid}/status`, 'utf8'));
        return m ? Number(m[1]) * 1024 : null;
      } catch {
        return null;
      }
    },
    async stop(graceMs = 15_000) {
      if (!proc.running()) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  void exited.then(() => live.delete(proc));
  live.add(proc);
  return proc;
}

/** SIGKILLs every service this process started and waits for them to go. */
export async function killAllServices(): Promise<void> {
  const all = [...live];
  for (const p of all) p.kill('SIGKILL');
  await Promise.all(all.map((p) => p.exited));
}

/** Resolves once the worker process `proc` polls both the workflow and the activity task queue. */
/** After a fault test: kills its service processes, then closes what it opened, in order, whatever fails. */
export async function tearDown(...closers: (() => unknown)[]): Promise<void> {
  await killAllServices();
  for (const close of closers) {
    try {
      await close();
    } catch {
      // Already down: a fault test stops things on purpose.
    }
  }
}

export async function waitForWorker(client: Client, taskQueue: string, proc: ServiceProcess, timeoutMs = 90_000): Promise<void> {
  const identity = `${proc.pid}@`;
  await eventually(
    async () => {
      if (!proc.running()) throw new Error(`the worker exited before it polled:\n${proc.output()}`);
      // TASK_QUEUE_TYPE_WORKFLOW and TASK_QUEUE_TYPE_ACTIVITY.
      for (const taskQueueType of [1, 2]) {
        const res = await client.workflowService.describeTaskQueue({ namespace: client.options.namespace, taskQueue: { name: taskQueue }, taskQueueType });
        if (!res.pollers?.some((p) => p.identity?.startsWith(identity))) return false;
      }
      return true;
    },
    timeoutMs,
    250,
  ).catch((err: Error) => {
    throw new Error(`${err.message}\nworker output:\n${proc.output()}`);
  });
}

/** Resolves once the api process answers /health with 200. */
export async function waitForApi(baseUrl: string, proc: ServiceProcess, timeoutMs = 90_000): Promise<void> {
  await eventually(
    async () => {
      if (!proc.running()) throw new Error(`the api exited before it was ready:\n${proc.output()}`);
      const res = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(2_000) });
      return res.status === 200;
    },
    timeoutMs,
    250,
  ).catch((err: Error) => {
    throw new Error(`${err.message}\napi output:\n${proc.output()}`);
  });
}

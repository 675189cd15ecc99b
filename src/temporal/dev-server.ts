import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { SEARCH_ATTRIBUTES } from './search-attributes';

export interface DevServerOptions {
  cliPath: string;
  /** SQLite file that keeps workflows across restarts; in memory when absent. */
  dbFile?: string;
  ip?: string;
  port?: number;
  /** The Web UI's port; no UI when null. */
  uiPort?: number | null;
  namespace?: string;
  log?: (line: string) => void;
}

export interface DevServer {
  address: string;
  uiUrl: string | null;
  process: ChildProcess;
  stop(): Promise<void>;
}

export const DEV_SERVER_DYNAMIC_CONFIG = [
  'system.enableActivityEagerExecution=true',
  'matching.numTaskqueueReadPartitions=1',
  'matching.numTaskqueueWritePartitions=1',
];

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts `temporal server start-dev` as a child process with the custom search attributes
 * registered, and resolves once it accepts connections.
 */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const ip = options.ip ?? '127.0.0.1';
  const port = options.port ?? (await freePort(ip));
  const uiPort = options.uiPort === undefined ? await freePort(ip) : options.uiPort;
  const args = ['server', 'start-dev', '--ip', ip, '--port', String(port), '--log-level', 'error'];
  if (options.dbFile) args.push('--db-filename', options.dbFile);
  if (uiPort === null) args.push('--headless');
  else args.push('--ui-port', String(uiPort));
  if (options.namespace && options.namespace !== 'default') args.push('--namespace', options.namespace);
  for (const sa of SEARCH_ATTRIBUTES) args.push('--search-attribute', `${sa.name}=${sa.type}`);
  // Cheaper delivery workflows: an activity scheduled by a workflow task is handed back with the
  // task's completion (eager execution) instead of a round trip through the task queue, and one
  // task-queue partition keeps a lone worker's polls from missing tasks parked on another.
  for (const value of DEV_SERVER_DYNAMIC_CONFIG) args.push('--dynamic-config-value', value);

  const child = spawn(options.cliPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const log = options.log ?? (() => undefined);
  child.stdout?.on('data', (d) => log(String(d)));
  child.stderr?.on('data', (d) => log(String(d)));

  const address = `${ip}:${port}`;
  await waitForPort(ip, port, child, 60_000);
  let stopped: Promise<void> | null = null;
  return {
    address,
    uiUrl: uiPort === null ? null : `http://${ip}:${uiPort}`,
    process: child,
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        child.kill('SIGTERM');
      });
      return stopped;
    },
  };
}

async function waitForPort(host: string, port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const { connect } = await import('node:net');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`temporal server exited with code ${child.exitCode} before it was ready`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, host);
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`temporal server did not listen on ${host}:${port} within ${timeoutMs} ms`);
}

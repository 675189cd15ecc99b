import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { freePort } from '../../src/temporal/dev-server';
import type { TemporalConnectionOptions } from '../../src/temporal/connection-options';
import { SEARCH_ATTRIBUTES } from '../../src/temporal/search-attributes';
import { startPostgres, type PostgresServer } from '../helpers/postgres-server';

// The real Temporal server (go.temporal.io/server, built from source by
// scripts/install-temporal-server.sh), as an ops team runs it: PostgreSQL persistence and
// visibility on a cluster of its own, several history shards, the namespace created and the
// custom search attributes registered through the frontend. Optionally with mTLS on the frontend.

const root = path.resolve(__dirname, '../..');

export interface ServerTlsFiles {
  caFile: string;
  serverCertFile: string;
  serverKeyFile: string;
  /** A client certificate the server trusts: its own system worker connects with it. */
  clientCertFile: string;
  clientKeyFile: string;
  /** The name in the server certificate. */
  serverName: string;
}

export interface RealTemporalServerOptions {
  /** History shards (fixed for the life of a cluster); at least 4 here, to exercise shard routing. */
  shards?: number;
  namespace?: string;
  /** mTLS on the frontend: clients must present a certificate signed by `caFile`. */
  tls?: ServerTlsFiles;
  /** How the test's own client connects (the same options the app would use). */
  connection?: TemporalConnectionOptions;
  /** Reuse this PostgreSQL cluster (databases `temporal` and `temporal_visibility`); else one of its own. */
  pg?: PostgresServer;
}

export interface RealTemporalServer {
  address: string;
  namespace: string;
  shards: number;
  /** The PostgreSQL cluster holding the `temporal` and `temporal_visibility` databases. */
  pg: PostgresServer;
  version: string;
  /** Seconds the first build took (from the install script's record), or null if unknown. */
  buildSeconds: number | null;
  /** Seconds from spawning the server to a ready namespace with its search attributes. */
  startSeconds: number;
  process: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** Builds (once; cached) and locates the server and the SQL tool. */
export function installTemporalServer(): { bin: string; version: string; buildSeconds: number | null } {
  const bin = execFileSync('bash', [path.join(root, 'scripts/install-temporal-server.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 30 * 60_000 }).trim();
  const dir = path.dirname(bin);
  let buildSeconds: number | null = null;
  try {
    buildSeconds = Number(readFileSync(path.join(dir, 'build-seconds'), 'utf8').trim()) || null;
  } catch {
    /* built before the script recorded it */
  }
  return { bin, version: path.basename(dir), buildSeconds };
}

function sqlTool(bin: string, pg: PostgresServer, database: string, args: string[]): void {
  const res = spawnSync(
    path.join(bin, 'sql'),
    ['--plugin', 'postgres12', '--ep', '127.0.0.1', '--port', String(pg.port), '--user', 'postgres', '--password', '', '--db', database, ...args],
    { encoding: 'utf8' },
  );
  if (res.status !== 0) throw new Error(`temporal sql tool ${args.join(' ')} on ${database} failed:\n${res.stdout}\n${res.stderr}`);
}

/** Creates the two databases and brings both schemas to the version this server needs. */
export function setupSchemas(bin: string, pg: PostgresServer): void {
  for (const [database, schema] of [
    ['temporal', 'postgresql/v12/temporal'],
    ['temporal_visibility', 'postgresql/v12/visibility'],
  ] as const) {
    sqlTool(bin, pg, database, ['create-database']);
    sqlTool(bin, pg, database, ['setup-schema', '-v', '0.0']);
    sqlTool(bin, pg, database, ['update-schema', '--schema-name', schema]);
  }
}

/**
 * A free port below 32768: the server stores membership ports in a PostgreSQL smallint
 * (cluster_membership.rpc_port), so an ephemeral port from the OS makes it exit at start.
 */
async function freeMembershipPort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error('no free port below 32768');
}

interface Ports {
  frontend: number;
  frontendHttp: number;
  frontendMembership: number;
  history: number;
  historyMembership: number;
  matching: number;
  matchingMembership: number;
  worker: number;
  workerMembership: number;
}

/** The server's static configuration (see config/development-postgres12.yaml in the server's source). */
export function serverConfigYaml(o: { pg: PostgresServer; shards: number; ports: Ports; dynamicConfigFile: string; tls?: ServerTlsFiles }): string {
  const store = (database: string, maxConns: number) => `      sql:
        pluginName: "postgres12"
        databaseName: "${database}"
        connectAddr: "127.0.0.1:${o.pg.port}"
        connectProtocol: "tcp"
        user: "postgres"
        password: ""
        maxConns: ${maxConns}
        maxIdleConns: ${maxConns}
        maxConnLifetime: "1h"`;
  const service = (grpc: number, membership: number, http?: number) => `    rpc:
      grpcPort: ${grpc}
      membershipPort: ${membership}
      bindOnLocalHost: true${http ? `\n      httpPort: ${http}` : ''}`;
  const tls = o.tls
    ? `  tls:
    frontend:
      server:
        certFile: "${o.tls.serverCertFile}"
        keyFile: "${o.tls.serverKeyFile}"
        requireClientAuth: true
        clientCaFiles: ["${o.tls.caFile}"]
      client:
        serverName: "${o.tls.serverName}"
        rootCaFiles: ["${o.tls.caFile}"]
    systemWorker:
      certFile: "${o.tls.clientCertFile}"
      keyFile: "${o.tls.clientKeyFile}"
      client:
        serverName: "${o.tls.serverName}"
        rootCaFiles: ["${o.tls.caFile}"]
`
    : '';
  return `log:
  stdout: true
  level: warn
persistence:
  defaultStore: postgres-default
  visibilityStore: postgres-visibility
  numHistoryShards: ${o.shards}
  datastores:
    postgres-default:
${store('temporal', 20)}
    postgres-visibility:
${store('temporal_visibility', 10)}
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: "127.0.0.1"
${tls}services:
  frontend:
${service(o.ports.frontend, o.ports.frontendMembership, o.ports.frontendHttp)}
  history:
${service(o.ports.history, o.ports.historyMembership)}
  matching:
${service(o.ports.matching, o.ports.matchingMembership)}
  worker:
${service(o.ports.worker, o.ports.workerMembership)}
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: "active"
  currentClusterName: "active"
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: "frontend"
      rpcAddress: "127.0.0.1:${o.ports.frontend}"
dcRedirectionPolicy:
  policy: "noop"
dynamicConfigClient:
  filepath: "${o.dynamicConfigFile}"
  pollInterval: "10s"
`;
}

// New namespaces and search attributes are seen at once rather than after a cache refresh.
const DYNAMIC_CONFIG = `system.forceSearchAttributesCacheRefreshOnRead:
  - value: true
system.namespaceCacheRefreshInterval:
  - value: 1s
limit.maxIDLength:
  - value: 255
`;

// temporal.api.enums.v1.IndexedValueType: INDEXED_VALUE_TYPE_KEYWORD = 2, INDEXED_VALUE_TYPE_INT = 3.
const INDEXED: Record<'Keyword' | 'Int', number> = { Keyword: 2, Int: 3 };

/** Registers the namespace and hookyard's search attributes, as an operator would once per cluster. */
export async function registerNamespace(connection: Connection, namespace: string): Promise<void> {
  try {
    await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') });
  } catch (err) {
    if (!/already exists|AlreadyExists/i.test((err as Error).message)) throw err;
  }
  const wanted = Object.fromEntries(SEARCH_ATTRIBUTES.map((sa) => [sa.name, INDEXED[sa.type]]));
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const have = await connection.operatorService.listSearchAttributes({ namespace });
      const missing = Object.fromEntries(Object.entries(wanted).filter(([name]) => !have.customAttributes?.[name]));
      if (Object.keys(missing).length === 0) return;
      await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
    } catch (err) {
      // The namespace is not in every service's cache yet.
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

async function connectWhenUp(address: string, connection: TemporalConnectionOptions, child: ChildProcess, output: () => string, timeoutMs: number): Promise<Connection> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the Temporal server exited (${child.exitCode ?? child.signalCode}):\n${output().slice(-4000)}`);
    try {
      const conn = await Connection.connect({ ...connection, address, connectTimeout: 2_000 });
      await conn.workflowService.getSystemInfo({});
      return conn;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`the Temporal server did not answer within ${timeoutMs} ms: ${(err as Error).message}\n${output().slice(-4000)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

export async function startRealTemporalServer(options: RealTemporalServerOptions = {}): Promise<RealTemporalServer> {
  const shards = options.shards ?? 4;
  const namespace = options.namespace ?? 'default';
  const { bin, version, buildSeconds } = installTemporalServer();
  const ownPg = options.pg ? null : await startPostgres();
  const pg = options.pg ?? (ownPg as PostgresServer);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hookyard-temporal-'));
  let child: ChildProcess | null = null;
  try {
    setupSchemas(bin, pg);
    const ports: Ports = {
      frontend: await freePort(),
      frontendHttp: await freePort(),
      frontendMembership: await freeMembershipPort(),
      history: await freePort(),
      historyMembership: await freeMembershipPort(),
      matching: await freePort(),
      matchingMembership: await freeMembershipPort(),
      worker: await freePort(),
      workerMembership: await freeMembershipPort(),
    };
    const dynamicConfigFile = path.join(dir, 'dynamic-config.yaml');
    writeFileSync(dynamicConfigFile, DYNAMIC_CONFIG);
    const configFile = path.join(dir, 'temporal.yaml');
    writeFileSync(configFile, serverConfigYaml({ pg, shards, ports, dynamicConfigFile, tls: options.tls }));

    const started = Date.now();
    const proc = spawn(path.join(bin, 'server'), ['--config-file', configFile, '--allow-no-auth', 'start'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    live.add(proc);
    let out = '';
    const keep = (d: Buffer) => {
      out += d.toString('utf8');
      if (out.length > 200_000) out = out.slice(-100_000);
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    const address = `127.0.0.1:${ports.frontend}`;
    const conn = await connectWhenUp(address, options.connection ?? {}, proc, () => out, 120_000);
    try {
      await registerNamespace(conn, namespace);
    } finally {
      await conn.close();
    }
    const startSeconds = (Date.now() - started) / 1000;
    let stopped: Promise<void> | null = null;
    return {
      address,
      namespace,
      shards,
      pg,
      version,
      buildSeconds,
      startSeconds,
      process: proc,
      output: () => out,
      stop() {
        stopped ??= (async () => {
          await stopChild(proc);
          live.delete(proc);
          ownPg?.stop();
          rmSync(dir, { recursive: true, force: true });
        })();
        return stopped;
      },
    };
  } catch (err) {
    if (child) await stopChild(child);
    ownPg?.stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

import { appendFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { CliError } from './cli-error';
import { DEFAULT_TOLERANCE_SECONDS, normalizeHeaders, verifyAll, type HeaderMap, type Verdict } from './signature-versions';

// A local receiver for deliveries: it verifies signatures, answers as told, and counts.

export interface ReceiverBehaviour {
  /** The answer when not failing. */
  status: number;
  latencyMs: number;
  /** The share of requests answered with failStatus, 0..1. */
  failRate: number;
  /** The first N requests are answered with failStatus. */
  failFirst: number;
  failStatus: number;
  /** Seconds for a Retry-After header on every non-2xx answer. */
  retryAfter?: number;
  /** Verify signatures with this secret; unset: no verification. */
  secret?: string;
  toleranceSeconds?: number;
  /** Append each delivery as a JSON line to this file. */
  record?: string;
}

export interface ReceivedDelivery {
  n: number;
  at: string;
  method: string;
  url: string;
  headers: HeaderMap;
  body: string;
  /** null when no secret was given. */
  verdicts: Verdict[] | null;
  status: number;
}

export interface ReceiverCounts {
  received: number;
  verified: number;
  /** Deliveries whose signatures did not verify. */
  failed: number;
  /** Deliveries answered with a non-2xx status. */
  rejected: number;
}

export interface MockReceiver {
  url: string;
  port: number;
  counts: ReceiverCounts;
  behaviour: ReceiverBehaviour;
  close(): Promise<void>;
}

const BODY_LIMIT = 1024 * 1024;

export async function startMockReceiver(options: {
  host: string;
  port: number;
  behaviour: ReceiverBehaviour;
  onDelivery: (delivery: ReceivedDelivery, counts: ReceiverCounts) => void;
}): Promise<MockReceiver> {
  const { behaviour } = options;
  const counts: ReceiverCounts = { received: 0, verified: 0, failed: 0, rejected: 0 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= BODY_LIMIT) chunks.push(chunk);
    });
    req.on('end', () => {
      void (async () => {
        const n = ++counts.received;
        const body = Buffer.concat(chunks).toString('utf8');
        const headers = normalizeHeaders(req.headers);
        const verdicts = behaviour.secret
          ? verifyAll(headers, body, { secret: behaviour.secret }, {
              nowSeconds: Math.floor(Date.now() / 1000),
              toleranceSeconds: behaviour.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS,
            })
          : null;
        if (verdicts) {
          if (verdicts.every((v) => v.ok)) counts.verified++;
          else counts.failed++;
        }
        const failing = n <= behaviour.failFirst || Math.random() < behaviour.failRate;
        const status = size > BODY_LIMIT ? 413 : failing ? behaviour.failStatus : behaviour.status;
        if (status < 200 || status > 299) counts.rejected++;
        const delivery: ReceivedDelivery = { n, at: new Date().toISOString(), method: req.method ?? '', url: req.url ?? '', headers, body, verdicts, status };
        if (behaviour.record) appendFileSync(behaviour.record, `${JSON.stringify(delivery)}\n`);
        options.onDelivery(delivery, { ...counts });
        if (behaviour.latencyMs) await sleep(behaviour.latencyMs);
        if (res.destroyed) return;
        const retryAfter = behaviour.retryAfter !== undefined && (status < 200 || status > 299) ? { 'retry-after': String(behaviour.retryAfter) } : {};
        res.writeHead(status, { 'content-type': 'application/json', ...retryAfter });
        res.end(JSON.stringify({ received: n }));
      })();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new CliError(err.code === 'EADDRINUSE' ? `port ${options.port} is in use; pass --port <another> (0 picks a free one)` : `cannot listen on ${options.host}:${options.port}: ${err.message}`)),
    );
    server.listen(options.port, options.host, resolve);
  });
  const { port } = server.address() as { port: number };
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}/`,
    port,
    counts,
    behaviour,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

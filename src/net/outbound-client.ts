import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { Agent, request } from 'undici';
import { refusalReason, type AddressPolicy } from './address-policy';

/**
 * Thrown when a target resolves to an address the SSRF policy refuses. Never retried. The
 * message goes to attempt logs and dead-letter events, so it never names a resolved address.
 */
export class TargetRefusedError extends Error {
  readonly code = 'ETARGETREFUSED';
  constructor(readonly target: string, readonly reason: string) {
    super(`refused to connect to ${target}: ${reason}`);
  }
}

/** What the SSRF guard refused, for the process log only: it names the resolved addresses. */
export interface RefusedTarget {
  host: string;
  addresses: string[];
  reason: string;
}

const RESOLVED_REFUSED = 'it resolves only to addresses the SSRF policy refuses (loopback, private, link-local, metadata or reserved)';

export interface OutboundResponse {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  /** At most the first `maxBodyBytes` of the body, as text the database can store. */
  body: string;
}

export interface OutboundRequest {
  url: string;
  body: string;
  headers: Record<string, string>;
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface OutboundClient {
  post(req: OutboundRequest): Promise<OutboundResponse>;
  close(): Promise<void>;
}

export const MAX_LOGGED_BODY_BYTES = 64 * 1024;

/**
 * A DNS lookup that drops refused addresses, so the check happens at connect time and a name
 * that rebinds to a private address between check and use is still refused.
 */
export function guardedLookup(policy: AddressPolicy, onRefused: (refused: RefusedTarget) => void = () => undefined): LookupFunction {
  return ((hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err);
      const allowed = addresses.filter((a) => refusalReason(policy, a.address) === null);
      if (allowed.length === 0) {
        onRefused({ host: hostname, addresses: addresses.map((a) => a.address), reason: refusalReason(policy, addresses[0]?.address ?? '') ?? 'no address' });
        return callback(new TargetRefusedError(hostname, RESOLVED_REFUSED));
      }
      if (options.all) return callback(null, allowed);
      callback(null, allowed[0].address, allowed[0].family);
    });
  }) as LookupFunction;
}

/**
 * Pooled keep-alive HTTP client for deliveries, with the SSRF guard in its connector.
 * `onRefused` hears the resolved addresses of a refused name (log them; never store them).
 */
export function createOutboundClient(policy: AddressPolicy, connections = 32, onRefused?: (refused: RefusedTarget) => void): OutboundClient {
  const agent = new Agent({
    connections,
    keepAliveTimeout: 30_000,
    pipelining: 1,
    connect: { lookup: guardedLookup(policy, onRefused) },
  });

  return {
    async post({ url, body, headers, timeoutMs, signal }) {
      const target = new URL(url);
      const host = target.hostname.replace(/^\[|\]$/g, '');
      // IP literals skip DNS, so they are checked here.
      if (isIP(host)) {
        const reason = refusalReason(policy, host);
        if (reason) throw new TargetRefusedError(target.host, reason);
      }
      // The timeout bounds the whole attempt, the body included: a receiver dripping a byte at a
      // time must not hold a delivery slot. Not AbortSignal.timeout(): combined with
      // AbortSignal.any it is only weakly held, and a garbage collection mid-request cancels it.
      const deadline = new AbortController();
      const timer = setTimeout(() => deadline.abort(new DOMException(`the attempt took over ${timeoutMs} ms`, 'TimeoutError')), timeoutMs);
      try {
        const res = await request(target, {
          method: 'POST',
          body,
          headers,
          dispatcher: agent,
          signal: signal ? AbortSignal.any([signal, deadline.signal]) : deadline.signal,
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
        });
        return {
          statusCode: res.statusCode,
          headers: res.headers,
          body: await readCapped(res.body, MAX_LOGGED_BODY_BYTES),
        };
      } finally {
        clearTimeout(timer);
      }
    },
    close: () => agent.close(),
  };
}

async function readCapped(stream: AsyncIterable<Buffer> & { destroy(): void }, max: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= max) {
      stream.destroy();
      break;
    }
  }
  // Logged as text: a NUL, which PostgreSQL cannot store, becomes U+FFFD like any undecodable byte.
  return Buffer.concat(chunks).subarray(0, max).toString('utf8').replace(/\u0000/g, '\ufffd');
}

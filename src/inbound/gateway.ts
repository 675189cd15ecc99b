import type { IncomingHttpHeaders } from 'node:http';
import { HttpError } from '../errors';
import type { Dispatcher } from '../events/dispatcher';
import { checkClockSkew } from './clock-skew';
import { checkedOrderingKey } from '../domain/ordering-key';
import { resolveJsonPointer } from '../domain/json-pointer';
import { GENERIC_ORDERING_KEY_POINTER, type InboundSource } from './inbound-source';
import { parseJsonObject } from './json-body';
import type { InboundRateLimiter } from './rate-limiter';

export interface GatewayDeps {
  dispatcher: Pick<Dispatcher, 'dispatch' | 'waitForResult'>;
  rateLimiter: InboundRateLimiter;
  /** The longest `Prefer: wait=` honoured, in seconds. */
  maxWaitSeconds: number;
  now?: () => number;
}

export interface InboundCall {
  source: InboundSource;
  headers: IncomingHttpHeaders;
  raw: Buffer;
  /** The client address, from X-Forwarded-For only behind a trusted proxy. */
  ip: string;
}

export type GatewayAnswer =
  | { status: 'duplicate'; event_id: string; workflow_id: string }
  | { status: 'received' | 'processed'; event: string; event_id: string; workflow_id: string; received_at: number; deliveries?: unknown };

/**
 * Judges a POST whose method, media type and size already passed, in the order of SPEC S3:
 * body, whitelist, clock skew, signature, rate limit; then records the event and starts its workflow.
 */
export function createGateway({ dispatcher, rateLimiter, maxWaitSeconds, now = () => Date.now() }: GatewayDeps) {
  return {
    async accept({ source, headers, raw, ip }: InboundCall): Promise<GatewayAnswer> {
      const request = { headers, raw, body: parseJsonObject(raw) };
      const event = source.verifier.read(request);
      const orderingKey = orderingKeyOf(request.body, source.orderingKeyPointer);

      if (!source.whitelist.allows(ip)) {
        throw new HttpError(403, 'ip_not_whitelisted', `client address ${ip} is not in the whitelist of source "${source.name}"`);
      }
      if (event.signedAt !== null) checkClockSkew(event.signedAt, Math.floor(now() / 1000), source.maxClockSkewSeconds);
      if (source.validateSignature) source.verifier.verify(request, source.secrets);
      await rateLimiter.consume(`${source.name}\u0000${ip}`);

      const result = await dispatcher.dispatch({
        source: source.name,
        type: event.type,
        externalId: event.externalId,
        occurredAt: event.occurredAt ?? undefined,
        data: event.data,
        agentId: event.agentId,
        ...(orderingKey !== null ? { orderingKey } : {}),
      });
      if (result.status === 'duplicate') {
        return { status: 'duplicate', event_id: result.event.id, workflow_id: result.workflowId };
      }
      const answer = {
        status: 'received' as const,
        event: event.type,
        event_id: result.event.id,
        workflow_id: result.workflowId,
        received_at: Math.floor(result.event.receivedAt.getTime() / 1000),
      };
      const wait = preferWait(headers, maxWaitSeconds);
      if (wait > 0) {
        const outcome = await dispatcher.waitForResult(result.workflowId, wait * 1000);
        if (outcome) return { ...answer, status: 'processed', deliveries: outcome.deliveries };
      }
      return answer;
    },
  };
}

export type Gateway = ReturnType<typeof createGateway>;

/**
 * The ordering key at `pointer` in the body: absent or null leaves the event unkeyed; a number
 * counts as its decimal text; anything else must follow the key rule (400 naming the pointer).
 */
export function orderingKeyOf(body: Record<string, unknown>, pointer: string | null): string | null {
  if (pointer === null) return null;
  const value = resolveJsonPointer(body, pointer);
  return checkedOrderingKey(typeof value === 'number' && Number.isFinite(value) ? String(value) : value, pointer === GENERIC_ORDERING_KEY_POINTER ? 'ordering_key' : `the ordering key at ${pointer}`);
}

/** `Prefer: wait=<seconds>` (RFC 7240), capped at `max`. */
export function preferWait(headers: IncomingHttpHeaders, max: number): number {
  const prefer = headers.prefer;
  const m = /(?:^|[,;\s])wait=(\d+)/i.exec(Array.isArray(prefer) ? prefer.join(',') : (prefer ?? ''));
  return m ? Math.min(Number(m[1]), max) : 0;
}

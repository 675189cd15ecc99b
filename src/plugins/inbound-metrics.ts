import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DEFAULT_SOURCE } from '../inbound/inbound-source';
import type { Metrics } from '../metrics/metrics';

/** The `source` label of answers for a source that does not exist: never a valid source name. */
export const UNKNOWN_SOURCE_LABEL = '(unknown)';

/**
 * Counts every answer of the inbound routes registered in the same scope in
 * `webhook_inbound_requests_total{source,outcome}`. The outcome is the answer's error code, or its
 * status (`received`, `duplicate`; `processed` counts as `received`); the Meta handshake is
 * `challenge`. Hooks rather than calls in the gateway, so the answers given before the gateway
 * runs (405, 415, 413, unknown source) and the dispatcher's 503s are counted too.
 */
export function countInboundAnswers(app: FastifyInstance, metrics: Pick<Metrics, 'inboundAnswered'>): void {
  const outcomes = new WeakMap<FastifyRequest, string>();

  // Every JSON answer, the error handler's included, passes here as an object.
  app.addHook('preSerialization', async (request, _reply, payload) => {
    const body = payload as { error?: unknown; status?: unknown } | null;
    const outcome = typeof body?.error === 'string' ? body.error : typeof body?.status === 'string' ? body.status : undefined;
    if (outcome) outcomes.set(request, outcome === 'processed' ? 'received' : outcome);
    return payload;
  });

  app.addHook('onResponse', async (request, reply) => {
    const outcome = outcomes.get(request) ?? (reply.statusCode < 300 ? 'challenge' : `http_${reply.statusCode}`);
    // An unknown name would let any caller mint a series: it is folded into one label.
    const named = (request.params as { source?: string } | undefined)?.source;
    const source = outcome === 'unknown_source' ? UNKNOWN_SOURCE_LABEL : (named ?? DEFAULT_SOURCE);
    metrics.inboundAnswered({ source, outcome });
  });
}

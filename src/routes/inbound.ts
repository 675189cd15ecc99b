import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError, orUnavailable } from '../errors';
import type { Gateway } from '../inbound/gateway';
import type { InboundSource } from '../inbound/inbound-source';
import { answerMetaChallenge } from '../inbound/verifiers';

export interface InboundOptions {
  path: string;
  bodyLimit: number;
  gateway: Gateway;
  /** The source of the unnamed path: the generic scheme with the WEBHOOK_* settings. */
  defaultSource: InboundSource;
  /** The active named source, or undefined. */
  findSource(name: string): Promise<InboundSource | undefined>;
}

const METHODS = ['GET', 'HEAD', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'POST'];
const JSON_TYPE = /^application\/([\w.+-]+\+)?json\s*(;|$)/i;
const SOURCE_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const SOURCE_LOOKUP_TIMEOUT_MS = 5_000;

/**
 * The public inbound gateway: `POST <path>` for the generic scheme and `POST <path>/:source` for
 * the named sources, plus `GET <path>/:source` for the Meta handshake. Method, media type and size
 * are checked here; the rest of SPEC S3's order lives in the gateway.
 */
export default async function inboundRoutes(app: FastifyInstance, opts: InboundOptions) {
  // Keep the raw bytes: the signature covers them, never a re-serialization.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: opts.bodyLimit }, (_req, body, done) => done(null, body));

  const base = opts.path.replace(/\/+$/, '');
  const lookup = async (request: FastifyRequest): Promise<InboundSource> => {
    const name = (request.params as { source?: string }).source ?? '';
    // A database that is away answers 503 quickly, not a 500 or a wait for its reconnection.
    const source = SOURCE_NAME.test(name) ? await orUnavailable(opts.findSource(name), SOURCE_LOOKUP_TIMEOUT_MS, 'the source store is unavailable; retry the request') : undefined;
    if (!source) throw new HttpError(404, 'unknown_source', `no active inbound source is named "${name}"; create it with POST /admin/api/sources`);
    return source;
  };

  const accept = async (request: FastifyRequest, reply: FastifyReply, source: InboundSource) => {
    checkMethodAndType(request, source);
    const answer = await opts.gateway.accept({
      source,
      headers: request.headers,
      raw: (request.body as Buffer | undefined) ?? Buffer.alloc(0),
      ip: request.ip,
    });
    return reply.code(200).send(answer);
  };

  // Fastify reads the body before the handler runs; keep the documented order for bodies it
  // refuses too: source, method, media type, then size.
  const onBodyError = (resolve: (request: FastifyRequest) => Promise<InboundSource>) => async (err: FastifyError, request: FastifyRequest) => {
    if (!(err instanceof HttpError) && err.code?.startsWith('FST_ERR_CTP_')) {
      checkMethodAndType(request, await resolve(request));
      if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
        throw new HttpError(413, 'payload_too_large', `the body is over the ${opts.bodyLimit}-byte limit`);
      }
    }
    throw err;
  };

  app.route({
    method: METHODS,
    url: base || '/',
    bodyLimit: opts.bodyLimit,
    errorHandler: onBodyError(async () => opts.defaultSource),
    handler: (request, reply) => accept(request, reply, opts.defaultSource),
  });

  app.route({
    method: METHODS,
    url: `${base}/:source`,
    bodyLimit: opts.bodyLimit,
    errorHandler: onBodyError(lookup),
    handler: async (request, reply) => {
      const source = await lookup(request);
      if (request.method === 'GET' && source.verifier.name === 'meta') {
        if (!source.whitelist.allows(request.ip)) {
          throw new HttpError(403, 'ip_not_whitelisted', `client address ${request.ip} is not in the whitelist of source "${source.name}"`);
        }
        const challenge = answerMetaChallenge(request.query as Record<string, unknown>, source.verifyToken);
        return reply.code(200).type('text/plain; charset=utf-8').header('x-content-type-options', 'nosniff').send(challenge);
      }
      return accept(request, reply, source);
    },
  });
}

function checkMethodAndType(request: FastifyRequest, source: InboundSource): void {
  if (request.method !== 'POST') {
    const allow = source.verifier.name === 'meta' ? 'GET, POST' : 'POST';
    throw new HttpError(405, 'method_not_allowed', `use POST, not ${request.method}`, undefined, { allow });
  }
  const type = request.headers['content-type'] ?? '';
  if (!JSON_TYPE.test(type)) {
    throw new HttpError(415, 'unsupported_media_type', `Content-Type must be application/json, not "${type || '(none)'}"`);
  }
}

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpError } from '../errors';
import type { Dispatcher } from '../events/dispatcher';
import { parseEnvelope } from '../inbound/envelope';
import type { IpWhitelist } from '../inbound/ip-whitelist';
import { verifyV1 } from '../domain/signature';

export interface InboundOptions {
  path: string;
  bodyLimit: number;
  maxClockSkewSeconds: number;
  validateSignature: boolean;
  secrets: string[];
  whitelist: IpWhitelist;
  dispatcher: Dispatcher;
  /** Longest `Prefer: wait=` honoured, in seconds. */
  maxWaitSeconds?: number;
}

const JSON_TYPE = /^application\/([\w.+-]+\+)?json\s*(;|$)/i;

/** The public inbound gateway: `POST <path>`. Checks run in the order of SPEC S3. */
export default async function inboundRoutes(app: FastifyInstance, opts: InboundOptions) {
  // Keep the raw bytes: the signature covers them, never a re-serialization.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: opts.bodyLimit }, (_req, body, done) => done(null, body));

  app.route({
    method: ['GET', 'HEAD', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'POST'],
    url: opts.path,
    bodyLimit: opts.bodyLimit,
    errorHandler: (err, request) => {
      // Fastify reads the body before the handler runs; keep the documented order for
      // over-limit bodies too: method, then media type, then size.
      if ((err as { code?: string }).code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
        checkMethodAndType(request);
        throw new HttpError(413, 'payload_too_large', `the body is over the ${opts.bodyLimit}-byte limit`);
      }
      throw err;
    },
    handler: async (request, reply) => {
      checkMethodAndType(request);
      const raw = (request.body as Buffer | undefined) ?? Buffer.alloc(0);
      const { envelope, json } = parseEnvelope(raw);

      if (!opts.whitelist.allows(request.ip)) {
        throw new HttpError(403, 'ip_not_whitelisted', `client address ${request.ip} is not in the whitelist`);
      }
      const now = Math.floor(Date.now() / 1000);
      if (Math.abs(now - envelope.timestamp) > opts.maxClockSkewSeconds) {
        throw new HttpError(
          422,
          'invalid_timestamp',
          `"timestamp" ${envelope.timestamp} is ${now - envelope.timestamp} s from the server clock (${now}); the limit is ±${opts.maxClockSkewSeconds} s`,
        );
      }
      if (opts.validateSignature) {
        const header = headerValue(request, 'x-signature') ?? headerValue(request, 'x-agent-signature');
        if (!header) {
          const inBody = typeof json.signature === 'string';
          throw new HttpError(
            401,
            'missing_signature',
            inBody
              ? 'a signature inside the body cannot sign that body; send it in the X-Signature header as sha256=<hex HMAC-SHA256 of the raw body>'
              : 'send X-Signature (or X-Agent-Signature): sha256=<hex HMAC-SHA256 of the raw body>',
          );
        }
        if (!verifyV1(raw, header, opts.secrets)) {
          throw new HttpError(401, 'invalid_signature', 'the signature does not match the body; sign the exact raw bytes with the shared secret');
        }
      }

      const result = await opts.dispatcher.dispatch({
        source: 'default',
        type: envelope.event,
        externalId: envelope.id,
        occurredAt: new Date(envelope.timestamp * 1000),
        data: envelope.data,
        agentId: headerValue(request, 'x-agent-id') ?? null,
      });
      if (result.status === 'duplicate') {
        return reply.code(200).send({ status: 'duplicate', event_id: result.event.id, workflow_id: result.workflowId });
      }
      const answer = {
        status: 'received',
        event: envelope.event,
        event_id: result.event.id,
        workflow_id: result.workflowId,
        received_at: Math.floor(result.event.receivedAt.getTime() / 1000),
      };
      const wait = preferWait(request, opts.maxWaitSeconds ?? 30);
      if (wait > 0) {
        const outcome = await opts.dispatcher.waitForResult(result.workflowId, wait * 1000);
        if (outcome) return reply.code(200).send({ ...answer, status: 'processed', deliveries: outcome.deliveries });
      }
      return reply.code(200).send(answer);
    },
  });
}

function checkMethodAndType(request: FastifyRequest): void {
  if (request.method !== 'POST') {
    throw new HttpError(405, 'method_not_allowed', `use POST, not ${request.method}`, undefined, { allow: 'POST' });
  }
  const type = request.headers['content-type'] ?? '';
  if (!JSON_TYPE.test(type)) {
    throw new HttpError(415, 'unsupported_media_type', `Content-Type must be application/json, not "${type || '(none)'}"`);
  }
}

function headerValue(request: FastifyRequest, name: string): string | undefined {
  const v = request.headers[name];
  const value = Array.isArray(v) ? v[0] : v;
  return value && value.trim() ? value : undefined;
}

/** `Prefer: wait=<seconds>` (RFC 7240), capped. */
function preferWait(request: FastifyRequest, max: number): number {
  const m = /(?:^|[,;\s])wait=(\d+)/i.exec(headerValue(request, 'prefer') ?? '');
  return m ? Math.min(Number(m[1]), max) : 0;
}

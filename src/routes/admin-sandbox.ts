import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { signV1 } from '../domain/signature';
import { HttpError } from '../errors';

export interface SandboxRouteOptions {
  /** The generic inbound path, or null when the inbound gateway is off. */
  inboundPath: string | null;
  /** The inbound HMAC secret the sandbox signs with; it never leaves the server. */
  secret: string | undefined;
  /** Milliseconds since the epoch, for the body's timestamp. */
  now?: () => number;
}

const sandboxBody = z.object({
  event: z.string().trim().min(1, 'must name the event').max(200),
  data: z.union([z.record(z.string(), z.unknown()), z.array(z.unknown())]).optional(),
  id: z.string().min(1).max(200).optional(),
});

/**
 * The admin UI's sandbox: signs a generic event with the inbound secret on the server (so the
 * browser never holds it) and sends it through the inbound gateway, checks and all. The answer
 * is the gateway's, with the body that was sent.
 */
export default async function adminSandboxRoutes(app: FastifyInstance, opts: SandboxRouteOptions) {
  const now = opts.now ?? Date.now;
  app.post(
    '/sandbox/send',
    { schema: { body: sandboxBody, summary: 'Sign an event with the inbound secret and send it through the inbound gateway', tags: ['sandbox'] } },
    async (request) => {
      const input = request.body as z.output<typeof sandboxBody>;
      if (!opts.inboundPath) throw new HttpError(409, 'inbound_disabled', 'the inbound gateway is off (WEBHOOK_INBOUND_ENABLED=false)');
      const body = JSON.stringify({ event: input.event, ...(input.id ? { id: input.id } : {}), timestamp: Math.floor(now() / 1000), data: input.data ?? {} });
      const res = await app.inject({
        method: 'POST',
        url: opts.inboundPath,
        payload: body,
        // Without a secret (WEBHOOK_VALIDATE_SIGNATURE=false) the body goes unsigned.
        headers: { 'content-type': 'application/json', ...(opts.secret ? { 'x-signature': signV1(body, opts.secret) } : {}) },
      });
      let answer: unknown = res.body;
      try {
        answer = res.json();
      } catch {
        // Not JSON: keep the text.
      }
      return { status: res.statusCode, response: answer, body };
    },
  );
}

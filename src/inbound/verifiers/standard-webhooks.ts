import { createHmac } from 'node:crypto';
import { safeEqual, standardWebhooksKey } from '../../domain/signature';
import { badRequest, headerValue, invalidSignature, missingSignature, senderEventType, unixSeconds, type InboundRequest, type Verifier } from './verifier';

/**
 * Standard Webhooks (OpenAI, Svix and others): `webhook-id`, `webhook-timestamp` and
 * `webhook-signature: v1,<base64>` (space-separated during a rotation) over `id.timestamp.body`,
 * keyed with the base64 bytes of a `whsec_` secret. The type is the body's `type`.
 */
export const standardWebhooksVerifier: Verifier = {
  name: 'standard-webhooks',

  read({ headers, body }) {
    const type = senderEventType(body.type, '"type"');
    const timestamp = unixSeconds(headerValue(headers, 'webhook-timestamp'));
    if (timestamp === null) throw badRequest('invalid_timestamp', 'the webhook-timestamp header must be a positive integer of Unix seconds');
    const id = headerValue(headers, 'webhook-id');
    if (!id || id.length > 200) throw badRequest('invalid_id', 'the webhook-id header is missing or longer than 200 characters');
    return { type, externalId: id, occurredAt: new Date(timestamp * 1000), data: body, agentId: null, signedAt: timestamp };
  },

  verify(request, secrets) {
    const header = headerValue(request.headers, 'webhook-signature');
    if (!header) throw missingSignature('send webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">');
    const given = header
      .split(/\s+/)
      .filter((s) => s.startsWith('v1,'))
      .map((s) => s.slice(3));
    let ok = false;
    for (const secret of secrets) {
      const expected = sign(request, secret);
      for (const signature of given) ok = safeEqual(expected, signature) || ok;
    }
    if (!ok) throw invalidSignature('webhook-signature does not match; sign "id.timestamp.body" with the base64 key of the whsec_ secret');
  },
};

function sign({ headers, raw }: InboundRequest, secret: string): string {
  // The raw bytes, not a decoded string: a body that is not UTF-8 must still verify.
  const prefix = `${headerValue(headers, 'webhook-id')}.${headerValue(headers, 'webhook-timestamp')}.`;
  return createHmac('sha256', standardWebhooksKey(secret)).update(prefix).update(raw).digest('base64');
}

import { createHmac } from 'node:crypto';
import { safeEqual } from '../../domain/signature';
import { badRequest, headerValue, invalidSignature, missingSignature, senderEventType, unixSeconds, type Verifier } from './verifier';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * Stripe: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>...]`, the hex HMAC-SHA256 of
 * `t.body` keyed with the endpoint's `whsec_` secret as it is written. The type and the key are
 * the event's own `type` and `id`; `t` is held to the source's clock skew.
 */
export const stripeVerifier: Verifier = {
  name: 'stripe',

  read({ headers, body }) {
    const type = senderEventType(body.type, '"type"');
    if (typeof body.id !== 'string' || body.id === '' || body.id.length > 200) {
      throw badRequest('invalid_id', '"id" must be the Stripe event id (evt_...)');
    }
    const created = typeof body.created === 'number' && Number.isSafeInteger(body.created) && body.created > 0 ? body.created : null;
    return {
      type,
      externalId: body.id,
      occurredAt: created === null ? null : new Date(created * 1000),
      data: body,
      agentId: null,
      signedAt: parseHeader(headers).timestamp,
    };
  },

  verify({ headers, raw }, secrets) {
    if (!headerValue(headers, 'stripe-signature')) throw missingSignature('send Stripe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">');
    const { timestamp, signatures } = parseHeader(headers);
    let ok = false;
    if (timestamp !== null) {
      for (const secret of secrets) {
        const expected = createHmac('sha256', secret).update(`${timestamp}.`).update(raw).digest('hex');
        for (const signature of signatures) ok = safeEqual(expected, signature) || ok;
      }
    }
    if (!ok) throw invalidSignature('Stripe-Signature does not match; check that the source holds this endpoint\'s signing secret');
  },
};

function parseHeader(headers: IncomingHttpHeaders): { timestamp: number | null; signatures: string[] } {
  let timestamp: number | null = null;
  const signatures: string[] = [];
  for (const item of (headerValue(headers, 'stripe-signature') ?? '').split(',')) {
    const [key, value] = item.trim().split('=', 2);
    if (key === 't') timestamp = unixSeconds(value);
    else if (key === 'v1' && value) signatures.push(value);
  }
  return { timestamp, signatures };
}

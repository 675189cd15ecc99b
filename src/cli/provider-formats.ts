import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { SourceVerifier } from '../db/schema';
import { signV1, signV2 } from '../domain/signature';

// Inbound requests as each provider builds and signs them, so `send` exercises the gateway's
// verifiers (src/inbound/verifiers) the way the real senders do.

export interface InboundDraft {
  event: string;
  data?: Record<string, unknown> | unknown[];
  /** The provider's idempotency key; generated when the format needs one. */
  id?: string;
  timestampSeconds: number;
  secret: string;
}

export interface InboundRequest {
  headers: Record<string, string>;
  body: string;
}

type Builder = (draft: InboundDraft) => InboundRequest;

const json = { 'content-type': 'application/json' };

const builders: Record<SourceVerifier, Builder> = {
  generic({ event, data, id, timestampSeconds, secret }) {
    const body = JSON.stringify({ event, timestamp: timestampSeconds, ...(data === undefined ? {} : { data }), ...(id ? { id } : {}) });
    return { body, headers: { ...json, 'x-signature': signV1(body, secret) } };
  },

  github({ event, data, id, secret }) {
    const body = JSON.stringify(data ?? {});
    return {
      body,
      headers: {
        ...json,
        'user-agent': 'GitHub-Hookshot/webhookctl',
        'x-github-event': event,
        'x-github-delivery': id ?? randomUUID(),
        'x-hub-signature-256': signV1(body, secret),
      },
    };
  },

  // `whatsapp_business_account.messages` is the object and the change field, as Meta sends them.
  meta({ event, data, timestampSeconds, secret }) {
    const given = data as { object?: unknown; entry?: unknown } | undefined;
    const [object, ...rest] = event.split('.');
    const field = rest.join('.');
    const payload =
      given && typeof given.object === 'string' && Array.isArray(given.entry)
        ? given
        : { object, entry: [{ id: '0', time: timestampSeconds, changes: field ? [{ field, value: data ?? {} }] : [] }] };
    const body = JSON.stringify(payload);
    return { body, headers: { ...json, 'user-agent': 'facebookexternalua', 'x-hub-signature-256': signV1(body, secret) } };
  },

  stripe({ event, data, id, timestampSeconds, secret }) {
    const body = JSON.stringify({
      id: id ?? `evt_${randomBytes(12).toString('hex')}`,
      object: 'event',
      type: event,
      created: timestampSeconds,
      livemode: false,
      data: { object: data ?? {} },
    });
    // Stripe keys the HMAC with the whsec_ secret as written, over `t.body`.
    const v1 = createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex');
    return { body, headers: { ...json, 'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)', 'stripe-signature': `t=${timestampSeconds},v1=${v1}` } };
  },

  'standard-webhooks'({ event, data, id, timestampSeconds, secret }) {
    const messageId = id ?? `msg_${randomBytes(12).toString('hex')}`;
    const body = JSON.stringify({ type: event, timestamp: new Date(timestampSeconds * 1000).toISOString(), data: data ?? {} });
    return {
      body,
      headers: {
        ...json,
        'webhook-id': messageId,
        'webhook-timestamp': String(timestampSeconds),
        'webhook-signature': signV2(messageId, timestampSeconds, body, secret),
      },
    };
  },
};

export const SEND_FORMATS = Object.keys(builders) as SourceVerifier[];

/** The body and headers that `format`'s sender would POST for this event. */
export function buildInbound(format: SourceVerifier, draft: InboundDraft): InboundRequest {
  return builders[format](draft);
}

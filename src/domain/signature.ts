import { createHmac, timingSafeEqual } from 'node:crypto';

// Outbound and inbound signing schemes. Every comparison is constant-time.

/** `sha256=<hex>` HMAC-SHA256 of the raw body: GitHub's scheme, our v1. */
export function signV1(body: string | Buffer, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Compares two strings without leaking where they differ. */
export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  if (left.length !== right.length) {
    // Still spend the time of a comparison, so the length is all that leaks.
    timingSafeEqual(left, left);
    return false;
  }
  return timingSafeEqual(left, right);
}

/** True when `header` is a `sha256=<hex>` signature of body by any of the secrets. */
export function verifyV1(body: string | Buffer, header: string, secrets: string[]): boolean {
  const given = header.trim().toLowerCase();
  let ok = false;
  for (const secret of secrets) ok = safeEqual(signV1(body, secret), given) || ok;
  return ok;
}

/** The key bytes of a Standard Webhooks secret: base64 after an optional `whsec_` prefix. */
export function standardWebhooksKey(secret: string): Buffer {
  return Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
}

/** One `v1,<base64>` Standard Webhooks signature over `id.timestamp.body`. */
export function signV2(id: string, timestampSeconds: number, body: string, secret: string): string {
  const mac = createHmac('sha256', standardWebhooksKey(secret))
    .update(`${id}.${timestampSeconds}.${body}`)
    .digest('base64');
  return `v1,${mac}`;
}

export interface SignedHeaders {
  [name: string]: string;
}

export interface SignOptions {
  deliveryId: string;
  body: string;
  secrets: string[];
  versions: 'v1' | 'v2' | 'both';
  timestampSeconds: number;
}

/**
 * The signature headers for an outbound request. During a rotation `secrets` holds the new and
 * the old secret: v2 carries both signatures space-separated, v1 signs with the newest only
 * (GitHub's header holds one signature), plus `X-Agent-Signature-Previous` with the old one.
 */
export function signatureHeaders(options: SignOptions): SignedHeaders {
  const { deliveryId, body, secrets, versions, timestampSeconds } = options;
  const headers: SignedHeaders = {};
  if (versions === 'v1' || versions === 'both') {
    headers['x-agent-signature'] = signV1(body, secrets[0]);
    if (secrets[1]) headers['x-agent-signature-previous'] = signV1(body, secrets[1]);
  }
  if (versions === 'v2' || versions === 'both') {
    headers['webhook-id'] = deliveryId;
    headers['webhook-timestamp'] = String(timestampSeconds);
    headers['webhook-signature'] = secrets.map((s) => signV2(deliveryId, timestampSeconds, body, s)).join(' ');
  }
  return headers;
}

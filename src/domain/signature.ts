import { createHmac, createPrivateKey, createPublicKey, generateKeyPairSync, sign, timingSafeEqual, verify, type KeyObject } from 'node:crypto';

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

/**
 * Which signatures a subscriber receives. `v1`: GitHub-style `X-Agent-Signature` (HMAC).
 * `v2`: Standard Webhooks HMAC (`webhook-signature: v1,<base64>`). `both`: v1 and v2.
 * `v1a`: Standard Webhooks ed25519 only (`webhook-signature: v1a,<base64>`), so the receiver
 * holds no secret that could forge a message. `v2+v1a`: the HMAC and the ed25519 entries in one
 * `webhook-signature` header. `all`: `X-Agent-Signature` plus both entries.
 */
export const SIGNATURE_VERSIONS = ['v1', 'v2', 'both', 'v1a', 'v2+v1a', 'all'] as const;
export type SignatureVersion = (typeof SIGNATURE_VERSIONS)[number];

const sendsAgentSignature = (v: SignatureVersion) => v === 'v1' || v === 'both' || v === 'all';
const sendsStandardHmac = (v: SignatureVersion) => v === 'v2' || v === 'both' || v === 'v2+v1a' || v === 'all';
/** Whether a choice of signatures needs the subscriber's ed25519 key pair. */
export const sendsV1a = (v: SignatureVersion) => v === 'v1a' || v === 'v2+v1a' || v === 'all';

// DER wrappers around a raw ed25519 key (RFC 8410): PKCS#8 for the 32-byte seed, SPKI for the public key.
const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519 = Buffer.from('302a300506032b6570032100', 'hex');

/** Thrown when a `whsk_` signing key is not base64 of a 32-byte ed25519 seed (or a 64-byte seed+public key). */
export class InvalidSigningKeyError extends Error {
  constructor() {
    super('a signing key must be whsk_ followed by base64 of a 32-byte ed25519 seed (or the 64-byte seed and public key)');
  }
}

function privateKeyOf(signingKey: string): KeyObject {
  const raw = Buffer.from(signingKey.startsWith('whsk_') ? signingKey.slice(5) : signingKey, 'base64');
  if (raw.length !== 32 && raw.length !== 64) throw new InvalidSigningKeyError();
  return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, raw.subarray(0, 32)]), format: 'der', type: 'pkcs8' });
}

/** A new Standard Webhooks signing key: `whsk_` + base64 of a random 32-byte ed25519 seed. */
export function generateSigningKey(): string {
  const { privateKey } = generateKeyPairSync('ed25519');
  const der = privateKey.export({ format: 'der', type: 'pkcs8' });
  return `whsk_${der.subarray(PKCS8_ED25519.length).toString('base64')}`;
}

/** The `whpk_` public key of a `whsk_` signing key: base64 of the raw 32-byte ed25519 public key. */
export function publicKeyOf(signingKey: string): string {
  const der = createPublicKey(privateKeyOf(signingKey)).export({ format: 'der', type: 'spki' });
  return `whpk_${der.subarray(SPKI_ED25519.length).toString('base64')}`;
}

/** Whether `signingKey` is a usable `whsk_` key. */
export function isSigningKey(signingKey: string): boolean {
  try {
    return signingKey.startsWith('whsk_') && privateKeyOf(signingKey) !== null;
  } catch {
    return false;
  }
}

/** Thrown when a `whpk_` public key is not base64 of a 32-byte ed25519 public key. */
export class InvalidPublicKeyError extends Error {
  constructor() {
    super('a public key must be whpk_ followed by base64 of a 32-byte ed25519 public key');
  }
}

/** The ed25519 public key of a `whpk_` key, or of a `whsk_` signing key. */
function verifyingKeyOf(key: string): KeyObject {
  if (key.startsWith('whsk_')) return createPublicKey(privateKeyOf(key));
  const raw = Buffer.from(key.startsWith('whpk_') ? key.slice(5) : key, 'base64');
  if (raw.length !== 32) throw new InvalidPublicKeyError();
  return createPublicKey({ key: Buffer.concat([SPKI_ED25519, raw]), format: 'der', type: 'spki' });
}

/** Whether any `v1a,` entry of a (space-separated) `webhook-signature` header verifies `id.timestamp.body` with `publicKey` (whpk_, or whsk_). */
export function verifyV1a(id: string, timestampSeconds: number, body: string, header: string, publicKey: string): boolean {
  const key = verifyingKeyOf(publicKey);
  const signed = Buffer.from(`${id}.${timestampSeconds}.${body}`);
  return header
    .split(/\s+/)
    .filter((entry) => entry.startsWith('v1a,'))
    .some((entry) => verify(null, signed, key, Buffer.from(entry.slice(4), 'base64')));
}

/** One `v1a,<base64>` Standard Webhooks ed25519 signature over `id.timestamp.body`. */
export function signV1a(id: string, timestampSeconds: number, body: string, signingKey: string): string {
  return `v1a,${sign(null, Buffer.from(`${id}.${timestampSeconds}.${body}`), privateKeyOf(signingKey)).toString('base64')}`;
}

/** The ed25519 keys that sign right now: the current one, then the previous one while its grace lasts. */
export function signingKeysAt(
  keys: { signingKey: string | null; previousSigningKey: string | null; previousSigningKeyExpiresAt: Date | null },
  now: Date,
): string[] {
  const out = keys.signingKey ? [keys.signingKey] : [];
  if (keys.previousSigningKey && keys.previousSigningKeyExpiresAt && keys.previousSigningKeyExpiresAt > now) out.push(keys.previousSigningKey);
  return out;
}

export interface SignedHeaders {
  [name: string]: string;
}

export interface SignOptions {
  deliveryId: string;
  body: string;
  /** HMAC secrets, newest first. */
  secrets: string[];
  versions: SignatureVersion;
  timestampSeconds: number;
  /** `whsk_` ed25519 signing keys, newest first; required when `versions` includes v1a. */
  signingKeys?: string[];
}

/** Thrown when a subscriber's signatures include v1a but it has no signing key. */
export class MissingSigningKeyError extends Error {
  constructor() {
    super('v1a signatures need a signing key; rotate the subscriber\'s signing key to create one');
  }
}

/**
 * The signature headers for an outbound request. During a rotation `secrets` (and
 * `signingKeys`) hold the new and the old key: `webhook-signature` carries every entry
 * space-separated, v1 signs with the newest only (GitHub's header holds one signature), plus
 * `X-Agent-Signature-Previous` with the old one.
 */
export function signatureHeaders(options: SignOptions): SignedHeaders {
  const { deliveryId, body, secrets, versions, timestampSeconds } = options;
  const headers: SignedHeaders = {};
  if (sendsAgentSignature(versions)) {
    headers['x-agent-signature'] = signV1(body, secrets[0]);
    if (secrets[1]) headers['x-agent-signature-previous'] = signV1(body, secrets[1]);
  }
  const entries: string[] = [];
  if (sendsStandardHmac(versions)) entries.push(...secrets.map((s) => signV2(deliveryId, timestampSeconds, body, s)));
  if (sendsV1a(versions)) {
    const keys = options.signingKeys ?? [];
    if (keys.length === 0) throw new MissingSigningKeyError();
    entries.push(...keys.map((k) => signV1a(deliveryId, timestampSeconds, body, k)));
  }
  if (entries.length > 0) {
    headers['webhook-id'] = deliveryId;
    headers['webhook-timestamp'] = String(timestampSeconds);
    headers['webhook-signature'] = entries.join(' ');
  }
  return headers;
}

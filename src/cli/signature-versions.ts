import { signV1, signV2, safeEqual, verifyV1 } from '../domain/signature';

// The outbound signature versions, as a receiver checks them. Each version is one entry of
// SIGNATURE_VERSIONS; `verifySignature` applies the checks that every version shares.

/** Request headers with lower-case names. */
export type HeaderMap = Record<string, string>;

export interface SignRequest {
  id: string;
  timestampSeconds: number;
  body: string;
  secret: string;
}

export interface SignatureVersion {
  readonly name: string;
  /** The headers it uses, for messages: `X-Agent-Signature`. */
  readonly headerNames: string;
  sign(request: SignRequest): HeaderMap;
  /** Whether the headers carry this version's signature at all. */
  present(headers: HeaderMap): boolean;
  /** Whether `secret` signed `body` as these headers say. */
  matches(headers: HeaderMap, body: string, secret: string): boolean;
  /** The signed Unix time, or null when the version signs none. */
  signedAt(headers: HeaderMap): number | null;
}

const v1: SignatureVersion = {
  name: 'v1',
  headerNames: 'X-Agent-Signature',
  sign: ({ body, secret }) => ({ 'x-agent-signature': signV1(body, secret) }),
  present: (headers) => Boolean(headers['x-agent-signature']),
  // During a rotation X-Agent-Signature-Previous carries the old secret's signature.
  matches: (headers, body, secret) =>
    [headers['x-agent-signature'], headers['x-agent-signature-previous']].some((header) => header !== undefined && verifyV1(body, header, [secret])),
  signedAt: () => null,
};

const v2: SignatureVersion = {
  name: 'v2',
  headerNames: 'webhook-id, webhook-timestamp and webhook-signature (Standard Webhooks)',
  sign: ({ id, timestampSeconds, body, secret }) => ({
    'webhook-id': id,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': signV2(id, timestampSeconds, body, secret),
  }),
  // The header may also carry other schemes' entries (`v1a,` for ed25519).
  present: (headers) => (headers['webhook-signature'] ?? '').split(/\s+/).some((s) => s.startsWith('v1,')),
  matches(headers, body, secret) {
    const id = headers['webhook-id'];
    const timestamp = Number(headers['webhook-timestamp']);
    if (!id || !Number.isSafeInteger(timestamp)) return false;
    const expected = signV2(id, timestamp, body, secret);
    let ok = false;
    // During a rotation the header holds several space-separated signatures.
    for (const given of (headers['webhook-signature'] ?? '').split(/\s+/)) ok = safeEqual(expected, given) || ok;
    return ok;
  },
  signedAt(headers) {
    const text = headers['webhook-timestamp'];
    return text && /^\d{1,15}$/.test(text) ? Number(text) : null;
  },
};

export const SIGNATURE_VERSIONS: Record<string, SignatureVersion> = { v1, v2 };
export const VERSION_NAMES = Object.keys(SIGNATURE_VERSIONS);

export type VerifyFailure = 'missing' | 'stale-timestamp' | 'body-changed' | 'wrong-secret';

export interface Verdict {
  version: string;
  ok: boolean;
  failure?: VerifyFailure;
  message: string;
}

export interface VerifyOptions {
  nowSeconds: number;
  /** How far the signed time may be from now, as the Standard Webhooks libraries allow (5 minutes). */
  toleranceSeconds: number;
}

export const DEFAULT_TOLERANCE_SECONDS = 300;

/** The signature headers of several versions for one body. */
export function signAll(versions: SignatureVersion[], request: SignRequest): HeaderMap {
  return Object.assign({}, ...versions.map((v) => v.sign(request))) as HeaderMap;
}

/**
 * Checks one version's signature, and when it fails says which check did: the timestamp, the
 * body (its length or layout differs from what was signed), or, failing evidence of either,
 * the secret. HMAC alone cannot tell a wrong secret from a body edited in place, so the body is
 * blamed only on evidence.
 */
export function verifySignature(version: SignatureVersion, headers: HeaderMap, body: string, secret: string, options: VerifyOptions): Verdict {
  const verdict = (ok: boolean, message: string, failure?: VerifyFailure): Verdict => ({ version: version.name, ok, failure, message });
  if (!version.present(headers)) return verdict(false, `no ${version.name} signature: expected ${version.headerNames}`, 'missing');
  const signed = version.matches(headers, body, secret);
  const at = version.signedAt(headers);
  const age = at === null ? 0 : options.nowSeconds - at;
  const stale = Math.abs(age) > options.toleranceSeconds;
  const staleText = `${age >= 0 ? `signed ${age} s ago` : `signed ${-age} s in the future`}, beyond the ${options.toleranceSeconds} s tolerance`;
  if (signed && stale) return verdict(false, `stale timestamp: the signature matches but was ${staleText} (a delayed or replayed request)`, 'stale-timestamp');
  if (signed) return verdict(true, 'verified');

  const also = stale ? `; also ${staleText}` : '';
  const declared = Number(headers['content-length']);
  const actual = Buffer.byteLength(body);
  if (headers['content-length'] && declared !== actual) {
    return verdict(false, `body changed: it is ${actual} bytes but Content-Length says ${declared}${also}`, 'body-changed');
  }
  for (const { how, text } of originalBodies(body)) {
    if (version.matches(headers, text, secret)) {
      return verdict(false, `body changed after signing: it verifies only ${how}; verify the raw bytes as received${also}`, 'body-changed');
    }
  }
  return verdict(false, `wrong secret: the signature does not match this secret (or the body was edited in place)${also}`, 'wrong-secret');
}

/** What the body may have been before a receiver's framework reformatted it. */
function originalBodies(body: string): { how: string; text: string }[] {
  // The smallest changes first, so the message names the one that happened.
  const candidates = [
    { how: 'with its line endings as LF (CRLF was introduced)', text: body.replace(/\r\n/g, '\n') },
    { how: 'without surrounding whitespace (some was added)', text: body.trim() },
    { how: 'with a trailing newline (it was stripped)', text: `${body}\n` },
  ];
  try {
    candidates.push({ how: 'when re-serialized as compact JSON (it was parsed and re-formatted)', text: JSON.stringify(JSON.parse(body)) });
  } catch {
    // Not JSON: only the whitespace candidates apply.
  }
  return candidates.filter((c) => c.text !== body);
}

/** Every version present in the headers, verified; one `missing` verdict when none is. */
export function verifyAll(headers: HeaderMap, body: string, secret: string, options: VerifyOptions, only?: SignatureVersion[]): Verdict[] {
  const versions = only ?? Object.values(SIGNATURE_VERSIONS).filter((v) => v.present(headers));
  if (versions.length === 0) {
    const expected = Object.values(SIGNATURE_VERSIONS).map((v) => `${v.headerNames} (${v.name})`).join(' or ');
    return [{ version: '-', ok: false, failure: 'missing', message: `no signature headers: expected ${expected}` }];
  }
  return versions.map((v) => verifySignature(v, headers, body, secret, options));
}

/** Lower-cased header names, the first value of repeated ones. */
export function normalizeHeaders(headers: Record<string, string | string[] | undefined>): HeaderMap {
  const out: HeaderMap = {};
  for (const [name, value] of Object.entries(headers)) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) out[name.toLowerCase()] = first;
  }
  return out;
}

import { signV1, signV1a, signV2, safeEqual, verifyV1, verifyV1a } from '../domain/signature';
import { CliError } from './cli-error';

// The outbound signature versions, as a receiver checks them. Each version is one entry of
// SIGNATURE_VERSIONS; `verifySignature` applies the checks that every version shares.

/** Request headers with lower-case names. */
export type HeaderMap = Record<string, string>;

/** The keys a command was given: the HMAC secret (v1, v2), the ed25519 signing key (signs v1a) and public key (verifies v1a). */
export interface SigningKeys {
  secret?: string;
  signingKey?: string;
  publicKey?: string;
}

export interface SignRequest {
  id: string;
  timestampSeconds: number;
  body: string;
  keys: SigningKeys;
}

export interface SignatureVersion {
  readonly name: string;
  /** The headers it uses, for messages: `X-Agent-Signature`. */
  readonly headerNames: string;
  /** What its key is called in messages, and the options that give it when signing and verifying. */
  readonly keyNoun: 'secret' | 'key';
  readonly signOption: '--secret' | '--signing-key';
  readonly verifyOption: '--secret' | '--public-key';
  signKey(keys: SigningKeys): string | undefined;
  verifyKey(keys: SigningKeys): string | undefined;
  sign(request: Omit<SignRequest, 'keys'>, key: string): HeaderMap;
  /** Whether the headers carry this version's signature at all. */
  present(headers: HeaderMap): boolean;
  /** Whether `key` signed `body` as these headers say. */
  matches(headers: HeaderMap, body: string, key: string): boolean;
  /** The signed Unix time, or null when the version signs none. */
  signedAt(headers: HeaderMap): number | null;
}

const hmacKey = {
  keyNoun: 'secret',
  signOption: '--secret',
  verifyOption: '--secret',
  signKey: (keys: SigningKeys) => keys.secret,
  verifyKey: (keys: SigningKeys) => keys.secret,
} as const;

/** The Standard Webhooks signed time, shared by v2 and v1a. */
function webhookTimestamp(headers: HeaderMap): number | null {
  const text = headers['webhook-timestamp'];
  return text && /^\d{1,15}$/.test(text) ? Number(text) : null;
}

const v1: SignatureVersion = {
  name: 'v1',
  headerNames: 'X-Agent-Signature',
  ...hmacKey,
  sign: ({ body }, secret) => ({ 'x-agent-signature': signV1(body, secret) }),
  present: (headers) => Boolean(headers['x-agent-signature']),
  // During a rotation X-Agent-Signature-Previous carries the old secret's signature.
  matches: (headers, body, secret) =>
    [headers['x-agent-signature'], headers['x-agent-signature-previous']].some((header) => header !== undefined && verifyV1(body, header, [secret])),
  signedAt: () => null,
};

/**
 * What the Standard Webhooks versions share: the three headers, entries `<scheme>,<base64>` in
 * one space-separated `webhook-signature` (several during a rotation, or several schemes), over
 * `id.timestamp.body`. `check` tells whether the header verifies with `key`.
 */
function standardWebhooks(
  scheme: 'v1' | 'v1a',
  sign: (id: string, timestampSeconds: number, body: string, key: string) => string,
  check: (id: string, timestampSeconds: number, body: string, header: string, key: string) => boolean,
): Pick<SignatureVersion, 'sign' | 'present' | 'matches' | 'signedAt'> {
  return {
    sign: ({ id, timestampSeconds, body }, key) => ({
      'webhook-id': id,
      'webhook-timestamp': String(timestampSeconds),
      'webhook-signature': sign(id, timestampSeconds, body, key),
    }),
    present: (headers) => (headers['webhook-signature'] ?? '').split(/\s+/).some((s) => s.startsWith(`${scheme},`)),
    matches(headers, body, key) {
      const id = headers['webhook-id'];
      const timestamp = Number(headers['webhook-timestamp']);
      if (!id || !Number.isSafeInteger(timestamp)) return false;
      return check(id, timestamp, body, headers['webhook-signature'] ?? '', key);
    },
    signedAt: webhookTimestamp,
  };
}

const v2: SignatureVersion = {
  name: 'v2',
  headerNames: 'webhook-id, webhook-timestamp and webhook-signature (Standard Webhooks)',
  ...hmacKey,
  ...standardWebhooks('v1', signV2, (id, timestamp, body, header, secret) => {
    const expected = signV2(id, timestamp, body, secret);
    let ok = false;
    // Every entry is compared, in constant time: the header may hold several (a rotation, v1a).
    for (const given of header.split(/\s+/)) ok = safeEqual(expected, given) || ok;
    return ok;
  }),
};

/** Standard Webhooks ed25519: signed with the whsk_ key, verified with the whpk_ key, so a receiver holds no secret. */
const v1a: SignatureVersion = {
  name: 'v1a',
  headerNames: 'webhook-id, webhook-timestamp and a v1a entry in webhook-signature (Standard Webhooks ed25519)',
  keyNoun: 'key',
  signOption: '--signing-key',
  verifyOption: '--public-key',
  signKey: (keys) => keys.signingKey,
  verifyKey: (keys) => keys.publicKey,
  ...standardWebhooks('v1a', signV1a, verifyV1a),
};

export const SIGNATURE_VERSIONS: Record<string, SignatureVersion> = { v1, v2, v1a };
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

/**
 * The signature headers of several versions for one body. Standard Webhooks versions share one
 * `webhook-signature` header, their entries space-separated, as the spec allows.
 */
export function signAll(versions: SignatureVersion[], request: SignRequest): HeaderMap {
  const headers: HeaderMap = {};
  for (const version of versions) {
    const key = version.signKey(request.keys);
    if (!key) throw new CliError(`${version.name} signatures need ${version.signOption}`);
    for (const [name, value] of Object.entries(version.sign(request, key))) {
      headers[name] = name === 'webhook-signature' && headers[name] ? `${headers[name]} ${value}` : value;
    }
  }
  return headers;
}

/**
 * Checks one version's signature, and when it fails says which check did: the timestamp, the
 * body (its length or layout differs from what was signed), or, failing evidence of either,
 * the secret. HMAC alone cannot tell a wrong secret from a body edited in place, so the body is
 * blamed only on evidence.
 */
export function verifySignature(version: SignatureVersion, headers: HeaderMap, body: string, secret: string, options: VerifyOptions): Verdict {
  const noun = version.keyNoun;
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
  return verdict(false, `wrong ${noun}: the signature does not match this ${noun} (or the body was edited in place)${also}`, 'wrong-secret');
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

/**
 * Every version present in the headers whose key was given, verified; one `missing` verdict when
 * none is present, or when no present one can be checked with the keys given (it names the option).
 */
export function verifyAll(headers: HeaderMap, body: string, keys: SigningKeys, options: VerifyOptions, only?: SignatureVersion[]): Verdict[] {
  const versions = only ?? Object.values(SIGNATURE_VERSIONS).filter((v) => v.present(headers));
  if (versions.length === 0) {
    const expected = Object.values(SIGNATURE_VERSIONS).map((v) => `${v.headerNames} (${v.name})`).join(' or ');
    return [{ version: '-', ok: false, failure: 'missing', message: `no signature headers: expected ${expected}` }];
  }
  const checkable = versions.filter((v) => v.verifyKey(keys));
  if (checkable.length === 0) {
    const needed = versions.map((v) => `${v.name} needs ${v.verifyOption}`).join(', ');
    return [{ version: versions.map((v) => v.name).join('+'), ok: false, failure: 'missing', message: `no key for the signatures present: ${needed}` }];
  }
  return checkable.map((v) => verifySignature(v, headers, body, v.verifyKey(keys)!, options));
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

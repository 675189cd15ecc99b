import { maskSecret } from './secret-mask';

// What an attempt log may keep of the headers a delivery sent. A subscriber's configured
// headers usually authenticate us to the receiver, so their values are masked, and so is
// anything that looks like a credential whoever set it. Our own headers stay readable: the
// signatures help a receiver's developer debug, and they sign one body only.

/** Headers this service sets on every delivery; never masked. */
const OUR_HEADERS = new Set([
  'content-type',
  'user-agent',
  'x-agent-id',
  'x-webhook-event',
  'x-webhook-delivery',
  'x-webhook-attempt',
  'x-webhook-replay',
  'x-agent-signature',
  'webhook-id',
  'webhook-timestamp',
  'webhook-signature',
]);

/** Names that carry credentials by convention. */
const CREDENTIAL_LIKE = /^(authorization|proxy-authorization|cookie|set-cookie|x-api-key|api-key|x-auth)$|token|secret|key|passw|credential|session|auth/i;

/** Whether a header's value must be masked in logs: configured for the subscriber, or credential-like, and not one of ours. */
export function isRedactedHeader(name: string, configuredNames: Iterable<string>): boolean {
  const lower = name.toLowerCase();
  if (OUR_HEADERS.has(lower)) return false;
  for (const configured of configuredNames) if (configured.toLowerCase() === lower) return true;
  return CREDENTIAL_LIKE.test(lower);
}

/**
 * The headers as they may be logged: each configured header's value and each credential-like
 * value masked (at most 4 characters shown), our own headers kept.
 */
export function redactHeaders(sent: Record<string, string>, configuredNames: Iterable<string>): Record<string, string> {
  const configured = [...configuredNames];
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(sent)) out[name] = isRedactedHeader(name, configured) ? maskSecret(value) : value;
  return out;
}

import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { SourceVerifier } from '../../db/schema';
import { externalEventTypeProblem } from '../../domain/event-type';
import { HttpError } from '../../errors';

/** What every verifier sees: the headers, the raw body bytes, and that body parsed as a JSON object. */
export interface InboundRequest {
  headers: IncomingHttpHeaders;
  raw: Buffer;
  body: Record<string, unknown>;
}

/** What a verifier reads from the provider's own fields and headers, before anyone is trusted. */
export interface ProviderEvent {
  type: string;
  /** The provider's idempotency key; null makes the content the key. */
  externalId: string | null;
  occurredAt: Date | null;
  data: unknown;
  agentId: string | null;
  /** The signed time, in Unix seconds, that the clock-skew check applies to; null when the scheme signs none. */
  signedAt: number | null;
}

/** One inbound signature scheme. `read` answers 400s; `verify` answers 401s. */
export interface Verifier {
  readonly name: SourceVerifier;
  read(request: InboundRequest): ProviderEvent;
  /** Throws 401 `missing_signature` or `invalid_signature` unless one of `secrets` signed the request. */
  verify(request: InboundRequest, secrets: string[]): void;
}

/** One header's value, trimmed; undefined when absent or blank. */
export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  const value = (Array.isArray(v) ? v[0] : v)?.trim();
  return value ? value : undefined;
}

export const badRequest = (code: string, message: string) => new HttpError(400, code, message);
export const missingSignature = (message: string) => new HttpError(401, 'missing_signature', message);
export const invalidSignature = (message: string) => new HttpError(401, 'invalid_signature', message);

/** Unix seconds from a header of decimal digits, or null. */
export function unixSeconds(text: string | undefined): number | null {
  if (!text || !/^\d{1,15}$/.test(text)) return null;
  const value = Number(text);
  return value > 0 ? value : null;
}

/**
 * The event type a sender gave, `where` naming its field or header: 400 `invalid_event` unless it
 * follows the alphabet of domain/event-type.ts and is not one of the platform's own `webhook.*` types.
 */
export function senderEventType(value: unknown, where: string): string {
  const problem = externalEventTypeProblem(value);
  if (problem) throw badRequest('invalid_event', `${where} ${problem}`);
  return value as string;
}

/** An idempotency key from the signed bytes themselves, for schemes whose delivery id is unsigned or absent. */
export function signedBodyKey(raw: Buffer): string {
  return `sha256:${createHash('sha256').update(raw).digest('base64url')}`;
}

import { HttpError } from '../errors';
import { senderEventType } from './verifiers/verifier';

/** The generic inbound body: `{event, timestamp, data?, id?}`. */
export interface InboundEnvelope {
  event: string;
  timestamp: number;
  data: unknown;
  id: string | null;
}

const bad = (code: string, message: string) => new HttpError(400, code, message);

/** Checks the fields of a parsed generic body, in the order of the SPEC S3 table. */
export function readEnvelope(body: Record<string, unknown>): InboundEnvelope {
  const { timestamp, data, id } = body;
  const event = senderEventType(body.event, '"event"');
  if (typeof timestamp !== 'number' || !Number.isSafeInteger(timestamp) || timestamp <= 0) {
    throw bad('invalid_timestamp', '"timestamp" must be a positive integer of Unix seconds');
  }
  if (data !== undefined && (data === null || typeof data !== 'object')) {
    throw bad('invalid_data', '"data" must be an object or an array when present');
  }
  if (id !== undefined && id !== null && (typeof id !== 'string' || id.length === 0 || id.length > 200)) {
    throw bad('invalid_id', '"id" must be a non-empty string of at most 200 characters when present');
  }
  return { event, timestamp, data: data ?? null, id: (id as string | undefined) ?? null };
}

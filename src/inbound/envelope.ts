import { HttpError } from '../errors';

/** The generic inbound body: `{event, timestamp, data?, id?}`. */
export interface InboundEnvelope {
  event: string;
  timestamp: number;
  data: unknown;
  id: string | null;
}

const bad = (code: string, message: string) => new HttpError(400, code, message);

/** Parses and checks the raw body, in the order of the SPEC S3 table. */
export function parseEnvelope(raw: Buffer): { envelope: InboundEnvelope; json: Record<string, unknown> } {
  const text = raw.toString('utf8');
  if (text.trim() === '') throw bad('empty_body', 'the request body is empty; send a JSON object');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw bad('invalid_json', 'the request body is not valid JSON');
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) {
    throw bad('invalid_json', 'the request body must be a JSON object');
  }
  const body = json as Record<string, unknown>;
  const { event, timestamp, data, id } = body;
  if (typeof event !== 'string' || event.trim() === '' || event.length > 200) {
    throw bad('invalid_event', '"event" must be a non-empty string of at most 200 characters');
  }
  if (typeof timestamp !== 'number' || !Number.isSafeInteger(timestamp) || timestamp <= 0) {
    throw bad('invalid_timestamp', '"timestamp" must be a positive integer of Unix seconds');
  }
  if (data !== undefined && (data === null || typeof data !== 'object')) {
    throw bad('invalid_data', '"data" must be an object or an array when present');
  }
  if (id !== undefined && id !== null && (typeof id !== 'string' || id.length === 0 || id.length > 200)) {
    throw bad('invalid_id', '"id" must be a non-empty string of at most 200 characters when present');
  }
  return { envelope: { event, timestamp, data: data ?? null, id: (id as string | undefined) ?? null }, json: body };
}

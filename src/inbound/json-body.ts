import { HttpError } from '../errors';

/** Parses the raw body as one JSON object: 400 `empty_body` or `invalid_json` otherwise. */
export function parseJsonObject(raw: Buffer): Record<string, unknown> {
  const text = raw.toString('utf8');
  if (text.trim() === '') throw new HttpError(400, 'empty_body', 'the request body is empty; send a JSON object');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'invalid_json', 'the request body is not valid JSON');
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) {
    throw new HttpError(400, 'invalid_json', 'the request body must be a JSON object, not an array or a scalar');
  }
  return json as Record<string, unknown>;
}

/** True for a string that can name an event: non-empty, at most 200 characters. */
export function isEventName(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '' && value.length <= 200;
}

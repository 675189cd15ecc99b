import { findUnstorableText, UnstorableTextError } from '../domain/storable-text';
import { HttpError } from '../errors';

/** Parses the raw body as one JSON object: 400 `empty_body`, `invalid_json` or `invalid_text` otherwise. */
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
  // A body PostgreSQL cannot store is refused here, with the body checks, not at the insert.
  const field = findUnstorableText(json, 'body');
  if (field !== null) throw new UnstorableTextError(field.replace(/^body\./, ''));
  return json as Record<string, unknown>;
}

import { HttpError } from '../errors';

/**
 * Opaque cursors for newest-first lists: the sort time and id of the last row of a page, so the
 * next page starts strictly after it however many rows arrive meanwhile.
 */
export interface Cursor {
  at: Date;
  id: string;
}

export function encodeCursor(at: Date, id: string): string {
  return Buffer.from(`${at.toISOString()}|${id}`).toString('base64url');
}

export function decodeCursor(cursor: string): Cursor {
  const [iso, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const at = new Date(iso ?? '');
  if (!id || Number.isNaN(at.getTime())) throw new HttpError(400, 'validation_failed', 'cursor: is not a cursor this API returned');
  return { at, id };
}

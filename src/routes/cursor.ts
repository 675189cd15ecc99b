import type { ListPosition } from '../db/newest-first';
import { HttpError } from '../errors';
import { isStorableDate } from './validation';

// Opaque cursors for newest-first lists: the position of the last row of a page.

export function encodeCursor(at: Date, id: string): string {
  return Buffer.from(`${at.toISOString()}|${id}`).toString('base64url');
}

export function decodeCursor(cursor: string): ListPosition {
  const [iso, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const at = new Date(iso ?? '');
  if (!id || !isStorableDate(at)) throw new HttpError(400, 'validation_failed', 'cursor: is not a cursor this API returned');
  return { at, id };
}

/**
 * One page of a newest-first list, from up to `limit + 1` rows (the extra row only says that
 * another page follows): the presented rows and the cursor of the next page, or null.
 */
export function toPage<R, P>(rows: R[], limit: number, positionOf: (row: R) => ListPosition, present: (row: R) => P): { data: P[]; next_cursor: string | null } {
  const data = rows.slice(0, limit);
  const last = data[data.length - 1];
  const next = rows.length > limit && last ? positionOf(last) : null;
  return { data: data.map(present), next_cursor: next ? encodeCursor(next.at, next.id) : null };
}

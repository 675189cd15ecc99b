import { and, eq, gt, gte, lt, lte, or, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';

/** The position of a row in a newest-first list: its sort time and its id (the tie-break). */
export interface ListPosition {
  at: Date;
  id: string;
}

export interface NewestFirstWindow {
  /** At or after. */
  from?: Date;
  /** At or before. */
  to?: Date;
  /** The last row of the previous page: this page starts strictly after it. */
  after?: ListPosition;
}

/** Rows strictly past `position` in a list ordered by `(at, id)`, descending or ascending. */
export function pastPosition(at: PgColumn, id: PgColumn, position: ListPosition, order: 'desc' | 'asc'): SQL | undefined {
  const beyond = order === 'desc' ? lt : gt;
  return or(beyond(at, position.at), and(eq(at, position.at), beyond(id, position.id)));
}

/**
 * The condition of one page of a list ordered by `(at desc, id desc)`: keyset pagination, so
 * rows arriving meanwhile neither repeat nor skip a row of the pages that follow.
 */
export function newestFirstWindow(at: PgColumn, id: PgColumn, window: NewestFirstWindow): SQL | undefined {
  const { from, to, after } = window;
  return and(
    from ? gte(at, from) : undefined,
    to ? lte(at, to) : undefined,
    after ? pastPosition(at, id, after, 'desc') : undefined,
  );
}

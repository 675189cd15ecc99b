/** A row of a raw `db.execute(sql...)` answer; numbers may come back as strings. */
export type RawRow = Record<string, unknown>;

/** The rows of a raw `db.execute` answer: node-postgres and PGlite both answer with `rows`. */
export const rowsOf = (result: unknown): RawRow[] => (result as { rows: RawRow[] }).rows;

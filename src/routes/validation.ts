import { z } from 'zod';
import { HttpError } from '../errors';

/** Parses with zod; a failure is a 400 that names each failing field. */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown, what = 'body'): z.output<S> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const details = result.error.issues.map((i) => ({ field: i.path.join('.') || what, message: i.message }));
  throw new HttpError(400, 'validation_failed', details.map((d) => `${d.field}: ${d.message}`).join('; '), details);
}

// PostgreSQL's timestamptz spans 4713 BC to 294276 AD; JavaScript dates reach further. Times
// from requests are held to years 1 to 9999, so none reaches the database out of its range.
const LATEST = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** Whether a date can be stored and compared in the database. */
export function isStorableDate(date: Date): boolean {
  const t = date.getTime();
  return Number.isFinite(t) && t >= new Date('0001-01-01T00:00:00Z').getTime() && t <= LATEST;
}

/** A time from a query or body (ISO 8601 or anything Date reads), within years 1 to 9999. */
export const instant = z.coerce.date().refine(isStorableDate, 'must be a time between the years 1 and 9999');

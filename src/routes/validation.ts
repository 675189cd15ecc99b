import type { FastifySchemaCompiler } from 'fastify';
import { z } from 'zod';
import { HttpError } from '../errors';

/** The 400 for a failed parse: `details` names each failing field, `what` when the whole input failed. */
export function validationError(error: z.ZodError, what: string): HttpError {
  const details = error.issues.map((i) => ({ field: i.path.join('.') || what, message: i.message }));
  return new HttpError(400, 'validation_failed', details.map((d) => `${d.field}: ${d.message}`).join('; '), details);
}

/** The 400 for one field that fails a check a schema cannot express. */
export function fieldError(field: string, message: string): HttpError {
  return new HttpError(400, 'validation_failed', `${field}: ${message}`, [{ field, message }]);
}

/** Parses with zod; a failure is a 400 that names each failing field. */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown, what = 'body'): z.output<S> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  throw validationError(result.error, what);
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

const PART_NAMES: Record<string, string> = { body: 'body', querystring: 'query', params: 'params', headers: 'headers' };

/**
 * Fastify's validator for the zod schemas of a route (`schema: { body, querystring, params }`):
 * the same schemas feed the OpenAPI document, and a failure is the same 400 as `parseWith`'s.
 */
export const zodValidatorCompiler: FastifySchemaCompiler<z.ZodType> =
  ({ schema, httpPart }) =>
  (data) => {
    const result = schema.safeParse(data ?? {});
    return result.success ? { value: result.data } : { error: validationError(result.error, PART_NAMES[httpPart ?? 'body'] ?? 'body') };
  };

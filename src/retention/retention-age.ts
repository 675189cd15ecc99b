import { parseDuration } from '../domain/duration';

const DAY_MS = 86_400_000;

/** Thrown when a retention age is neither a number of days nor a duration such as `12h` or `30s`. */
export class InvalidRetentionAgeError extends Error {
  constructor(readonly input: string) {
    super(`"${input}" is not a retention age; use a number of days (30, 0.5; 0 keeps data forever) or a duration such as 12h or 30s`);
  }
}

/**
 * A retention age in milliseconds. A bare number is days, as the variables' names say; a unit
 * (`12h`, `30s`) allows shorter ages, which tests use. 0 keeps the data forever.
 */
export function parseRetentionAge(input: string): number {
  const text = input.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * DAY_MS);
  try {
    return parseDuration(text);
  } catch {
    throw new InvalidRetentionAgeError(input);
  }
}

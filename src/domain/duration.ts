import ms from 'ms';

/** Thrown when a duration string such as `30s` or `2m` cannot be read. */
export class InvalidDurationError extends Error {
  constructor(readonly input: string) {
    super(`"${input}" is not a duration; use a number of milliseconds or a unit such as 250ms, 5s, 2m, 1h`);
  }
}

/** Parses `250ms`, `5s`, `2m`, `1h` or a bare number of milliseconds. */
export function parseDuration(input: string): number {
  const text = input.trim();
  const value = /^\d+$/.test(text) ? Number(text) : ms(text as ms.StringValue);
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new InvalidDurationError(input);
  return value;
}

/** Formats milliseconds for people: 1500 -> "1.5s", 120000 -> "2m". */
export function formatDuration(millis: number): string {
  if (millis < 1000) return `${millis}ms`;
  if (millis < 60_000) return `${+(millis / 1000).toFixed(1)}s`;
  if (millis < 3_600_000) return `${+(millis / 60_000).toFixed(1)}m`;
  return `${+(millis / 3_600_000).toFixed(1)}h`;
}

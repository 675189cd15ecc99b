import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';
import { parseDuration } from '../domain/duration';
import { CliError } from './cli-error';

// Parsers for option values (commander turns an InvalidArgumentError into a one-line usage
// error) and readers for bodies given as text, as @file, or on stdin.

/** `{"a":1}` or `@payload.json`: a JSON value. */
export function jsonValue(text: string): unknown {
  const source = text.startsWith('@') ? readText(text.slice(1)) : text;
  try {
    return JSON.parse(source);
  } catch (err) {
    throw new InvalidArgumentError(`not JSON (${(err as Error).message}); pass a JSON object or @file.json`);
  }
}

/** A JSON object (the payload of an event). */
export function jsonObject(text: string): Record<string, unknown> {
  const value = jsonValue(text);
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new InvalidArgumentError('must be a JSON object, such as {"id":1}');
  return value as Record<string, unknown>;
}

/** A point in time: an ISO date, Unix seconds, or a duration ago (`2h` means two hours ago). */
export function pointInTime(text: string): Date {
  if (/^\d{9,11}$/.test(text)) return new Date(Number(text) * 1000);
  if (/^\d+(\.\d+)?\s*(ms|s|m|h|d|w)[a-z]*$/i.test(text)) {
    try {
      return new Date(Date.now() - parseDuration(text));
    } catch {
      // Fall through to the date parse, which names the problem.
    }
  }
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) throw new InvalidArgumentError('must be an ISO date (2026-01-31T12:00:00Z), Unix seconds, or a duration ago such as 2h');
  return date;
}

/** A duration such as 250ms, 5s or 2m, in milliseconds. */
export function durationMs(text: string): number {
  try {
    return parseDuration(text);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

export function integer(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (text: string): number => {
    if (!/^-?\d+$/.test(text.trim())) throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}`);
    const value = Number(text);
    if (value < min || value > max) throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}`);
    return value;
  };
}

export function fraction(text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0 || value > 1) throw new InvalidArgumentError('must be a number from 0 to 1, such as 0.25');
  return value;
}

/** Repeatable options collect into a list. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** The body from --body, else --file, else stdin when it is piped. */
export function readBody(options: { body?: string; file?: string }): string {
  if (options.body !== undefined) return options.body;
  if (options.file !== undefined) return readText(options.file);
  if (!process.stdin.isTTY) return readFileSync(0, 'utf8');
  throw new CliError('no body: pass --body, --file, or pipe it on stdin');
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

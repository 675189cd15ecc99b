import type { Command } from 'commander';
import { globalOptions } from './global-options';
import { integer, pointInTime } from './input';
import { printList, type Column } from './output';

// The newest-first lists of the admin API: a time range, a page size and a cursor.

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

export interface PageOptions {
  since?: Date;
  until?: Date;
  limit: number;
  cursor?: string;
}

export function addPageOptions(command: Command, what: string): Command {
  return command
    .option('--since <time>', `${what} at or after: ISO date, Unix seconds, or a duration ago (2h)`, pointInTime)
    .option('--until <time>', `${what} before: ISO date, Unix seconds, or a duration ago`, pointInTime)
    .option('--limit <n>', 'rows per page', integer(1, 500), 50)
    .option('--cursor <cursor>', 'the next_cursor of a previous page');
}

/** The API's `from`, `to`, `limit` and `cursor` query parameters. */
export function pageQuery(options: PageOptions) {
  return { from: options.since?.toISOString(), to: options.until?.toISOString(), limit: options.limit, cursor: options.cursor };
}

/** The page as a table (with the option that fetches the next one) or as the API's JSON. */
export function printPage<T>(command: Command, page: Page<T>, columns: Column<T>[]): void {
  const format = globalOptions(command).output;
  printList(format, page.data, columns, page);
  if (format === 'table' && page.next_cursor) process.stdout.write(`more: --cursor ${page.next_cursor}\n`);
}

// What commands print: a table for people, or JSON for scripts (`--output json`).

export type OutputFormat = 'table' | 'json';

export interface Column<R> {
  header: string;
  value: (row: R) => unknown;
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Rows as padded columns; null and undefined print as `-`. */
export function formatTable<R>(rows: R[], columns: Column<R>[]): string {
  const cells = rows.map((row) => columns.map((c) => cell(c.value(row))));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i].length)));
  const line = (values: string[]) => values.map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i]))).join('  ');
  return [line(columns.map((c) => c.header.toUpperCase())), ...cells.map(line)].join('\n');
}

/** A list in the chosen format: the rows as JSON, or a table (with a note when empty). */
export function printList<R>(format: OutputFormat, rows: R[], columns: Column<R>[], json: unknown = rows): void {
  if (format === 'json') return printJson(json);
  process.stdout.write(rows.length ? `${formatTable(rows, columns)}\n` : '(none)\n');
}

/** `key  value` lines for one record. */
export function formatFields(fields: [string, unknown][]): string {
  const width = Math.max(...fields.map(([k]) => k.length));
  return fields.map(([k, v]) => `${k.padEnd(width)}  ${cell(v)}`).join('\n');
}

function cell(value: unknown): string {
  if (value === null || value === undefined || value === '') return '-';
  if (Array.isArray(value)) return value.map(cell).join(',');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

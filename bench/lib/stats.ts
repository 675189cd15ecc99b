export function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export function median(values: number[]): number | null {
  return percentile(values, 50);
}

/** Prints rows as an aligned table. */
export function table(title: string, rows: Record<string, unknown>[]): void {
  if (rows.length === 0) return;
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cell = (v: unknown) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(1)) : String(v ?? ''));
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  console.log(`\n${title}`);
  console.log(cols.map((c, i) => c.padEnd(widths[i])).join('  '));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(cols.map((c, i) => cell(r[c]).padEnd(widths[i])).join('  '));
}

/**
 * The median of several runs of one benchmark, row by row: rows with equal `keys` columns are
 * one row, and each numeric column becomes its median over the runs (text columns are kept).
 */
export function medianRows(runs: Record<string, unknown>[][], keys: string[]): Record<string, unknown>[] {
  const groups = new Map<string, Record<string, unknown>[]>();
  for (const rows of runs) {
    for (const row of rows) {
      const key = keys.map((k) => String(row[k])).join('\u0000');
      groups.set(key, [...(groups.get(key) ?? []), row]);
    }
  }
  return [...groups.values()].map((rows) => {
    const out: Record<string, unknown> = { runs: rows.length };
    for (const col of Object.keys(rows[0]!)) {
      const values = rows.map((r) => r[col]);
      out[col] = values.every((v) => typeof v === 'number') ? median(values as number[]) : values[0];
    }
    return out;
  });
}

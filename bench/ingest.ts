import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { INBOUND_SECRET, type Stack } from './lib/stack';
import { table } from './lib/stats';

// Ingest: signed POST /webhook/inbound with unique ids at fixed offered rates, then at max rate.

export async function benchIngest(stack: Stack, label: string, seconds = 10) {
  const rows = [];
  for (const rate of [100, 500, 1000, 0]) {
    const out = execFileSync(
      process.execPath,
      ['--import', 'tsx', path.join(__dirname, 'lib/ingest-load.ts'), `${stack.apiUrl}/webhook/inbound`, INBOUND_SECRET, String(rate), String(seconds), rate === 0 ? '32' : '16'],
      { encoding: 'utf8', maxBuffer: 1 << 20 },
    );
    const r = JSON.parse(out);
    rows.push({
      mode: label,
      offered: rate === 0 ? 'max' : `${rate}/s`,
      accepted_per_s: Math.round(r.ok / r.seconds),
      non2xx: r.non2xx,
      errors: r.errors,
      p50_ms: r.p50,
      p99_ms: r.p99,
      max_ms: r.max,
    });
    // Let the worker drain the workflows this burst started before the next rate.
    await new Promise((res) => setTimeout(res, 3000));
  }
  table(`Ingest (${label}): signed POST /webhook/inbound, unique ids`, rows);
  return rows;
}

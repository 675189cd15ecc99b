import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { INBOUND_SECRET, type Stack } from './lib/stack';
import { table } from './lib/stats';

// Ingest: signed POST /webhook/inbound with unique ids at fixed offered rates, then at max rate.

interface LoadResult {
  ok: number;
  non2xx: number;
  errors: number;
  seconds: number;
  p50: number;
  p99: number;
  max: number;
}

function load(stack: Stack, rate: number, seconds: number): LoadResult {
  const out = execFileSync(
    process.execPath,
    ['--import', 'tsx', path.join(__dirname, 'lib/ingest-load.ts'), `${stack.apiUrl}/webhook/inbound`, INBOUND_SECRET, String(rate), String(seconds), rate === 0 ? '32' : '16'],
    { encoding: 'utf8', maxBuffer: 1 << 20 },
  );
  return JSON.parse(out) as LoadResult;
}

const pause = (ms: number) => new Promise((res) => setTimeout(res, ms));

export async function benchIngest(stack: Stack, label: string, seconds = 10) {
  // Warm-up, not reported: the first seconds of a fresh process measure its JIT, not its path.
  load(stack, 200, 3);
  await pause(3000);
  const rows = [];
  for (const rate of [100, 500, 1000, 0]) {
    const r = load(stack, rate, seconds);
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
    await pause(3000);
  }
  table(`Ingest (${label}): signed POST /webhook/inbound, unique ids`, rows);
  return rows;
}

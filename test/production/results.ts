import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

// Each production test records what it measured here; scripts/test-production.sh turns these
// files and jest's own results into docs/production-test.md.

export const RESULTS_DIR = path.resolve(__dirname, '../.runtime/production');

export function recordResult(name: string, data: Record<string, unknown>): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(path.join(RESULTS_DIR, `${name}.json`), JSON.stringify({ at: new Date().toISOString(), ...data }, null, 2));
}

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

// The Node-builtins lint ban must cover every file the workflow bundle imports, not only
// workflows/: a builtin in a shared helper breaks determinism just the same.

const ROOT = path.resolve(__dirname, '../..');
const { WORKFLOW_BUNDLE } = require(path.join(ROOT, 'eslint.config.js')) as { WORKFLOW_BUNDLE: string[] };

/** Relative value imports (not `import type`), followed from the bundle's entry. */
function bundleFiles(entry: string): string[] {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = readFileSync(path.join(ROOT, file), 'utf8');
    for (const m of source.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?from\s+'(\.[^']+)'/gms)) {
      const base = path.join(path.dirname(file), m[1]);
      const resolved = [`${base}.ts`, path.join(base, 'index.ts')].find((f) => existsSync(path.join(ROOT, f)));
      if (resolved) visit(resolved);
    }
  };
  visit(entry);
  return [...seen].sort();
}

const covered = (file: string) => WORKFLOW_BUNDLE.some((glob) => (glob.endsWith('/**/*.ts') ? file.startsWith(glob.slice(0, -'**/*.ts'.length)) : file === glob));

it('bans Node builtins in every file the workflow bundle imports', () => {
  const files = bundleFiles('workflows/index.ts');
  expect(files).toContain('src/domain/attempt-outcome.ts');
  expect(files.filter((f) => !covered(f))).toEqual([]);
});

import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '../../..');

function tsFiles(dir: string): string[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) return tsFiles(rel);
    return e.name.endsWith('.ts') ? [rel] : [];
  });
}

it('keeps @temporalio/client inside the Temporal queue driver (src/temporal/)', () => {
  const offenders = ['src', 'activities', 'workflows']
    .flatMap(tsFiles)
    .filter((file) => !file.startsWith(`src${path.sep}temporal${path.sep}`))
    .filter((file) => /from\s+['"]@temporalio\/client['"]|require\(\s*['"]@temporalio\/client['"]\s*\)|import\(\s*['"]@temporalio\/client['"]\s*\)/.test(readFileSync(path.join(root, file), 'utf8')));
  expect(offenders).toEqual([]);
});

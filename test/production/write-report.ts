import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RESULTS_DIR } from './results';

// Writes docs/production-test.md from jest's JSON results and what each test recorded.
// Usage (scripts/test-production.sh): write-report.ts <jest.json> <server bin dir> <seconds spent in the install script>

const [jestFile, binDir, installSeconds] = process.argv.slice(2) as [string, string, string];
const root = path.resolve(__dirname, '../..');
const versionDir = path.dirname(binDir);
const buildSeconds = existsSync(path.join(versionDir, 'build-seconds')) ? Number(readFileSync(path.join(versionDir, 'build-seconds'), 'utf8')) : null;

interface JestResults {
  numPassedTests: number;
  numFailedTests: number;
  startTime: number;
  testResults: { name: string; status: string; message: string; assertionResults: { title: string; status: string; duration?: number }[] }[];
}
const jest = existsSync(jestFile) ? (JSON.parse(readFileSync(jestFile, 'utf8')) as JestResults) : null;
const recorded = existsSync(RESULTS_DIR)
  ? readdirSync(RESULTS_DIR)
      .filter((f) => f.endsWith('.json'))
      .map((f) => ({ name: f.replace(/\.json$/, ''), ...(JSON.parse(readFileSync(path.join(RESULTS_DIR, f), 'utf8')) as { detail: string }) }))
  : [];

const lines = [
  '# Production test: the real Temporal server',
  '',
  'Written by `npm run test:production` (not part of `npm test`). The tests in `test/production/` run',
  `Temporal server ${path.basename(versionDir)} built from source by \`scripts/install-temporal-server.sh\``,
  '(`go install` with `GOTOOLCHAIN=go1.27.3`), with PostgreSQL persistence and visibility (schemas set up by',
  'the server\'s SQL tool), 4 history shards, the namespace created and the search attributes registered, on a',
  'PostgreSQL cluster of their own; the app runs as real `npm run api` / `npm run worker` processes.',
  '',
  `- Run: ${new Date(jest?.startTime ?? Date.now()).toISOString()} on ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, node ${process.version}`,
  `- First build of the server and the SQL tool: ${buildSeconds ? `${buildSeconds} s` : 'unknown (built before the script recorded it)'}; this run spent ${installSeconds} s in the install script (0 when cached)`,
  `- Result: ${jest ? `${jest.numPassedTests} passed, ${jest.numFailedTests} failed` : 'jest wrote no results'}`,
  '',
  '| test | result | time |',
  '|---|---|---|',
  ...(jest?.testResults ?? []).flatMap((file) =>
    file.assertionResults.map((a) => `| ${path.relative(root, file.name)}: ${a.title} | ${a.status} | ${a.duration ? `${(a.duration / 1000).toFixed(1)} s` : ''} |`),
  ),
  '',
  '## What the tests measured',
  '',
  ...recorded.map((r) => `- **${r.name}**: ${r.detail}`),
  '',
];
const failures = (jest?.testResults ?? []).filter((f) => f.status === 'failed' && f.message);
if (failures.length) lines.push('## Failures', '', ...failures.map((f) => `- ${path.relative(root, f.name)}: ${f.message.split('\n').find((l) => l.trim()) ?? ''}`), '');
writeFileSync(path.join(root, 'docs/production-test.md'), lines.join('\n'));
console.log('→ docs/production-test.md');

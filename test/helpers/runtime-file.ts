import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

// Global setup starts the shared servers once per jest run; test files read their addresses
// from a file in a directory of that run's own, named by an environment variable that jest
// workers inherit from the global-setup process (so concurrent runs never mix).

export interface TestRuntime {
  temporalAddress: string;
  postgresUrl: string;
  templateDatabase: string;
  workflowBundlePath: string;
}

const VAR = 'HOOKYARD_TEST_RUNTIME_DIR';
const base = path.resolve(__dirname, '../.runtime');

export function createRuntimeDir(): string {
  mkdirSync(base, { recursive: true });
  const dir = mkdtempSync(path.join(base, 'run-'));
  process.env[VAR] = dir;
  return dir;
}

export function runtimeDir(): string {
  const dir = process.env[VAR];
  if (!dir) throw new Error(`${VAR} is unset: run the tests through jest (its global setup sets it)`);
  return dir;
}

export function writeTestRuntime(runtime: TestRuntime): void {
  writeFileSync(path.join(runtimeDir(), 'runtime.json'), JSON.stringify(runtime, null, 2));
}

export function readTestRuntime(): TestRuntime {
  return JSON.parse(readFileSync(path.join(runtimeDir(), 'runtime.json'), 'utf8')) as TestRuntime;
}

export function removeRuntimeDir(): void {
  const dir = process.env[VAR];
  if (dir) rmSync(dir, { recursive: true, force: true });
}

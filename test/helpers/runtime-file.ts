import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

// Global setup starts the shared servers once; test files read their addresses from here.

export interface TestRuntime {
  temporalAddress: string;
  postgresUrl: string;
  templateDatabase: string;
  workflowBundlePath: string;
}

const dir = path.resolve(__dirname, '../.runtime');
const file = path.join(dir, 'runtime.json');

export function writeTestRuntime(runtime: TestRuntime): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, JSON.stringify(runtime, null, 2));
}

export function readTestRuntime(): TestRuntime {
  return JSON.parse(readFileSync(file, 'utf8')) as TestRuntime;
}

export const runtimeDir = dir;

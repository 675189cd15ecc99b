import { accessSync, constants } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Where scripts/install-temporal.sh caches what it installs, outside the repo. */
export function toolCacheDir(): string {
  return path.join(os.homedir(), '.cache', 'hookyard');
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Finds the `temporal` CLI: an explicit path, then PATH, then the project's cached pip and Go
 * installs. Null means none is installed (scripts/install-temporal.sh installs one).
 */
export function findTemporalCli(explicit?: string, searchPath = ''): string | null {
  if (explicit) return executable(explicit) ? explicit : null;
  const candidates = [
    ...searchPath.split(path.delimiter).filter(Boolean).map((dir) => path.join(dir, 'temporal')),
    path.join(toolCacheDir(), 'venv', 'bin', 'temporal'),
    path.join(toolCacheDir(), 'go', 'bin', 'temporal'),
  ];
  return candidates.find(executable) ?? null;
}

export function findTestServer(): string | null {
  const candidate = path.join(toolCacheDir(), 'venv', 'bin', 'temporal-test-server');
  return executable(candidate) ? candidate : null;
}

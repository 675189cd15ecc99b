import { removeRuntimeDir } from './runtime-file';
import type { DevServer } from '../../src/temporal/dev-server';
import type { PostgresServer } from './postgres-server';

export default async function globalTeardown(): Promise<void> {
  const state = (globalThis as Record<string, unknown>).__hookyard as { temporal: DevServer; pg: PostgresServer } | undefined;
  if (!state) return;
  await state.temporal.stop();
  state.pg.stop();
  removeRuntimeDir();
}

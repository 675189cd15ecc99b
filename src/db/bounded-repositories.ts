import { within } from '../deadline';
import type { Repositories } from './repositories';

/**
 * The repositories with a deadline on every call. The worker's activities use them: a query
 * that never settles (a server that accepts connections and never answers, a driver bug) would
 * otherwise hold an activity slot for good, and with every slot held the worker stops. With the
 * deadline the activity fails, and Temporal retries it; every activity is idempotent.
 */
export function boundedRepositories(repos: Repositories, ms: number): Repositories {
  const bounded = {} as Record<string, Record<string, unknown>>;
  for (const [name, repo] of Object.entries(repos)) {
    const methods: Record<string, unknown> = {};
    for (const [method, fn] of Object.entries(repo as Record<string, unknown>)) {
      methods[method] =
        typeof fn === 'function'
          ? (...args: unknown[]) => {
              const result: unknown = fn.apply(repo, args);
              return result instanceof Promise ? within(result, ms) : result;
            }
          : fn;
    }
    bounded[name] = methods;
  }
  return bounded as unknown as Repositories;
}

/** Longer than any single statement the activities run, short of the fan-out's 30 s heartbeat timeout. */
export const ACTIVITY_DB_CALL_TIMEOUT_MS = 20_000;

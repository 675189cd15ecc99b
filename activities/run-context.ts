import { Context } from '@temporalio/activity';

/**
 * What an activity uses of its Temporal context. A Temporal worker passes nothing (the
 * activity's own Context); the pg-boss driver runs the same activity functions as jobs and
 * passes its own: its cancellation, its sleep, and a heartbeat that extends the job's lease.
 */
export interface RunContext {
  cancellationSignal: AbortSignal;
  sleep(ms: number): Promise<void>;
  heartbeat(details?: unknown): void;
  /** `startToCloseTimeoutMs`: how long this run may take (Temporal's; a job runner may leave it out). */
  info: { isLocal: boolean; startToCloseTimeoutMs?: number };
}

/** The context given by a job runner, else the running Temporal activity's. */
export function runContext(given?: RunContext): RunContext {
  return given ?? Context.current();
}

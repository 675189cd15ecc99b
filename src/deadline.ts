/** Thrown when a dependency gave no answer within its deadline. */
export class DeadlineError extends Error {
  constructor(readonly ms: number) {
    super(`no answer within ${ms} ms`);
  }
}

/**
 * Rejects with a DeadlineError when `op` has not settled within `ms`. The operation itself goes
 * on (a query queued while the database reconnects may still run), so use it only where a late
 * completion is harmless.
 */
export async function within<T>(op: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(ms)), ms);
  });
  try {
    return await Promise.race([op, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

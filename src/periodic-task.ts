import type { Logger } from 'pino';

/**
 * Runs `pass` now, then again `intervalMs` after each pass ends (never two at once), until
 * stopped. A pass that throws is logged; the next one runs as planned. The sweepers use it.
 */
export function createPeriodicTask(pass: () => Promise<unknown>, intervalMs: number, logger: Pick<Logger, 'error'>, what: string) {
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<unknown> | null = null;
  let stopped = false;

  function schedule(delayMs: number): void {
    timer = setTimeout(() => {
      running = pass()
        .catch((err: unknown) => logger.error({ err }, `${what} failed`))
        .finally(() => {
          running = null;
          if (!stopped) schedule(intervalMs);
        });
    }, delayMs);
    timer.unref();
  }

  return {
    /** Whether `stop()` was called: a pass in progress checks it to end early. */
    get stopped(): boolean {
      return stopped;
    },
    /** Runs a pass now (what a crash left behind), then every interval after each pass ends. */
    start(): void {
      if (intervalMs <= 0 || timer || running || stopped) return;
      schedule(0);
    },
    /** Stops and waits for a pass in progress to end. */
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      await running;
    },
  };
}

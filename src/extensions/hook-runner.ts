import type { AfterDeliveryHook, BeforeDispatchHook, DeliveryOutcome, DeliverySummary, DispatchEvent } from './plugin-api';

// Runs the plugins' hooks. A hook is a guest: one that throws or does not answer within the
// timeout is logged and counted (webhook_plugin_hook_failures_total) and then ignored. It is
// not retried, and it never changes what happens to a delivery. A hook left running past its
// timeout is not cancelled (JavaScript cannot), only no longer awaited.

export interface RegisteredHook<F> {
  plugin: string;
  fn: F;
}

export interface HookFailure {
  plugin: string;
  hook: 'beforeDispatch' | 'afterDelivery';
  reason: 'error' | 'timeout';
}

export interface HookRunnerOptions {
  beforeDispatch: RegisteredHook<BeforeDispatchHook>[];
  afterDelivery: RegisteredHook<AfterDeliveryHook>[];
  timeoutMs: number;
  logger: { warn(obj: object, msg?: string): void };
  /** Counts a failed hook call (src/metrics). */
  onFailure?: (failure: HookFailure) => void;
}

/** What `beforeDispatch` decided for an event: a veto, or the payload to send (changed or not). */
export type DispatchVerdict = { vetoed: true; plugin: string; reason: string } | { vetoed: false; data: unknown; enriched: boolean };

/** Thrown (internally) when a hook does not settle in time. */
class HookTimeoutError extends Error {}

export function createHookRunner(options: HookRunnerOptions) {
  const { timeoutMs, logger } = options;

  async function call<T>(plugin: string, hook: HookFailure['hook'], run: () => T | Promise<T>, context: object): Promise<{ ok: true; value: T } | { ok: false }> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const value = await Promise.race([
        Promise.resolve().then(run),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new HookTimeoutError(`did not answer within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      return { ok: true, value };
    } catch (err) {
      const reason = err instanceof HookTimeoutError ? 'timeout' : 'error';
      logger.warn({ err, plugin, hook, ...context }, `plugin ${plugin}: ${hook} hook ${reason === 'timeout' ? 'timed out' : 'threw'}; ignored`);
      options.onFailure?.({ plugin, hook, reason });
      return { ok: false };
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    hasBeforeDispatch: () => options.beforeDispatch.length > 0,
    hasAfterDelivery: () => options.afterDelivery.length > 0,

    /**
     * Runs every beforeDispatch hook in registration order. Each sees the payload the previous
     * one left; the first veto ends the run. A failed hook leaves the event as it was.
     */
    async beforeDispatch(event: DispatchEvent): Promise<DispatchVerdict> {
      let data = event.data;
      let enriched = false;
      for (const { plugin, fn } of options.beforeDispatch) {
        const answer = await call(plugin, 'beforeDispatch', () => fn({ ...event, data }), { eventId: event.id });
        if (!answer.ok || !answer.value) continue;
        const value = answer.value;
        if ('veto' in value && typeof value.veto === 'string') return { vetoed: true, plugin, reason: value.veto || 'vetoed' };
        if ('data' in value) {
          data = value.data;
          enriched = true;
        }
      }
      return { vetoed: false, data, enriched };
    },

    /** Tells every afterDelivery hook of one final outcome. Never throws. */
    async afterDelivery(delivery: DeliverySummary, outcome: DeliveryOutcome): Promise<void> {
      for (const { plugin, fn } of options.afterDelivery) {
        await call(plugin, 'afterDelivery', () => fn({ ...delivery }, { ...outcome }), { deliveryId: delivery.id });
      }
    },
  };
}

export type HookRunner = ReturnType<typeof createHookRunner>;

/** No plugins: nothing to run. */
export const NO_HOOKS: HookRunner = createHookRunner({ beforeDispatch: [], afterDelivery: [], timeoutMs: 1, logger: { warn: () => undefined } });

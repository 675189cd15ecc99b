// Everything a plugin author needs, from this one module (import it with `import type`; the
// example in examples/plugins/ uses a relative path). docs/plugins.md explains each part.

import type { Transform, TransformEvent } from '../transforms/registry';

export type { Transform, TransformEvent };

/** What a plugin logs through: the process's logger, with `plugin: <name>` on every line. */
export interface PluginLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** An event as `beforeDispatch` sees it, once, before its fan-out. `data` is the payload subscribers receive. */
export interface DispatchEvent {
  id: string;
  type: string;
  /** `api`, `default`, a named inbound source, or `internal` (dead letters). */
  source: string;
  agentId: string | null;
  /** ISO 8601, or null when the sender gave no time. */
  occurredAt: string | null;
  data: unknown;
}

/**
 * What `beforeDispatch` answers:
 * - nothing: the event goes on unchanged;
 * - `{ data }`: the event goes on with this payload instead (stored, so every delivery, retry and replay sends it);
 * - `{ veto: reason }`: the event is marked `vetoed` with the reason, and no delivery starts.
 */
export type BeforeDispatchResult = void | undefined | { data: unknown } | { veto: string };

export type BeforeDispatchHook = (event: DispatchEvent) => BeforeDispatchResult | Promise<BeforeDispatchResult>;

/** The delivery an `afterDelivery` hook is told about. */
export interface DeliverySummary {
  id: string;
  eventId: string;
  eventType: string;
  subscriberId: string;
  /** HTTP attempts made. */
  attempts: number;
}

/** A delivery's final outcome, told once it is recorded. */
export interface DeliveryOutcome {
  status: 'succeeded' | 'failed' | 'dead' | 'cancelled';
  /** The last HTTP status, or null when there was none (a timeout, a cancel before any attempt). */
  statusCode: number | null;
  /** The last error or the reason it ended, or null for a success. */
  error: string | null;
}

export type AfterDeliveryHook = (delivery: DeliverySummary, outcome: DeliveryOutcome) => void | Promise<void>;

/** Handed to `register`: each call adds to this process's registry. */
export interface PluginApi {
  /** The plugin's entry in WEBHOOK_PLUGINS. */
  readonly name: string;
  readonly logger: PluginLogger;
  /** Adds a named transform; a name taken by a built-in or another plugin stops start-up. Must be synchronous and return JSON. */
  transform(name: string, fn: Transform): void;
  beforeDispatch(hook: BeforeDispatchHook): void;
  afterDelivery(hook: AfterDeliveryHook): void;
}

/** A plugin module exports `register` (or a default export that has it). */
export interface HookyardPlugin {
  register(api: PluginApi): void | Promise<void>;
}

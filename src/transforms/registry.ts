// Payload transforms: pure functions named by subscribers. Plugins add more at boot.

export interface TransformEvent {
  id: string;
  type: string;
  timestamp: number;
  agentId: string | null;
}

/** The body every subscriber receives before its transform: the event's type, time (seconds) and payload. */
export function deliveryEnvelope(event: Pick<TransformEvent, 'type' | 'timestamp'>, data: unknown): { event: string; timestamp: number; data: unknown } {
  return { event: event.type, timestamp: event.timestamp, data };
}

export type Transform = (event: TransformEvent, payload: unknown) => unknown;

/** Thrown when a subscriber names a transform nobody registered. */
export class UnknownTransformError extends Error {
  constructor(
    readonly transform: string,
    readonly known: string[] = [],
  ) {
    super(`no transform named "${transform}" is registered${known.length ? ` (known: ${known.join(', ')})` : ''}`);
  }
}

/** Thrown when a transform name is registered a second time. */
export class DuplicateTransformError extends Error {
  constructor(readonly transform: string) {
    super(`a transform named "${transform}" is already registered`);
  }
}

/** Thrown when a transform throws or returns something that is not JSON. */
export class TransformFailedError extends Error {
  constructor(
    readonly transform: string,
    reason: string,
  ) {
    super(`transform "${transform}" ${reason}`);
  }
}

export function createTransformRegistry(initial: Record<string, Transform> = {}) {
  const transforms = new Map<string, Transform>(Object.entries({ ...BUILT_IN, ...initial }));
  const names = () => [...transforms.keys()].sort();
  return {
    register(name: string, fn: Transform) {
      if (transforms.has(name)) throw new DuplicateTransformError(name);
      transforms.set(name, fn);
    },
    has: (name: string) => transforms.has(name),
    names,
    apply(name: string | null, event: TransformEvent, payload: unknown): unknown {
      if (!name) return payload;
      const fn = transforms.get(name);
      if (!fn) throw new UnknownTransformError(name, names());
      return fn(event, payload);
    },
    /** The body a subscriber receives: the transform applied, as JSON text. The one place that checks a transform's output. */
    render(name: string | null, event: TransformEvent, payload: unknown): string {
      let out: unknown;
      try {
        out = this.apply(name, event, payload);
      } catch (err) {
        if (err instanceof UnknownTransformError || !name) throw err;
        throw new TransformFailedError(name, `threw: ${err instanceof Error ? err.message : String(err)}`);
      }
      const label = name ?? '(none)';
      if (out !== null && typeof (out as { then?: unknown })?.then === 'function') throw new TransformFailedError(label, 'returned a promise (transforms are synchronous)');
      let body: string | undefined;
      try {
        body = JSON.stringify(out) as string | undefined;
      } catch (err) {
        throw new TransformFailedError(label, `returned something that is not JSON (${err instanceof Error ? err.message : String(err)})`);
      }
      if (typeof body !== 'string') throw new TransformFailedError(label, `returned something that is not JSON (${typeof out})`);
      return body;
    },
  };
}

const BUILT_IN: Record<string, Transform> = {
  /** Sends only `data`, without the envelope. */
  'data-only': (_event, payload) => (payload as { data?: unknown }).data ?? null,
  /** Slack-style incoming-webhook text. */
  'slack-text': (event, payload) => ({ text: `${event.type}: ${JSON.stringify((payload as { data?: unknown }).data ?? null)}` }),
};

export type TransformRegistry = ReturnType<typeof createTransformRegistry>;

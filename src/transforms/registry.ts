// Payload transforms: pure functions named by subscribers. Plugins add more at boot.

export interface TransformEvent {
  id: string;
  type: string;
  timestamp: number;
  agentId: string | null;
}

export type Transform = (event: TransformEvent, payload: unknown) => unknown;

/** Thrown when a subscriber names a transform nobody registered. */
export class UnknownTransformError extends Error {
  constructor(readonly transform: string) {
    super(`no transform named "${transform}" is registered`);
  }
}

export function createTransformRegistry(initial: Record<string, Transform> = {}) {
  const transforms = new Map<string, Transform>(Object.entries({ ...BUILT_IN, ...initial }));
  return {
    register(name: string, fn: Transform) {
      transforms.set(name, fn);
    },
    has: (name: string) => transforms.has(name),
    names: () => [...transforms.keys()].sort(),
    apply(name: string | null, event: TransformEvent, payload: unknown): unknown {
      if (!name) return payload;
      const fn = transforms.get(name);
      if (!fn) throw new UnknownTransformError(name);
      return fn(event, payload);
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

import { startReceiver, type Receiver } from './receiver';

// A receiver that applies events to per-key state, as one that needs order does: it accepts an
// event only when it is the next of its key (`n` = the last applied + 1), notes every request that
// arrives ahead of its turn, and answers 500 to a seeded random share of requests.

export interface OrderedReceiver {
  receiver: Receiver;
  /** The last `n` applied per key. */
  applied: Map<string, number>;
  /** Keys in the order their events were applied. */
  appliedOrder: string[];
  /** Requests for an event ahead of its key's turn (an order violation), as `key/n after last`. */
  early: string[];
  /** The 500s answered. */
  failures: number;
  close(): Promise<void>;
}

/** mulberry32: a small seeded generator, so a run's failures are the same every time for the same arrivals. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export interface OrderedReceiverOptions {
  seed: number;
  /** Share of requests answered 500 at random. */
  failRate: number;
  /** No event fails more often than this at random, so none dies of chance. */
  maxRandomFailures: number;
  /** Events that always fail, as `key/n`. */
  poison?: Set<string>;
}

export async function startOrderedReceiver(options: OrderedReceiverOptions): Promise<OrderedReceiver> {
  const random = seeded(options.seed);
  const applied = new Map<string, number>();
  const appliedOrder: string[] = [];
  const early: string[] = [];
  const randomFailures = new Map<string, number>();
  const state = { failures: 0 };
  const receiver = await startReceiver((req) => {
    const { key, n } = JSON.parse(req.body).data as { key: string; n: number };
    const last = applied.get(key) ?? -1;
    const id = `${key}/${n}`;
    if (options.poison?.has(id)) {
      state.failures++;
      return { status: 500, body: 'poison' };
    }
    if (n > last + 1 && !isSkipped(key, last, n)) early.push(`${id} after ${last}`);
    const failed = randomFailures.get(id) ?? 0;
    if (n > last && failed < options.maxRandomFailures && random() < options.failRate) {
      randomFailures.set(id, failed + 1);
      state.failures++;
      return { status: 500, body: 'try again' };
    }
    // A repeat of an applied event (at least once) is acknowledged and changes nothing.
    if (n > last) {
      applied.set(key, n);
      appliedOrder.push(key);
    }
    return { status: 200, body: 'ok' };
  });
  /** Under the skip policy a poison event is never applied: the next one after it is on time. */
  const isSkipped = (key: string, last: number, n: number) => {
    for (let m = last + 1; m < n; m++) if (!options.poison?.has(`${key}/${m}`)) return false;
    return true;
  };
  return {
    receiver,
    applied,
    appliedOrder,
    early,
    get failures() {
      return state.failures;
    },
    close: () => receiver.close(),
  };
}

/** How often consecutive applied events belong to different keys. */
export function keySwitches(order: string[]): number {
  let switches = 0;
  for (let i = 1; i < order.length; i++) if (order[i] !== order[i - 1]) switches++;
  return switches;
}

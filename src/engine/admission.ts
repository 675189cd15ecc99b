// Admission: may this worker POST to this subscriber now? The one owner of the answer.
//
// Today it owns the worker's share of WEBHOOK_CONCURRENCY: at most `capacity` POSTs in flight
// per worker, across fan-out pages and delivery workflows together, shared fairly between
// subscribers. Endpoint protection (per-subscriber caps across workers, rate limits, pauses,
// the breaker) adds its checks here, behind the same lease.
//
// Fairness: a subscriber may always hold its fair share, floor(capacity / (others + 2)), where
// `others` counts the other subscribers with POSTs in flight or waiting, and the 2 is itself
// plus a newcomer not seen yet. Beyond its share it may
// take a slot only while more than `reserve` slots stay free, so a newcomer (the healthy
// subscriber beside a slow one) finds a free slot at once instead of waiting for a slow POST to
// end. Freed slots go round-robin to the subscribers that wait, oldest waiter first within each.

/** Released after the POST; released twice is harmless. */
export type Lease = () => void;

export interface AdmissionStats {
  capacity: number;
  inFlight: number;
  waiting: number;
  /** In flight per subscriber. */
  bySubscriber: Record<string, number>;
}

export interface Admission {
  /** A lease now, or null when the subscriber must wait. */
  tryAcquire(key: string): Lease | null;
  /**
   * Waits up to `maxWaitMs` (FIFO per subscriber, round-robin across them); null when it did not
   * get one. Null at once when the subscriber's own POSTs are so slow that its expected wait
   * (its recent POST time × the POSTs queued ahead ÷ those it has in flight) is longer than
   * `maxWaitMs`: its work then waits durably elsewhere instead of queueing here behind itself,
   * while a healthy subscriber whose POSTs are quick simply waits its turn.
   */
  acquire(key: string, maxWaitMs: number, signal?: AbortSignal): Promise<Lease | null>;
  stats(): AdmissionStats;
  /** How long the subscriber would likely wait for a slot now (its recent POST time × the POSTs queued ahead ÷ those in flight). */
  expectedWaitMs(key: string): number;
}

interface Waiter {
  grant(lease: Lease): void;
}

export function createAdmission(capacity: number): Admission {
  const held = new Map<string, number>();
  const waiters = new Map<string, Waiter[]>();
  /** Round-robin order of subscribers with waiters. */
  const turn: string[] = [];
  let inFlight = 0;
  const reserve = capacity >= 5 ? Math.max(1, Math.floor(capacity / 5)) : 0;

  const activeOthers = (key: string) => {
    let n = 0;
    for (const [k, count] of held) if (k !== key && count > 0) n++;
    for (const [k, list] of waiters) if (k !== key && list.length > 0 && !held.get(k)) n++;
    return n;
  };
  const share = (key: string) => Math.max(1, Math.floor(capacity / (activeOthers(key) + 2)));
  const eligible = (key: string) => {
    const free = capacity - inFlight;
    if (free <= 0) return false;
    return (held.get(key) ?? 0) < share(key) || free > reserve;
  };

  /** Recent POST time per subscriber (an exponentially weighted mean, ms). */
  const postMs = new Map<string, number>();
  const expectedWaitMs = (key: string) => {
    const mean = postMs.get(key);
    if (mean === undefined) return 0;
    return (mean * ((waiters.get(key)?.length ?? 0) + 1)) / Math.max(held.get(key) ?? 0, 1);
  };

  const lease = (key: string): Lease => {
    inFlight++;
    held.set(key, (held.get(key) ?? 0) + 1);
    const started = Date.now();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const took = Date.now() - started;
      const mean = postMs.get(key);
      postMs.set(key, mean === undefined ? took : mean * 0.8 + took * 0.2);
      // Bounded memory: forget subscribers that are idle here.
      if (postMs.size > 10_000) postMs.clear();
      inFlight--;
      const left = (held.get(key) ?? 1) - 1;
      if (left > 0) held.set(key, left);
      else held.delete(key);
      pump();
    };
  };

  function pump(): void {
    // One pass per freed slot: the first subscriber in turn that may take it, gets it.
    for (let i = 0; i < turn.length && inFlight < capacity; ) {
      const key = turn[i];
      const list = waiters.get(key);
      if (!list || list.length === 0) {
        turn.splice(i, 1);
        waiters.delete(key);
        continue;
      }
      if (!eligible(key)) {
        i++;
        continue;
      }
      const waiter = list.shift()!;
      // Move this subscriber to the back of the line.
      turn.splice(i, 1);
      if (list.length > 0) turn.push(key);
      else waiters.delete(key);
      waiter.grant(lease(key));
      i = 0;
    }
  }

  return {
    tryAcquire(key) {
      if (waiters.get(key)?.length) return null; // first in, first out
      return eligible(key) ? lease(key) : null;
    },

    acquire(key, maxWaitMs, signal) {
      const now = this.tryAcquire(key);
      if (now) return Promise.resolve(now);
      if (maxWaitMs <= 0 || signal?.aborted || expectedWaitMs(key) > maxWaitMs) return Promise.resolve(null);
      return new Promise<Lease | null>((resolve) => {
        let done = false;
        const finish = (value: Lease | null) => {
          if (done) {
            value?.();
            return;
          }
          done = true;
          clearTimeout(timer);
          signal?.removeEventListener('abort', abandon);
          resolve(value);
        };
        const waiter: Waiter = { grant: (l) => finish(l) };
        const abandon = () => {
          const list = waiters.get(key);
          const at = list?.indexOf(waiter) ?? -1;
          if (list && at >= 0) list.splice(at, 1);
          finish(null);
        };
        const timer = setTimeout(abandon, maxWaitMs);
        signal?.addEventListener('abort', abandon, { once: true });
        const list = waiters.get(key);
        if (list) list.push(waiter);
        else {
          waiters.set(key, [waiter]);
          turn.push(key);
        }
        pump();
      });
    },

    expectedWaitMs,

    stats() {
      let waiting = 0;
      for (const list of waiters.values()) waiting += list.length;
      return { capacity, inFlight, waiting, bySubscriber: Object.fromEntries(held) };
    },
  };
}

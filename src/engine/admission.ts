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
//
// `admit()` is the whole answer, used by every POST: the worker's fair share first (in memory,
// cheap), then the shared gate in PostgreSQL (src/protection): the subscriber's circuit (while
// open, only its one probe goes; everything else is held until the next probe), the pause asked
// for by its receiver (Retry-After), its rate limit and its max_in_flight across all workers. It
// answers a lease, or "wait until T, because R". The lease is released with the attempt's result,
// which feeds the subscriber's health: a 429/503 with Retry-After pauses it, overload lowers its
// adaptive cap, and failures count towards opening its circuit; each change of health is told
// once through `onHealthChange` (the `webhook.subscriber.*` events).
//
// Warm leases: the gate costs two statements per POST (take, release), which doubled the
// database statements per delivery. A lease the gate marks reusable (circuit closed, cap not
// lowered, no rate limit) that ends in a plain success is kept warm by this worker instead of
// released: the next POST to that subscriber uses it without asking the database, and its
// success is carried. A warm lease is released, with every success it carried:
//   - when it lingers unused for `lingerMs` (1 s; 50 ms for a subscriber whose max_in_flight is 1
//     or 2, whose one idle slot would keep other workers waiting);
//   - when it is older than `reuseMs` (5 s), so other workers get their turn at the slots;
//   - at once with the first result that is not a plain success, and with it every other warm
//     lease of that subscriber here, so the breaker, the pause and the adaptive cap see failures
//     as soon as without warm leases;
//   - when the worker stops (`close()`).
// The subscriber's in-flight count in the database includes warm leases, so max_in_flight still
// holds across workers (an idle subscriber may show one in flight for up to `lingerMs`). What it
// costs: a pause, an open circuit or a lowered cap set by another worker reaches this one within
// `reuseMs`. Measured (npm run bench -- delivery, 10 events × 1,000 subscribers): about one take
// per subscriber instead of one per POST.
//
// Prefetched leases: with warm leases the gate still cost one take and one release per
// subscriber, which at 10 events × 1,000 subscribers was 70 % of the worker's statements. A fan-out
// page now takes the leases of its next window of deliveries in one statement (`prefetch`, the
// repository's `takeMany`), as warm leases that carried nothing yet, for the subscribers this
// worker has no POST or warm lease for; a prefetched lease that is never used cools like any
// other and is released with no result (it counts as no attempt). Releases that are written at
// about the same time share one statement (`releaseMany`): a warm lease's linger ends on a grid,
// so the leases of a page cool together. Measured (bench/scratch, one stack, 10 × 1,000 plus a
// 1 × 1,000 warm-up): 3,566 gate statements before, 70 after.

import type { GateAnswer, GateRequest, LeaseRelease, LoadSignal, RateLimit } from '../protection/protection-repository';
import { createBatchedWriter } from '../db/batched-writer';
import { loadSignal, pauseFor } from '../protection/backpressure';
import { within } from '../deadline';
import { breakerSignal, type BreakerSettings, type HealthChange } from '../protection/circuit-breaker';
import type { AttemptResult } from '../../workflows/types';

/**
 * Released after the POST; released twice is harmless. `freeSlot` ends only the worker's share
 * (the POST is over) while the subscriber's own count stays until the release: its gate lease's
 * release is still being written, and one worker must not ask the gate for more than max_in_flight.
 */
export type Lease = (() => void) & { freeSlot(): void };

export interface AdmissionStats {
  capacity: number;
  inFlight: number;
  waiting: number;
  /** In flight per subscriber. */
  bySubscriber: Record<string, number>;
}

/** Released once after the POST with its result (or nothing when no POST was made); twice is harmless. */
export type AttemptLease = (result?: AttemptResult | null) => void;

/** Go with a lease, or wait until `waitUntil` (epoch ms) because `reason`. */
export type Admitted = { lease: AttemptLease } | { waitUntil: number; reason: string };

export interface AdmitRequest {
  subscriberId: string;
  deliveryId: string;
  /** The subscriber's max_in_flight; null takes the default (WEBHOOK_ENDPOINT_CONCURRENCY). */
  maxInFlight: number | null;
  /** The subscriber's rate limit, if it has one. */
  rateLimit: RateLimit | null;
  /**
   * When this attempt was due (epoch ms): the delivery's next_attempt_at, or its creation for a
   * first attempt. A pause holds it at most WEBHOOK_MAX_PAUSE past this, so that a receiver that
   * answers 429 forever cannot hold a backlog for ever: each delivery still spends its attempts.
   */
  dueAt: number;
}

/** The admission request for a loaded delivery and its subscriber. */
export function admitRequest(
  delivery: { id: string; subscriberId: string; nextAttemptAt: Date | null; createdAt: Date },
  subscriber: { maxInFlight: number | null; rateLimitPerSecond: number | null; rateLimitBurst: number | null },
): AdmitRequest {
  return {
    subscriberId: delivery.subscriberId,
    deliveryId: delivery.id,
    maxInFlight: subscriber.maxInFlight,
    rateLimit: subscriber.rateLimitPerSecond ? { perSecond: subscriber.rateLimitPerSecond, burst: subscriber.rateLimitBurst ?? 1 } : null,
    dueAt: (delivery.nextAttemptAt ?? delivery.createdAt).getTime(),
  };
}

/** The gate shared by every worker (src/protection/protection-repository), or a test's fake. */
export interface SharedGate {
  tryAcquire(request: GateRequest, ttlMs: number): Promise<GateAnswer>;
  /** Returns the breaker's changes of state, to be told (a fake may return nothing). */
  release(
    leaseId: string,
    pause: { ms: number; reason: string } | null,
    load?: LoadSignal | null,
    breaker?: { signal: ReturnType<typeof breakerSignal>; error: string | null; settings: BreakerSettings } | null,
    /** Successes of earlier POSTs made on this (warm) lease, counted before this result. */
    carried?: number,
  ): Promise<HealthChange[] | void>;
  /** Many releases in one statement, each answered with its changes or its own error (src/protection/protection-repository). */
  releaseMany?(items: LeaseRelease[]): Promise<(HealthChange[] | Error | void)[]>;
  /** Warm leases for many subscribers in one statement, ahead of their POSTs; the lease taken per subscriber. */
  takeMany?(requests: { subscriberId: string; maxInFlight: number }[], ttlMs: number): Promise<Map<string, string>>;
}

export interface AdmissionOptions {
  /** Without a gate only the worker's fair share applies (unit tests). */
  gate?: SharedGate | null;
  /** max_in_flight of a subscriber that sets none. */
  defaultMaxInFlight?: number;
  /** A lease expires this long after it was taken, when its worker died mid-POST. */
  leaseTtlMs?: number;
  /** The longest pause a Retry-After may ask for (WEBHOOK_MAX_PAUSE). */
  maxPauseMs?: number;
  /** The retry schedule: a pause lasts as long as the refused delivery waits under S6. */
  retryDelaysMs?: number[];
  /** How long a POST's worker slot waits for the gate to write its release before it is freed anyway. */
  releaseWaitMs?: number;
  /** How long after it was taken a reusable lease may still carry another POST (default 5 s). */
  reuseMs?: number;
  /** How long a warm lease waits unused before it is released (default 1 s). */
  lingerMs?: number;
  /** A release that could not be written (its lease then expires). */
  onError?: (err: unknown, context: string) => void;
  /** The circuit breaker's settings (src/protection/circuit-breaker); without them it is off. */
  breaker?: BreakerSettings | null;
  /** A change of a subscriber's health (the circuit opened, the subscriber was disabled, ...), told once. */
  onHealthChange?: (change: HealthChange) => void;
}

/** The adaptive cap's (and adaptive rate's) input from an attempt's result (src/protection/backpressure). */
function loadOf(result: AttemptResult | null | undefined, maxInFlight: number, ratePerSecond: number | null): LoadSignal | null {
  const signal = loadSignal(result);
  return signal ? { signal, maxInFlight, ratePerSecond } : null;
}

/** The result a warm lease is released with when it lingers unused: its last POST's success. */
const PLAIN_SUCCESS: AttemptResult = { attempt: 1, outcome: 'success', statusCode: 200, durationMs: 0, error: null, retryAfterMs: null, logged: true, at: 0 };

/** How long a deferral waits before it asks again when no better time is known. */
export const DEFER_MS = 1_000;
/**
 * After the gate answers "max_in_flight reached", this worker defers that subscriber's attempts
 * for this long without asking the database again (unless one of its own POSTs to it ends first):
 * many deliveries to a slow receiver must not flood the pool that everyone's admissions share.
 */
const FULL_MEMO_MS = 250;

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

export interface Admission {
  /**
   * May this POST go now? Waits up to `maxWaitMs` for the worker's fair share and for the
   * subscriber's max_in_flight; a pause answers at once. Throws only when the gate cannot be read.
   */
  admit(request: AdmitRequest, maxWaitMs: number, signal?: AbortSignal): Promise<Admitted>;
  /**
   * Takes, in one statement, a warm gate lease for each of these subscribers that this worker
   * has no POST or warm lease for (a fan-out page's next deliveries; see "Prefetched leases").
   * Best effort: a subscriber left out asks the gate at its POST as usual.
   */
  prefetch(requests: AdmitRequest[]): Promise<void>;
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
  /** Releases the warm leases (the worker stops); each release waits at most `releaseWaitMs`. */
  close(): Promise<void>;
}

interface Waiter {
  grant(lease: Lease): void;
}

/** A gate lease this worker holds between POSTs (see "Warm leases" above). */
interface WarmLease {
  leaseId: string;
  takenAt: number;
  /** Successes made on it and not yet written. */
  carried: number;
  timer: ReturnType<typeof setTimeout> | null;
}

export function createAdmission(capacity: number, options: AdmissionOptions = {}): Admission {
  const gate = options.gate ?? null;
  const defaultMaxInFlight = options.defaultMaxInFlight ?? 8;
  const leaseTtlMs = options.leaseTtlMs ?? 60_000;
  const maxPauseMs = options.maxPauseMs ?? 300_000;
  const onError = options.onError ?? (() => undefined);
  const releaseWaitMs = options.releaseWaitMs ?? 5_000;
  const breaker = options.breaker ?? null;
  const reuseMs = Math.min(options.reuseMs ?? 5_000, leaseTtlMs / 4);
  const lingerMs = options.lingerMs ?? 1_000;
  /** A subscriber with one or two slots: an idle warm lease of its would hold half its capacity or more. */
  const narrow = (max: number) => max <= 2;
  const lingerFor = (max: number) => (narrow(max) ? Math.min(lingerMs, 50) : lingerMs);
  const tell = (changes: HealthChange[] | void) => {
    for (const change of changes ?? []) {
      // Closed again: this worker's held deliveries ask at once instead of at the remembered probe time.
      if (change.state === 'healthy') refused.delete(change.subscriberId);
      options.onHealthChange?.(change);
    }
  };
  const pauseOptions = { maxPauseMs, retryDelaysMs: options.retryDelaysMs ?? [] };
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
  /**
   * Each subscriber's max_in_flight, as its last admission asked: one worker never holds more,
   * so with one worker the gate never refuses for it, and the next POST waits here, in order,
   * instead of being handed to a workflow of its own.
   */
  const caps = new Map<string, number>();
  const eligible = (key: string) => {
    const free = capacity - inFlight;
    if (free <= 0) return false;
    const mine = held.get(key) ?? 0;
    if (mine >= (caps.get(key) ?? Infinity)) return false;
    return mine < share(key) || free > reserve;
  };

  /** Recent POST time per subscriber (an exponentially weighted mean, ms). */
  const postMs = new Map<string, number>();
  /** When each of a subscriber's POSTs in flight here began. */
  const since = new Map<string, number[]>();
  /**
   * A subscriber's POST time as far as this worker knows: its recent mean, or, when longer, the
   * age of its oldest POST still in flight. A receiver that has not answered yet (a dead one's
   * first POSTs, a fast one turned slow) is then known to be slow while its POSTs hang, so its
   * deliveries stop queueing here behind them; before this, a dead receiver's first 5 s let
   * about 40 of its deliveries queue in the pages, and when its circuit opened they were all
   * handed to their workflows in one burst that stalled the Temporal server for its neighbours.
   */
  const postTimeMs = (key: string): number | undefined => {
    const mean = postMs.get(key);
    const oldest = since.get(key)?.[0];
    const age = oldest === undefined ? undefined : Date.now() - oldest;
    if (age === undefined) return mean;
    return mean === undefined ? age : Math.max(mean, age);
  };
  const expectedWaitMs = (key: string) => {
    const post = postTimeMs(key);
    if (post === undefined) return 0;
    return (post * ((waiters.get(key)?.length ?? 0) + 1)) / Math.max(held.get(key) ?? 0, 1);
  };

  const lease = (key: string): Lease => {
    inFlight++;
    held.set(key, (held.get(key) ?? 0) + 1);
    const started = Date.now();
    const starts = since.get(key);
    if (starts) starts.push(started);
    else since.set(key, [started]);
    let slotFreed = false;
    let released = false;
    const freeSlot = () => {
      if (slotFreed) return;
      slotFreed = true;
      const mine = since.get(key);
      const at = mine?.indexOf(started) ?? -1;
      if (mine && at >= 0) mine.splice(at, 1);
      if (mine && mine.length === 0) since.delete(key);
      const took = Date.now() - started;
      const mean = postMs.get(key);
      postMs.set(key, mean === undefined ? took : mean * 0.8 + took * 0.2);
      // Bounded memory: forget subscribers that are idle here.
      if (postMs.size > 10_000) postMs.clear();
      inFlight--;
      pump();
    };
    const release = () => {
      if (released) return;
      released = true;
      freeSlot();
      const left = (held.get(key) ?? 1) - 1;
      if (left > 0) held.set(key, left);
      else held.delete(key);
      pump();
    };
    return Object.assign(release, { freeSlot });
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

  /**
   * When the next delivery that must wait durably for this subscriber should ask again. Each one
   * books a turn after the last, spaced by the subscriber's POST time over the slots it may use,
   * so a backlog of deliveries waiting in their workflows comes back in the order it was turned
   * away, about as fast as slots free up: not all at once every second, which made a slow
   * receiver's backlog flood the engine with refused asks while its neighbours' events waited.
   */
  const booked = new Map<string, number>();
  /** A delivery that asks again before its turn (handed from a fan-out page to its workflow) keeps its turn. */
  const turns = new Map<string, number>();
  const book = (key: string, max: number, deliveryId: string): number => {
    const now = Date.now();
    const mine = turns.get(deliveryId);
    if (mine !== undefined && mine > now) return mine;
    if (turns.size > 50_000) for (const [id, t] of turns) if (t <= now) turns.delete(id);
    const slots = Math.max(1, Math.min(max, caps.get(key) ?? max, share(key)));
    const spacing = Math.max(DEFER_MS / 20, (postTimeMs(key) ?? DEFER_MS) / slots);
    const last = booked.get(key) ?? 0;
    const at = Math.max(now + Math.max(DEFER_MS / 4, expectedWaitMs(key)), last + spacing);
    if (booked.size > 10_000 && !booked.has(key)) for (const [k, t] of booked) if (t < now) booked.delete(k);
    booked.set(key, at);
    turns.set(deliveryId, Math.round(at));
    return Math.round(at);
  };

  /** Refusals this worker remembers (a pause until its end, max_in_flight briefly), so it does not ask again. */
  const refused = new Map<string, { until: number; answer: { waitUntil: number; reason: string } }>();
  const remembered = (key: string) => {
    const memo = refused.get(key);
    if (memo && memo.until > Date.now()) return memo.answer;
    if (memo) refused.delete(key);
    return null;
  };

  /**
   * Writes a lease's release (with the successes it carried) and settles once it is written or
   * after `releaseWaitMs`: a release the database does not answer must not hold a worker's slot
   * for ever; the lease then expires there.
   */
  /** One of this subscriber's slots is free again: its next attempt asks the gate instead of the remembered "full". */
  const forgetFull = (subscriberId: string) => {
    if (refused.get(subscriberId)?.answer.reason.includes('max_in_flight')) refused.delete(subscriberId);
  };

  /** Releases that end together (warm leases that cool on the same tick, POSTs that end at once) share one statement. */
  const releases =
    gate &&
    createBatchedWriter<LeaseRelease, HealthChange[] | Error | void>({
      writeMany: async (items) => (gate.releaseMany ? gate.releaseMany(items) : Promise.all(items.map(releaseOne))),
      writeOne: releaseOne,
      // One lease per subscriber per statement: a batch is then all or nothing, and its fallback
      // (lease by lease) never loses the health changes of a part already written.
      keyOf: (item) => item.subscriberId,
    });
  function releaseOne(item: LeaseRelease) {
    return gate!.release(item.leaseId, item.pause, item.load, item.breaker, item.carried);
  }

  const writeRelease = (subscriberId: string, leaseId: string, result: AttemptResult | null | undefined, max: number, carried: number, ratePerSecond: number | null = null) => {
    const health = breaker && { signal: breakerSignal(result), error: result?.error ?? null, settings: breaker };
    const written = releases!
      .write({ leaseId, subscriberId, pause: pauseFor(result, pauseOptions), load: loadOf(result, max, ratePerSecond), breaker: health, carried })
      .then(
        (changes) => (changes instanceof Error ? onError(changes, 'endpoint health step after a lease release') : tell(changes)),
        (err) => onError(err, 'endpoint lease release'),
      );
    return within(written, releaseWaitMs)
      .catch(() => onError(new Error(`no answer within ${releaseWaitMs} ms`), 'endpoint lease release'))
      .finally(() => forgetFull(subscriberId));
  };

  const warm = new Map<string, WarmLease[]>();
  const unpark = (subscriberId: string, w: WarmLease) => {
    const pool = warm.get(subscriberId);
    const at = pool?.indexOf(w) ?? -1;
    if (pool && at >= 0) pool.splice(at, 1);
    if (pool && pool.length === 0) warm.delete(subscriberId);
    if (w.timer) clearTimeout(w.timer);
    w.timer = null;
  };
  /** Keeps a lease warm after a success; released with its successes when unused for `lingerMs`. */
  const park = (subscriberId: string, w: WarmLease, max: number) => {
    const pool = warm.get(subscriberId);
    if (pool) pool.push(w);
    else warm.set(subscriberId, [w]);
    // On a grid of a quarter of the linger: leases that go idle about together cool on one tick,
    // and so share one release statement.
    const linger = lingerFor(max);
    const grid = Math.max(1, Math.round(linger / 4));
    const at = Math.ceil((Date.now() + linger) / grid) * grid;
    w.timer = setTimeout(() => cool(subscriberId, w, max), at - Date.now());
    w.timer.unref?.();
  };
  /**
   * Releases a warm lease now: its last success is the release's own result, the others are
   * carried. A prefetched lease that carried no POST is released with no result.
   */
  const cool = (subscriberId: string, w: WarmLease, max: number) => {
    unpark(subscriberId, w);
    if (w.carried === 0) return writeRelease(subscriberId, w.leaseId, null, max, 0);
    return writeRelease(subscriberId, w.leaseId, { ...PLAIN_SUCCESS, at: Date.now() }, max, w.carried - 1);
  };
  /** Releases every warm lease of a subscriber (after a result that is not a plain success). */
  const coolAll = (subscriberId: string, max: number) => Promise.all([...(warm.get(subscriberId) ?? [])].map((w) => cool(subscriberId, w, max)));
  /**
   * A warm lease for this subscriber that may carry one more POST, newest first. One older than
   * `reuseMs` is released with what it carried instead, and a fresh lease is asked for.
   */
  const warmFor = (subscriberId: string, max: number): WarmLease | null => {
    const w = warm.get(subscriberId)?.at(-1);
    if (!w) return null;
    if (Date.now() - w.takenAt < reuseMs) {
      unpark(subscriberId, w);
      return w;
    }
    void cool(subscriberId, w, max);
    return null;
  };

  /** The lease handed to the POST; `w.carried` counts the successes before it on the same gate lease. */
  const gateLease = (request: AdmitRequest, max: number, w: WarmLease, reusable: boolean, local: Lease): AttemptLease => {
    let released = false;
    return (result) => {
      if (released) return;
      released = true;
      const plain = result?.outcome === 'success' && !pauseFor(result, pauseOptions);
      if (reusable && plain && Date.now() - w.takenAt < reuseMs) {
        w.carried++;
        park(request.subscriberId, w, max);
        forgetFull(request.subscriberId);
        local();
        return;
      }
      // The POST is over: the worker's slot goes to the next POST at once, while this subscriber's
      // own count here waits for the release to be written, so that its next POST finds the
      // subscriber's count in the database already lowered.
      local.freeSlot();
      void writeRelease(request.subscriberId, w.leaseId, result, max, w.carried, request.rateLimit?.perSecond ?? null).finally(() => local());
      // Not a plain success: the subscriber's other warm leases go too, so its next POST asks the gate.
      if (!plain) void coolAll(request.subscriberId, max);
    };
  };

  return {
    async admit(request, maxWaitMs, signal) {
      const deadline = Date.now() + maxWaitMs;
      const max = request.maxInFlight ?? defaultMaxInFlight;
      if (caps.size > 10_000 && !caps.has(request.subscriberId)) caps.clear();
      caps.set(request.subscriberId, max);
      for (;;) {
        const overdue = Date.now() - request.dueAt > maxPauseMs;
        const memo = remembered(request.subscriberId);
        if (memo && !(overdue && memo.reason.startsWith('paused'))) return memo;
        const local = await this.acquire(request.subscriberId, Math.max(0, deadline - Date.now()), signal);
        // Ask again when a slot is likely (its recent POST times), a little spread so that waiting deliveries do not all wake at once.
        if (!local) return { waitUntil: book(request.subscriberId, max, request.deliveryId), reason: 'waiting for a POST slot: this subscriber is using its share of the worker' };
        if (!gate) return { lease: () => local() };
        const w = request.rateLimit ? null : warmFor(request.subscriberId, max);
        if (w) return { lease: gateLease(request, max, w, true, local) };
        let answer;
        try {
          answer = await gate.tryAcquire({ ...request, maxInFlight: max, ignorePause: overdue, breaker }, leaseTtlMs);
        } catch (err) {
          local();
          throw err;
        }
        if ('leaseId' in answer) {
          const w: WarmLease = { leaseId: answer.leaseId, takenAt: Date.now(), carried: 0, timer: null };
          return { lease: gateLease(request, max, w, answer.reusable === true && !request.rateLimit, local) };
        }
        // Not now: give the worker's slot back to the other subscribers.
        local();
        if ('waitUntil' in answer && answer.kind === 'circuit') {
          if (answer.change) tell([answer.change]);
          // Held: not an attempt, so the delivery's retry clock stands still until the probe closes the circuit.
          const wait = { waitUntil: answer.waitUntil, reason: `held: circuit_open until the next probe at ${new Date(answer.waitUntil).toISOString()}` };
          refused.set(request.subscriberId, { until: answer.waitUntil, answer: wait });
          return wait;
        }
        if ('waitUntil' in answer) {
          // A rate-limited delivery whose booked time comes before the wait ends waits here, holding no slot.
          if (answer.kind === 'rate' && answer.waitUntil < deadline && !signal?.aborted) {
            await sleep(Math.max(0, answer.waitUntil - Date.now()), signal);
            continue;
          }
          const what = answer.kind === 'paused' ? 'paused' : 'over its rate limit';
          const wait = { waitUntil: answer.waitUntil, reason: `${what} until ${new Date(answer.waitUntil).toISOString()}: ${answer.reason}` };
          if (answer.kind === 'paused') refused.set(request.subscriberId, { until: answer.waitUntil, answer: wait });
          return wait;
        }
        const wait = { waitUntil: book(request.subscriberId, max, request.deliveryId), reason: `waiting for a POST slot: ${max} POSTs (max_in_flight) are in flight to this subscriber across all workers` };
        refused.set(request.subscriberId, { until: Date.now() + FULL_MEMO_MS, answer: wait });
        return wait;
      }
    },

    async prefetch(requests) {
      if (!gate?.takeMany) return;
      const wanted = new Map<string, number>();
      for (const request of requests) {
        const id = request.subscriberId;
        const max = request.maxInFlight ?? defaultMaxInFlight;
        // Not for a subscriber this worker is already sending to (its warm leases serve it), one
        // with a rate limit (each send is booked), a narrow one (its idle lease would hold half
        // its slots or more), or one this worker was just refused for.
        if (request.rateLimit || narrow(max) || held.get(id) || warm.get(id)?.length || remembered(id)) continue;
        wanted.set(id, max);
      }
      if (wanted.size === 0) return;
      let taken: Map<string, string>;
      try {
        taken = await gate.takeMany([...wanted].map(([subscriberId, maxInFlight]) => ({ subscriberId, maxInFlight })), leaseTtlMs);
      } catch (err) {
        onError(err, 'endpoint lease prefetch');
        return;
      }
      const takenAt = Date.now();
      for (const [subscriberId, leaseId] of taken) park(subscriberId, { leaseId, takenAt, carried: 0, timer: null }, wanted.get(subscriberId) ?? defaultMaxInFlight);
    },

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

    async close() {
      const all = [...warm].flatMap(([subscriberId, pool]) => pool.map((w) => ({ subscriberId, w })));
      await Promise.all(all.map(({ subscriberId, w }) => cool(subscriberId, w, caps.get(subscriberId) ?? defaultMaxInFlight)));
    },

    stats() {
      let waiting = 0;
      for (const list of waiters.values()) waiting += list.length;
      return { capacity, inFlight, waiting, bySubscriber: Object.fromEntries(held) };
    },
  };
}

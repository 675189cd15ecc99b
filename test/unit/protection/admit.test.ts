import { createAdmission, type SharedGate } from '../../../src/engine/admission';
import { loadSignal, pauseFor } from '../../../src/protection/backpressure';
import type { GateAnswer, GateRequest } from '../../../src/protection/protection-repository';

// admission.admit(): the worker's fair share, then the shared gate; a lease is released with the
// attempt's result, which feeds the subscriber's pause.

function fakeGate(answers: GateAnswer[]) {
  const asked: GateRequest[] = [];
  const released: { leaseId: string; pause: { ms: number; reason: string } | null; load?: unknown }[] = [];
  const gate: SharedGate = {
    async tryAcquire(request) {
      asked.push(request);
      return answers.shift() ?? { leaseId: `lease-${asked.length}` };
    },
    async release(leaseId, pause, load) {
      released.push({ leaseId, pause, load });
    },
  };
  return { gate, asked, released };
}

const request = (overrides: Partial<Parameters<ReturnType<typeof createAdmission>['admit']>[0]> = {}) => ({
  subscriberId: 's1',
  deliveryId: 'd1',
  maxInFlight: null,
  rateLimit: null,
  dueAt: Date.now(),
  ...overrides,
});

const result = (statusCode: number, retryAfterMs: number | null) => ({
  attempt: 1,
  outcome: 'failure' as const,
  statusCode,
  durationMs: 5,
  error: null,
  retryAfterMs,
  logged: true,
  at: Date.now(),
});

it('asks the gate with the default max_in_flight and releases the lease with the pause a 429 asks for', async () => {
  const { gate, asked, released } = fakeGate([]);
  const admission = createAdmission(10, { gate, defaultMaxInFlight: 8, maxPauseMs: 60_000, retryDelaysMs: [100_000, 200_000] });
  const admitted = await admission.admit(request(), 1_000);
  if (!('lease' in admitted)) throw new Error('expected a lease');
  expect(asked[0].maxInFlight).toBe(8);
  expect(admission.stats().inFlight).toBe(1);
  admitted.lease(result(429, 120_000));
  admitted.lease(result(429, 120_000)); // twice is harmless
  await new Promise(setImmediate); // the worker's slot frees once the release is written
  expect(admission.stats().inFlight).toBe(0);
  expect(released).toEqual([{ leaseId: 'lease-1', pause: { ms: 60_000, reason: expect.stringContaining('WEBHOOK_MAX_PAUSE') }, load: { signal: 'overload', maxInFlight: 8, ratePerSecond: null } }]);
});

it('remembers a max_in_flight refusal briefly instead of asking the database again, until one of its own POSTs ends', async () => {
  const { gate, asked } = fakeGate([{ leaseId: 'mine' }, { full: true, inFlight: 2 }]);
  const admission = createAdmission(10, { gate });
  const first = await admission.admit(request({ deliveryId: 'a' }), 1_000);
  const refused = await admission.admit(request({ deliveryId: 'b' }), 1_000);
  expect(refused).toMatchObject({ reason: expect.stringContaining('max_in_flight') });
  expect(await admission.admit(request({ deliveryId: 'c' }), 1_000)).toMatchObject({ reason: expect.stringContaining('max_in_flight') });
  expect(asked).toHaveLength(2);
  // Its own POST to that subscriber ended: the next attempt asks again, and gets a lease.
  if ('lease' in first) first.lease(result(200, null));
  await new Promise(setImmediate);
  expect(await admission.admit(request({ deliveryId: 'c' }), 1_000)).toHaveProperty('lease');
  expect(asked).toHaveLength(3);
  // Nothing remembered for another subscriber.
  expect(await admission.admit(request({ subscriberId: 's2' }), 1_000)).toHaveProperty('lease');
});

it('answers a pause at once and holds it without asking, except for an attempt overdue by more than WEBHOOK_MAX_PAUSE', async () => {
  const until = Date.now() + 60_000;
  const { gate, asked } = fakeGate([{ waitUntil: until, kind: 'paused', reason: 'the receiver answered 429' }]);
  const admission = createAdmission(10, { gate, maxPauseMs: 5_000 });
  expect(await admission.admit(request(), 1_000)).toEqual({ waitUntil: until, reason: expect.stringContaining('paused until') });
  expect(await admission.admit(request({ deliveryId: 'd2' }), 1_000)).toMatchObject({ waitUntil: until });
  expect(asked).toHaveLength(1);
  const overdue = await admission.admit(request({ deliveryId: 'd3', dueAt: Date.now() - 6_000 }), 1_000);
  expect(overdue).toHaveProperty('lease');
  expect(asked[1]).toMatchObject({ deliveryId: 'd3', ignorePause: true });
});

it('waits in the activity for a rate-limited booking that comes before the admission wait ends', async () => {
  const { gate, asked } = fakeGate([{ waitUntil: Date.now() + 150, kind: 'rate', reason: 'rate limit 5/s (burst 1)' }]);
  const admission = createAdmission(10, { gate });
  const started = Date.now();
  const pending = admission.admit(request({ rateLimit: { perSecond: 5, burst: 1 } }), 1_000);
  await new Promise((r) => setTimeout(r, 50));
  // While it sleeps it holds none of the worker's slots.
  expect(admission.stats().inFlight).toBe(0);
  const admitted = await pending;
  expect(admitted).toHaveProperty('lease');
  expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  expect(asked).toHaveLength(2);
  expect(admission.stats().inFlight).toBe(1);
});

describe('pauseFor', () => {
  const plan = { maxPauseMs: 60_000, retryDelaysMs: [5_000, 30_000] };
  it('pauses on 429 or 503 with a Retry-After as long as the refused delivery waits (S6: at most twice its step)', () => {
    expect(pauseFor(result(429, 10_000), plan)).toEqual({ ms: 10_000, reason: 'the receiver answered 429 with Retry-After 10s' });
    expect(pauseFor(result(503, 3_600_000), plan)?.ms).toBe(10_000);
    expect(pauseFor({ ...result(503, 3_600_000), attempt: 2 }, plan)?.ms).toBe(60_000);
    // After the last attempt: the last step doubled stands in.
    expect(pauseFor({ ...result(429, 3_600_000), attempt: 3 }, { ...plan, maxPauseMs: 600_000 })?.ms).toBe(60_000);
  });
  it('asks no pause without a Retry-After, or for other answers', () => {
    expect(pauseFor(result(429, null), plan)).toBeNull();
    expect(pauseFor(result(500, 10_000), plan)).toBeNull();
    expect(pauseFor(null, plan)).toBeNull();
  });
});

describe('loadSignal', () => {
  it('reads 429, 502, 503, 504 and timeouts as overload, successes as success, the rest as nothing', () => {
    for (const code of [429, 502, 503, 504]) expect(loadSignal(result(code, null))).toBe('overload');
    expect(loadSignal({ ...result(0, null), statusCode: null, outcome: 'timeout' })).toBe('overload');
    expect(loadSignal({ ...result(200, null), outcome: 'success' })).toBe('success');
    expect(loadSignal(result(500, null))).toBeNull();
    expect(loadSignal(null)).toBeNull();
  });
});

it('never asks the gate for more than max_in_flight from one worker: the next POST waits here for one of its own, and for its release to be written', async () => {
  const { gate, asked, released } = fakeGate([]);
  let finishRelease: () => void = () => undefined;
  const slowRelease = gate.release;
  gate.release = async (...args) => {
    await new Promise<void>((r) => (finishRelease = r));
    return slowRelease(...args);
  };
  const admission = createAdmission(50, { gate, defaultMaxInFlight: 3 });
  const leases = [];
  for (const id of ['a', 'b', 'c']) {
    const admitted = await admission.admit(request({ deliveryId: id }), 1_000);
    if (!('lease' in admitted)) throw new Error('expected a lease');
    leases.push(admitted.lease);
  }
  let fourth: unknown = null;
  const waiting = admission.admit(request({ deliveryId: 'd' }), 2_000).then((a) => (fourth = a));
  await new Promise((r) => setTimeout(r, 20));
  // Three in flight to this subscriber: the fourth waits in the worker, not at the gate.
  expect(asked).toHaveLength(3);
  expect(fourth).toBeNull();
  leases[0](result(200, null));
  await new Promise((r) => setTimeout(r, 20));
  // Its slot is free only once the gate has written the release.
  expect(fourth).toBeNull();
  finishRelease();
  await waiting;
  expect(fourth).toHaveProperty('lease');
  expect(asked).toHaveLength(4);
  expect(released).toHaveLength(1);
});

it('frees the worker’s slot when the POST ends, and the subscriber’s count after a bounded wait when the gate’s release does not answer (the lease expires in the database)', async () => {
  const { gate } = fakeGate([]);
  gate.release = () => new Promise(() => undefined);
  const admission = createAdmission(10, { gate, releaseWaitMs: 50 });
  const admitted = await admission.admit(request(), 1_000);
  if (!('lease' in admitted)) throw new Error('expected a lease');
  admitted.lease(result(200, null));
  await new Promise((r) => setTimeout(r, 10));
  expect(admission.stats()).toMatchObject({ inFlight: 0, bySubscriber: { s1: 1 } });
  await new Promise((r) => setTimeout(r, 100));
  expect(admission.stats()).toMatchObject({ inFlight: 0, bySubscriber: {} });
});

describe('a warm lease: one gate lease carries many quick successful POSTs', () => {
  const ok = () => ({ ...result(200, null), outcome: 'success' as const });
  function countingGate() {
    const asked: GateRequest[] = [];
    const released: { leaseId: string; carried: number; signal: unknown }[] = [];
    const gate: SharedGate = {
      async tryAcquire(request) {
        asked.push(request);
        return { leaseId: `lease-${asked.length}`, reusable: true };
      },
      async release(leaseId, _pause, _load, breaker, carried = 0) {
        released.push({ leaseId, carried, signal: breaker?.signal ?? null });
      },
    };
    return { gate, asked, released };
  }
  const settings = { failureRate: 0.8, windowMs: 60_000, minAttempts: 20, timeoutsInRow: 5, probeMinMs: 1_000, probeMaxMs: 10_000, disableAfterMs: 60_000 };

  it('asks the gate once for back-to-back successes, and writes them all with one release after it lingers', async () => {
    const { gate, asked, released } = countingGate();
    const admission = createAdmission(10, { gate, breaker: settings, reuseMs: 1_000, lingerMs: 30 });
    for (let i = 0; i < 5; i++) {
      const admitted = await admission.admit(request({ deliveryId: `d${i}` }), 1_000);
      if (!('lease' in admitted)) throw new Error('expected a lease');
      admitted.lease(ok());
    }
    expect(asked).toHaveLength(1);
    expect(admission.stats().inFlight).toBe(0);
    expect(released).toHaveLength(0);
    await new Promise((r) => setTimeout(r, 60));
    // Four successes carried, the fifth is the release's own signal: five attempts counted.
    expect(released).toEqual([{ leaseId: 'lease-1', carried: 4, signal: 'success' }]);
  });

  it('writes a failure at once, with the successes it carried before it', async () => {
    const { gate, asked, released } = countingGate();
    const admission = createAdmission(10, { gate, breaker: settings, reuseMs: 1_000, lingerMs: 1_000 });
    for (const outcome of [ok(), ok(), result(500, null)]) {
      const admitted = await admission.admit(request(), 1_000);
      if (!('lease' in admitted)) throw new Error('expected a lease');
      admitted.lease(outcome);
    }
    await new Promise(setImmediate);
    expect(asked).toHaveLength(1);
    expect(released).toEqual([{ leaseId: 'lease-1', carried: 2, signal: 'failure' }]);
  });

  it('takes a fresh lease once the warm one is older than the reuse window, so other workers get their turn', async () => {
    const { gate, asked, released } = countingGate();
    const admission = createAdmission(10, { gate, breaker: settings, reuseMs: 40, lingerMs: 1_000 });
    const first = await admission.admit(request(), 1_000);
    if (!('lease' in first)) throw new Error('expected a lease');
    await new Promise((r) => setTimeout(r, 60));
    first.lease(ok());
    await new Promise(setImmediate);
    expect(released).toEqual([{ leaseId: 'lease-1', carried: 0, signal: 'success' }]);
    await admission.admit(request(), 1_000);
    expect(asked).toHaveLength(2);
  });

  it('releases the subscriber’s other warm leases with a result that is not a plain success, and all of them at close()', async () => {
    const { gate, asked, released } = countingGate();
    const admission = createAdmission(10, { gate, breaker: settings, reuseMs: 10_000, lingerMs: 10_000 });
    const take = async (subscriberId: string) => {
      const admitted = await admission.admit(request({ subscriberId }), 1_000);
      if (!('lease' in admitted)) throw new Error('expected a lease');
      return admitted.lease;
    };
    // Two POSTs in flight at once to s1 and one to s2: three leases, all kept warm.
    const [a, b, c] = [await take('s1'), await take('s1'), await take('s2')];
    a(ok());
    b(ok());
    c(ok());
    expect(asked).toHaveLength(3);
    // A 503 on s1 releases that lease and s1's other warm lease at once; s2's stays warm.
    (await take('s1'))({ ...result(503, null) });
    await new Promise(setImmediate);
    expect(released.map((r) => r.leaseId).sort()).toEqual(['lease-1', 'lease-2']);
    await admission.close();
    expect(released.map((r) => r.leaseId).sort()).toEqual(['lease-1', 'lease-2', 'lease-3']);
    expect(released.find((r) => r.leaseId === 'lease-3')).toEqual({ leaseId: 'lease-3', carried: 0, signal: 'success' });
  });

  it('never reuses a lease the gate did not mark reusable (a probe, a lowered cap, a rate limit)', async () => {
    const { gate, asked } = fakeGate([]);
    const admission = createAdmission(10, { gate, reuseMs: 1_000, lingerMs: 1_000 });
    for (let i = 0; i < 3; i++) {
      const admitted = await admission.admit(request(), 1_000);
      if (!('lease' in admitted)) throw new Error('expected a lease');
      admitted.lease(ok());
      await new Promise(setImmediate);
    }
    expect(asked).toHaveLength(3);
  });
});

describe('prefetched leases: a fan-out page takes its next deliveries’ leases in one statement', () => {
  const ok = () => ({ ...result(200, null), outcome: 'success' as const });
  const settings = { failureRate: 0.8, windowMs: 60_000, minAttempts: 20, timeoutsInRow: 5, probeMinMs: 1_000, probeMaxMs: 10_000, disableAfterMs: 60_000 };
  function batchGate() {
    const asked: GateRequest[] = [];
    const taken: string[][] = [];
    const releases: { leaseId: string; subscriberId: string; carried: number; signal: unknown }[][] = [];
    const gate: SharedGate = {
      async tryAcquire(request) {
        asked.push(request);
        return { leaseId: `single-${asked.length}`, reusable: true };
      },
      async release(leaseId, _pause, _load, breaker, carried = 0) {
        releases.push([{ leaseId, subscriberId: '?', carried, signal: breaker?.signal ?? null }]);
      },
      async releaseMany(items) {
        releases.push(items.map((i) => ({ leaseId: i.leaseId, subscriberId: i.subscriberId, carried: i.carried ?? 0, signal: i.breaker?.signal ?? null })));
        return items.map(() => []);
      },
      async takeMany(requests) {
        taken.push(requests.map((r) => r.subscriberId));
        return new Map(requests.map((r) => [r.subscriberId, `pre-${r.subscriberId}`]));
      },
    };
    return { gate, asked, taken, releases };
  }

  it('takes one lease per subscriber in one call, and each POST then goes without asking the gate', async () => {
    const { gate, asked, taken } = batchGate();
    const admission = createAdmission(10, { gate, breaker: settings, lingerMs: 1_000 });
    await admission.prefetch(['s1', 's2', 's3', 's1'].map((subscriberId, i) => request({ subscriberId, deliveryId: `d${i}` })));
    expect(taken).toEqual([['s1', 's2', 's3']]);
    for (const subscriberId of ['s1', 's2', 's3']) {
      const admitted = await admission.admit(request({ subscriberId }), 1_000);
      if (!('lease' in admitted)) throw new Error('expected a lease');
      admitted.lease(ok());
    }
    expect(asked).toHaveLength(0);
    await admission.close();
  });

  it('leaves out a rate-limited subscriber, one with max_in_flight under 3, and one this worker already sends to or holds a warm lease for', async () => {
    const { gate, taken } = batchGate();
    const admission = createAdmission(10, { gate, breaker: settings, lingerMs: 1_000 });
    const busy = await admission.admit(request({ subscriberId: 'busy' }), 1_000);
    const warm = await admission.admit(request({ subscriberId: 'warm' }), 1_000);
    if (!('lease' in warm) || !('lease' in busy)) throw new Error('expected leases');
    warm.lease(ok());
    await admission.prefetch([
      request({ subscriberId: 'limited', rateLimit: { perSecond: 5, burst: 1 } }),
      request({ subscriberId: 'narrow', maxInFlight: 2 }),
      request({ subscriberId: 'busy' }),
      request({ subscriberId: 'warm' }),
      request({ subscriberId: 'free' }),
    ]);
    expect(taken).toEqual([['free']]);
    busy.lease(ok());
    await admission.close();
  });

  it('releases unused prefetched leases with no result (no attempt is counted), together in one statement', async () => {
    const { gate, releases } = batchGate();
    const admission = createAdmission(10, { gate, breaker: settings, lingerMs: 40 });
    await admission.prefetch(['s1', 's2', 's3'].map((subscriberId) => request({ subscriberId })));
    await new Promise((r) => setTimeout(r, 120));
    expect(releases).toEqual([
      [
        { leaseId: 'pre-s1', subscriberId: 's1', carried: 0, signal: null },
        { leaseId: 'pre-s2', subscriberId: 's2', carried: 0, signal: null },
        { leaseId: 'pre-s3', subscriberId: 's3', carried: 0, signal: null },
      ],
    ]);
  });

  it('writes two leases of one subscriber in two statements, so each batch is all or nothing', async () => {
    const { gate, asked, releases } = batchGate();
    const admission = createAdmission(10, { gate, breaker: settings, lingerMs: 40 });
    const take = async (subscriberId: string) => {
      const admitted = await admission.admit(request({ subscriberId }), 1_000);
      if (!('lease' in admitted)) throw new Error('expected a lease');
      return admitted.lease;
    };
    const leases = [await take('s1'), await take('s1'), await take('s2')];
    leases.forEach((lease) => lease(ok()));
    expect(asked).toHaveLength(3);
    await new Promise((r) => setTimeout(r, 120));
    // Two statements, neither with two leases of s1.
    expect(releases).toHaveLength(2);
    for (const batch of releases) expect(new Set(batch.map((r) => r.subscriberId)).size).toBe(batch.length);
    expect(releases.flat().map((r) => r.leaseId).sort()).toEqual(['single-1', 'single-2', 'single-3']);
  });

  it('tells the health changes of a batch even when one release’s breaker step failed, and reports that one', async () => {
    const told: string[] = [];
    const errors: string[] = [];
    const change = (subscriberId: string) => ({ subscriberId, state: 'open' as const, previous: 'healthy' as const, seq: 1, reason: 'test', firstFailureAt: null, lastError: null, at: new Date() });
    const gate: SharedGate = {
      async tryAcquire() {
        return { leaseId: `l-${Math.random()}`, reusable: false };
      },
      async release() {
        return [];
      },
      async releaseMany(items) {
        return items.map((item) => (item.subscriberId === 'bad' ? new Error('transition failed') : [change(item.subscriberId)]));
      },
    };
    const admission = createAdmission(10, { gate, breaker: settings, onHealthChange: (c) => told.push(c.subscriberId), onError: (err) => errors.push(String(err)) });
    const a = await admission.admit(request({ subscriberId: 'good' }), 1_000);
    const b = await admission.admit(request({ subscriberId: 'bad' }), 1_000);
    if (!('lease' in a) || !('lease' in b)) throw new Error('expected leases');
    a.lease(result(500, null));
    b.lease(result(500, null));
    await new Promise((r) => setTimeout(r, 20));
    expect(told).toEqual(['good']);
    expect(errors).toEqual(['Error: transition failed']);
  });
});

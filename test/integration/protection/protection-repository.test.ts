import { DEFAULT_BREAKER } from '../../../src/protection/circuit-breaker';
import { useSubscriberFixture } from './subscriber-fixture';

// The shared gate in PostgreSQL (PGlite cannot load under jest; test/process/npm-start covers it
// starting there): never more leases than max_in_flight
// however many ask at once, leases of a dead worker expire, a pause holds everyone, and the
// rate limit books send times in order.

const request = (subscriberId: string, deliveryId: string, maxInFlight: number) => ({ subscriberId, deliveryId, maxInFlight, rateLimit: null });

describe('protection repository', () => {
  const fixture = useSubscriberFixture();


  it('has a new subscriber’s row from its creation, so its first lease is one statement', async () => {
    expect(await fixture.repos.protection.state(fixture.subscriberId)).toEqual({ subscriberId: fixture.subscriberId, inFlight: 0, pausedUntil: null, pauseReason: null, effectiveInFlight: null, effectiveRatePerSecond: null });
  });

  it('grants exactly max_in_flight leases to many at once, and one more after a release', async () => {
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => fixture.repos.protection.tryAcquire(request(fixture.subscriberId, `d${i}`, 3), 60_000)));
    const leases = answers.flatMap((a) => ('leaseId' in a ? [a.leaseId] : []));
    expect(leases).toHaveLength(3);
    expect(answers.filter((a) => 'full' in a)).toHaveLength(17);
    expect((await fixture.repos.protection.state(fixture.subscriberId))?.inFlight).toBe(3);
    await fixture.repos.protection.release(leases[0], null);
    await fixture.repos.protection.release(leases[0], null); // twice is harmless
    expect((await fixture.repos.protection.state(fixture.subscriberId))?.inFlight).toBe(2);
    expect(await fixture.repos.protection.tryAcquire(request(fixture.subscriberId, 'late', 3), 60_000)).toHaveProperty('leaseId');
  });

  it('frees the slot of a lease whose worker died once it expires', async () => {
    expect(await fixture.repos.protection.tryAcquire(request(fixture.subscriberId, 'a', 1), 50)).toHaveProperty('leaseId');
    await new Promise((r) => setTimeout(r, 100));
    expect(await fixture.repos.protection.tryAcquire(request(fixture.subscriberId, 'b', 1), 60_000)).toHaveProperty('leaseId');
    expect((await fixture.repos.protection.state(fixture.subscriberId))?.inFlight).toBe(1);
  });

  it('pauses everyone after a release with a pause, and never shortens a longer one', async () => {
    const first = await fixture.repos.protection.tryAcquire(request(fixture.subscriberId, 'a', 5), 60_000);
    const second = await fixture.repos.protection.tryAcquire(request(fixture.subscriberId, 'b', 5), 60_000);
    if (!('leaseId' in first) || !('leaseId' in second)) throw new Error('expected leases');
    await fixture.repos.protection.release(first.leaseId, { ms: 10_000, reason: 'the receiver answered 429 with Retry-After 10s' });
    await fixture.repos.protection.release(second.leaseId, { ms: 1_000, reason: 'shorter' });
    const refused = await fixture.repos.protection.tryAcquire(request(fixture.subscriberId, 'c', 5), 60_000);
    expect(refused).toMatchObject({ kind: 'paused', reason: 'the receiver answered 429 with Retry-After 10s' });
    if (!('waitUntil' in refused)) throw new Error('expected a pause');
    expect(refused.waitUntil - Date.now()).toBeGreaterThan(8_000);
    expect((await fixture.repos.protection.busy(10)).filter((b) => b.subscriberId === fixture.subscriberId)).toEqual([{ subscriberId: fixture.subscriberId, inFlight: 0, paused: true, circuitOpen: false, effectiveInFlight: null, effectiveRatePerSecond: null }]);
    // An attempt overdue by more than WEBHOOK_MAX_PAUSE goes anyway, on a lease that carries no other POST.
    expect(await fixture.repos.protection.tryAcquire({ ...request(fixture.subscriberId, 'd', 5), ignorePause: true }, 60_000)).toEqual({ leaseId: expect.any(String), reusable: false });
  });

  it('halves the effective max_in_flight on overload (once a second) and raises it back with successes (AIMD)', async () => {
    const take = async (id: string) => {
      const answer = await fixture.repos.protection.tryAcquire(request(fixture.subscriberId, id, 8), 60_000);
      if (!('leaseId' in answer)) throw new Error(`expected a lease, got ${JSON.stringify(answer)}`);
      return answer.leaseId;
    };
    const overload = { signal: 'overload' as const, maxInFlight: 8 };
    await fixture.repos.protection.release(await take('a'), null, overload);
    await fixture.repos.protection.release(await take('b'), null, overload); // the same second: one signal
    expect((await fixture.repos.protection.state(fixture.subscriberId))?.effectiveInFlight).toBe(4);
    const held = await Promise.all(['c', 'd', 'e', 'f'].map(take));
    expect(await fixture.repos.protection.tryAcquire(request(fixture.subscriberId, 'g', 8), 60_000)).toMatchObject({ full: true });
    await Promise.all(held.map((id) => fixture.repos.protection.release(id, null, null)));
    // Additive increase: 1/cap per success, so about cap successes per step, back to the configured value.
    let successes = 0;
    while ((await fixture.repos.protection.state(fixture.subscriberId))?.effectiveInFlight !== null && successes < 100) {
      await fixture.repos.protection.release(await take(`s${successes}`), null, { signal: 'success', maxInFlight: 8 });
      successes++;
    }
    expect(successes).toBeGreaterThanOrEqual(15);
    expect(successes).toBeLessThanOrEqual(30);
  });

  it('books rate-limited deliveries one token apart, in the order they asked, and admits each on its booking', async () => {
    const rateLimit = { perSecond: 10, burst: 1 };
    const ask = (deliveryId: string) => fixture.repos.protection.tryAcquire({ ...request(fixture.subscriberId, deliveryId, 100), rateLimit }, 60_000);
    expect(await ask('r0')).toHaveProperty('leaseId');
    const booked = [];
    for (const id of ['r1', 'r2', 'r3']) booked.push(await ask(id));
    const times = booked.map((b) => ('waitUntil' in b ? b.waitUntil : NaN));
    expect(times[1] - times[0]).toBeGreaterThanOrEqual(99);
    expect(times[2] - times[1]).toBeGreaterThanOrEqual(99);
    // Asking again early keeps the same booking; at its time it goes.
    expect(await ask('r1')).toMatchObject({ waitUntil: times[0] });
    await new Promise((r) => setTimeout(r, Math.max(0, times[0] - Date.now()) + 20));
    expect(await ask('r1')).toHaveProperty('leaseId');
  });
  it('halves the effective rate of a rate-limited subscriber on overload, books at that rate, and raises it back with successes', async () => {
    const rateLimit = { perSecond: 10, burst: 1 };
    const ask = (deliveryId: string) => fixture.repos.protection.tryAcquire({ ...request(fixture.subscriberId, deliveryId, 100), rateLimit }, 60_000);
    const first = await ask('o0');
    if (!('leaseId' in first)) throw new Error('expected a lease');
    await fixture.repos.protection.release(first.leaseId, null, { signal: 'overload', maxInFlight: 100, ratePerSecond: 10 });
    expect((await fixture.repos.protection.state(fixture.subscriberId))?.effectiveRatePerSecond).toBe(5);
    // At 5/s the next bookings are 200 ms apart, not 100 ms.
    const booked = [];
    for (const id of ['o1', 'o2', 'o3']) booked.push(await ask(id));
    const times = booked.map((b) => ('waitUntil' in b ? b.waitUntil : NaN));
    expect(times[2] - times[1]).toBeGreaterThanOrEqual(199);
    // Successes raise it back (a twentieth of the configured rate each), to the configured rate.
    let successes = 0;
    while ((await fixture.repos.protection.state(fixture.subscriberId))?.effectiveRatePerSecond !== null && successes < 50) {
      const lease = await fixture.repos.protection.tryAcquire(request(fixture.subscriberId, `s${successes}`, 100), 60_000);
      if (!('leaseId' in lease)) throw new Error('expected a lease');
      await fixture.repos.protection.release(lease.leaseId, null, { signal: 'success', maxInFlight: 100, ratePerSecond: 10 });
      successes++;
    }
    expect(successes).toBe(10);
  });

  describe('in batches (a fan-out page’s prefetched leases, released together)', () => {
    const newSubscriber = async () => (await fixture.repos.subscribers.create({ url: 'http://127.0.0.1:9/x', events: ['*'], secret: 'whsec_0123456789abcdef' })).id;

    it('takes one lease per subscriber below its cap, and leaves out the full, paused, open or lowered ones', async () => {
      const [free, full, paused, open, lowered] = [fixture.subscriberId, ...(await Promise.all([1, 2, 3, 4].map(newSubscriber)))];
      const p = fixture.repos.protection;
      const one = await p.tryAcquire(request(full, 'f', 1), 60_000);
      expect(one).toHaveProperty('leaseId');
      const pausing = await p.tryAcquire(request(paused, 'p', 8), 60_000);
      if (!('leaseId' in pausing)) throw new Error('expected a lease');
      await p.release(pausing.leaseId, { ms: 10_000, reason: 'Retry-After' });
      const overloaded = await p.tryAcquire(request(lowered, 'l', 8), 60_000);
      if (!('leaseId' in overloaded)) throw new Error('expected a lease');
      await p.release(overloaded.leaseId, null, { signal: 'overload', maxInFlight: 8 });
      // Three timeouts in a row open the circuit.
      const breaker = { ...DEFAULT_BREAKER, timeoutsInRow: 3 };
      for (const id of ['t1', 't2', 't3']) {
        const a = await p.tryAcquire({ ...request(open, id, 8), breaker }, 60_000);
        if (!('leaseId' in a)) throw new Error('expected a lease');
        await p.release(a.leaseId, null, null, { signal: 'timeout', error: 'timed out', settings: breaker });
      }
      expect((await p.circuit.view(open))?.state).toBe('open');
      const taken = await p.takeMany(
        [free, free, full, paused, open, lowered].map((subscriberId) => ({ subscriberId, maxInFlight: subscriberId === full ? 1 : 8 })),
        60_000,
      );
      expect([...taken.keys()]).toEqual([free]);
      expect((await p.state(free))?.inFlight).toBe(1);
      expect((await p.state(full))?.inFlight).toBe(1);
      // The lease is an ordinary one: released as any other.
      await p.release(taken.get(free)!, null);
      expect((await p.state(free))?.inFlight).toBe(0);
    });

    it('releases two leases of one subscriber in one batch as two releases', async () => {
      const p = fixture.repos.protection;
      const other = await newSubscriber();
      const leases = await Promise.all([fixture.subscriberId, fixture.subscriberId, other].map(async (s, i) => {
        const a = await p.tryAcquire(request(s, `b${i}`, 8), 60_000);
        if (!('leaseId' in a)) throw new Error('expected a lease');
        return { leaseId: a.leaseId, subscriberId: s };
      }));
      expect((await p.state(fixture.subscriberId))?.inFlight).toBe(2);
      const changes = await p.releaseMany(leases.map((l) => ({ ...l, pause: null, load: { signal: 'success' as const, maxInFlight: 8 } })));
      expect(changes).toEqual([[], [], []]);
      expect((await p.state(fixture.subscriberId))?.inFlight).toBe(0);
      expect((await p.state(other))?.inFlight).toBe(0);
    });

    it('never deadlocks when batches from two workers hold the same subscribers in opposite orders', async () => {
      const p = fixture.repos.protection;
      const ids = [fixture.subscriberId, ...(await Promise.all(Array.from({ length: 29 }, newSubscriber)))];
      for (let round = 0; round < 10; round++) {
        const forward = ids.map((subscriberId) => ({ subscriberId, maxInFlight: 100 }));
        const [a, b] = await Promise.all([p.takeMany(forward, 60_000), p.takeMany([...forward].reverse(), 60_000)]);
        expect(a.size + b.size).toBe(60);
        const releases = (m: Map<string, string>) => [...m].map(([subscriberId, leaseId]) => ({ subscriberId, leaseId, pause: null }));
        await Promise.all([p.releaseMany(releases(a)), p.releaseMany(releases(b).reverse())]);
      }
      expect((await p.busy(100)).filter((b) => ids.includes(b.subscriberId))).toEqual([]);
    });
  });
});

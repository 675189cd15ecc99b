import { createAdmission } from '../../../src/engine/admission';

describe('admission: the worker share of WEBHOOK_CONCURRENCY', () => {
  it('never grants more leases than its capacity', async () => {
    const admission = createAdmission(3);
    const leases = ['a', 'b', 'c', 'd'].map((k) => admission.tryAcquire(k));
    expect(leases.filter(Boolean)).toHaveLength(3);
    expect(admission.stats().inFlight).toBe(3);
  });

  it('keeps a free slot for a newcomer while a slow subscriber holds more than its share', () => {
    const admission = createAdmission(10);
    const slow: (() => void)[] = [];
    for (let i = 0; i < 10; i++) {
      const lease = admission.tryAcquire('slow');
      if (lease) slow.push(lease);
    }
    // Alone, it may use most of the worker, but not the reserve.
    expect(slow.length).toBe(8);
    expect(admission.tryAcquire('healthy')).not.toBeNull();
  });

  it('lets two slow subscribers share the worker and still admits a third at once', () => {
    const admission = createAdmission(10);
    let granted = 0;
    for (let i = 0; i < 20; i++) if (admission.tryAcquire(i % 2 ? 'slow' : 'dead')) granted++;
    expect(granted).toBeLessThanOrEqual(8);
    expect(admission.tryAcquire('healthy')).not.toBeNull();
  });

  it('hands freed slots round-robin, first in first out within a subscriber', async () => {
    const admission = createAdmission(1);
    const first = admission.tryAcquire('x')!;
    const order: string[] = [];
    const wait = (key: string, tag: string) => admission.acquire(key, 5_000).then((lease) => {
      order.push(tag);
      setImmediate(() => lease?.());
    });
    const all = Promise.all([wait('a', 'a1'), wait('a', 'a2'), wait('b', 'b1'), wait('a', 'a3'), wait('b', 'b2')]);
    first();
    await all;
    expect(order).toEqual(['a1', 'b1', 'a2', 'b2', 'a3']);
  });

  it('answers at once when the subscriber’s own slow POSTs would keep it waiting longer than allowed', async () => {
    const admission = createAdmission(2);
    const first = admission.tryAcquire('slow')!;
    await new Promise((r) => setTimeout(r, 120));
    first(); // its POSTs take about 120 ms
    const a = admission.tryAcquire('slow')!;
    const b = admission.tryAcquire('other')!;
    const started = Date.now();
    await expect(admission.acquire('slow', 50)).resolves.toBeNull();
    expect(Date.now() - started).toBeLessThan(30);
    a();
    b();
  });

  it('knows a receiver that has not answered yet is slow: its deliveries stop queueing behind its hanging POSTs', async () => {
    const admission = createAdmission(1);
    const hanging = admission.tryAcquire('dead')!; // its first POST: no answer, no POST time yet
    await new Promise((r) => setTimeout(r, 150));
    // One waiter is expected to wait about the hanging POST's age (150 ms), within 1 s: it queues.
    const first = admission.acquire('dead', 1_000);
    expect(admission.stats().waiting).toBe(1);
    // Behind it, 2 × 150 ms would still fit; 8 more waiters would not (150 ms × 8 > 1 s).
    const queued = [admission.acquire('dead', 1_000)];
    for (let i = 0; i < 10; i++) queued.push(admission.acquire('dead', 1_000));
    const answered = await Promise.race([Promise.all(queued.slice(-3)), new Promise((r) => setTimeout(() => r('still queued'), 50))]);
    expect(answered).toEqual([null, null, null]);
    expect(admission.stats().waiting).toBeLessThanOrEqual(7);
    hanging();
    (await first)?.();
  });

  it('lets a subscriber with quick POSTs wait its turn when the worker is full', async () => {
    const admission = createAdmission(1);
    const quick = admission.tryAcquire('quick')!;
    quick();
    const held = admission.tryAcquire('quick')!;
    const waiting = admission.acquire('quick', 1_000);
    setTimeout(held, 20);
    await expect(waiting).resolves.toEqual(expect.any(Function));
  });

  it('gives up after the wait and leaves nothing held', async () => {
    const admission = createAdmission(1);
    const held = admission.tryAcquire('x')!;
    await expect(admission.acquire('y', 20)).resolves.toBeNull();
    held();
    expect(admission.stats()).toMatchObject({ inFlight: 0, waiting: 0 });
  });
});

describe('admission: deliveries that wait durably for a busy subscriber', () => {
  it('books a backlog in order, spaced by the subscriber’s POST time over its slots, instead of waking it all at once', async () => {
    const admission = createAdmission(100, { defaultMaxInFlight: 2 });
    // Two POSTs of about 200 ms teach it the subscriber's pace, then both slots stay busy.
    const warm = [admission.tryAcquire('slow')!, admission.tryAcquire('slow')!];
    await new Promise((r) => setTimeout(r, 200));
    warm.forEach((release) => release());
    const busy = [];
    for (const id of ['a', 'b']) {
      const admitted = await admission.admit({ subscriberId: 'slow', deliveryId: id, maxInFlight: 2, rateLimit: null, dueAt: Date.now() }, 0);
      busy.push(admitted);
    }
    expect(busy.every((a) => 'lease' in a)).toBe(true);
    const now = Date.now();
    const waits: number[] = [];
    for (let i = 0; i < 20; i++) {
      const admitted = await admission.admit({ subscriberId: 'slow', deliveryId: `w${i}`, maxInFlight: 2, rateLimit: null, dueAt: now }, 0);
      if (!('waitUntil' in admitted)) throw new Error('expected a wait');
      waits.push(admitted.waitUntil - now);
    }
    // In the order they asked, about 100 ms apart (200 ms per POST over 2 slots): the last
    // waits about two seconds, not one as they all did before.
    for (let i = 1; i < waits.length; i++) expect(waits[i]).toBeGreaterThan(waits[i - 1]);
    expect(waits[19]).toBeGreaterThan(1_700);
    expect(waits[19]).toBeLessThan(3_500);
    expect(waits[0]).toBeLessThan(400);
  });
});

it('keeps a waiting delivery’s turn when it asks again before it (from its workflow, after a fan-out page handed it over)', async () => {
  const admission = createAdmission(100, { defaultMaxInFlight: 1 });
  const held = await admission.admit({ subscriberId: 's', deliveryId: 'first', maxInFlight: 1, rateLimit: null, dueAt: Date.now() }, 0);
  expect(held).toHaveProperty('lease');
  const ask = (id: string) => admission.admit({ subscriberId: 's', deliveryId: id, maxInFlight: 1, rateLimit: null, dueAt: Date.now() }, 0) as Promise<{ waitUntil: number }>;
  const a = await ask('a');
  const b = await ask('b');
  expect((await ask('a')).waitUntil).toBe(a.waitUntil);
  expect((await ask('b')).waitUntil).toBe(b.waitUntil);
  expect(b.waitUntil).toBeGreaterThan(a.waitUntil);
});

import { attemptResult } from '../../../src/domain/attempt-outcome';
import { DEFAULT_BREAKER, breakerSignal, type BreakerSettings } from '../../../src/protection/circuit-breaker';
import type { AttemptResult } from '../../../workflows/types';
import { useSubscriberFixture } from './subscriber-fixture';

// The breaker's shared state in PostgreSQL: N timeouts in a row open it (once, however many
// workers release at once), only one probe goes at a time and only when due, a failed probe
// backs off, a successful one closes the circuit with the adaptive cap restarted at 1, and an
// open circuit past WEBHOOK_DISABLE_AFTER disables its subscriber.

const settings: BreakerSettings = { ...DEFAULT_BREAKER, timeoutsInRow: 3, probeMinMs: 300, probeMaxMs: 600, disableAfterMs: 60_000 };
const now = () => Date.now();
const timeout = (): AttemptResult => attemptResult(1, now(), now(), 'timeout', { error: 'timed out: headers' });
const ok = (): AttemptResult => attemptResult(1, now(), now(), 'success', { statusCode: 200 });

describe('circuit repository', () => {
  const fixture = useSubscriberFixture();
  const ask = (id: string, s: BreakerSettings = settings) => fixture.repos.protection.tryAcquire({ subscriberId: fixture.subscriberId, deliveryId: id, maxInFlight: 8, rateLimit: null, breaker: s }, 60_000);
  const release = (leaseId: string, result: AttemptResult, s: BreakerSettings = settings) =>
    fixture.repos.protection.release(leaseId, null, null, { signal: breakerSignal(result), error: result.error, settings: s });
  const lease = async (id: string, s?: BreakerSettings) => {
    const answer = await ask(id, s);
    if (!('leaseId' in answer)) throw new Error(`no lease: ${JSON.stringify(answer)}`);
    return answer;
  };


  it('opens once after N timeouts in a row, holds everything, lets one probe through when due and closes on its success', async () => {
    const leases = await Promise.all(['a', 'b', 'c', 'd'].map((id) => lease(id)));
    const changes = (await Promise.all(leases.map((l) => release(l.leaseId, timeout())))).flat();
    expect(changes.map((c) => c.state)).toEqual(['open']);
    expect(changes[0]).toMatchObject({ subscriberId: fixture.subscriberId, previous: 'healthy', seq: 1, lastError: 'timed out: headers' });
    expect(changes[0].reason).toMatch(/timeouts in a row/);
    expect(changes[0].firstFailureAt).toBeInstanceOf(Date);

    const held = await ask('e');
    expect(held).toMatchObject({ kind: 'circuit', reason: 'circuit_open' });
    await new Promise((r) => setTimeout(r, 350));
    const [probe, other] = await Promise.all([ask('f'), ask('g')]);
    const probes = [probe, other].filter((a) => 'leaseId' in a);
    expect(probes).toHaveLength(1);
    expect(probes[0]).toMatchObject({ probe: true });

    // A failed probe backs off (twice the interval), and nothing goes meanwhile.
    expect(await release((probes[0] as { leaseId: string }).leaseId, timeout())).toEqual([]);
    expect(await ask('h')).toMatchObject({ kind: 'circuit' });
    const view = await fixture.repos.protection.circuit.view(fixture.subscriberId);
    expect(view).toMatchObject({ state: 'open', probeFailures: 1 });
    expect(view!.nextProbeAt!.getTime() - Date.now()).toBeGreaterThan(450);

    await new Promise((r) => setTimeout(r, 650));
    const second = await lease('i');
    expect(second.probe).toBe(true);
    const closed = await release(second.leaseId, ok());
    expect(closed.map((c) => [c.state, c.previous, c.seq])).toEqual([['healthy', 'open', 2]]);
    // Ramp-up: the adaptive cap restarts at one POST in flight.
    expect((await fixture.repos.protection.state(fixture.subscriberId))?.effectiveInFlight).toBe(1);
    const first = await lease('j');
    expect(await ask('k')).toMatchObject({ full: true });
    await release(first.leaseId, ok());
  });

  it('tells degraded once when overload lowers the adaptive cap, and recovered once successes restore it', async () => {
    const overloaded = attemptResult(1, now(), now(), 'failure', { statusCode: 503, error: 'HTTP 503' });
    const first = await lease('a');
    const changes = await fixture.repos.protection.release(first.leaseId, null, { signal: 'overload', maxInFlight: 2 }, { signal: breakerSignal(overloaded), error: overloaded.error, settings });
    expect(changes.map((c) => [c.state, c.previous, c.seq])).toEqual([['degraded', 'healthy', 1]]);
    expect(changes[0].lastError).toBe('HTTP 503');
    const again = await lease('b');
    expect(await fixture.repos.protection.release(again.leaseId, null, { signal: 'overload', maxInFlight: 2 }, { signal: 'failure', error: 'HTTP 503', settings })).toEqual([]);
    // Additive increase from 1 back to max_in_flight 2: one success restores it.
    const told = [];
    for (const id of ['c', 'd', 'e']) {
      const l = await lease(id);
      told.push(...(await fixture.repos.protection.release(l.leaseId, null, { signal: 'success', maxInFlight: 2 }, { signal: 'success', error: null, settings })));
    }
    expect(told.map((c) => [c.state, c.previous, c.seq])).toEqual([['healthy', 'degraded', 2]]);
  });

  it('keeps a rate-limited subscriber degraded until its adaptive rate is restored too, not only its cap', async () => {
    // max_in_flight 2 comes back after one success; a rate of 20/s halved to 10/s needs ten (a twentieth each).
    const load = (signal: 'overload' | 'success') => ({ signal, maxInFlight: 2, ratePerSecond: 20 });
    const first = await lease('a');
    const degraded = await fixture.repos.protection.release(first.leaseId, null, load('overload'), { signal: 'failure', error: 'HTTP 503', settings });
    expect(degraded.map((c) => c.state)).toEqual(['degraded']);
    const told: { state: string; n: number }[] = [];
    for (let n = 1; n <= 10; n++) {
      const l = await lease(`s${n}`);
      const changes = await fixture.repos.protection.release(l.leaseId, null, load('success'), { signal: 'success', error: null, settings });
      told.push(...changes.map((c) => ({ state: c.state, n })));
    }
    expect(told).toEqual([{ state: 'healthy', n: 10 }]);
    expect((await fixture.repos.protection.state(fixture.subscriberId))?.effectiveRatePerSecond).toBeNull();
  });

  it('disables the subscriber, once, when its circuit stays open past WEBHOOK_DISABLE_AFTER', async () => {
    const short = { ...settings, disableAfterMs: 1_000, probeMinMs: 5_000 };
    for (const id of ['a', 'b', 'c']) await release((await lease(id, short)).leaseId, timeout(), short);
    await new Promise((r) => setTimeout(r, 1_100));
    const answers = await Promise.all([ask('d', short), ask('e', short)]);
    const told = answers.flatMap((a) => ('change' in a && a.change ? [a.change] : []));
    expect(told.map((c) => [c.state, c.previous])).toEqual([['disabled', 'open']]);
    const sub = await fixture.repos.subscribers.get(fixture.subscriberId);
    expect(sub).toMatchObject({ active: false });
    expect(sub!.disabledReason).toMatch(/WEBHOOK_DISABLE_AFTER/);

    // Re-enabling closes the circuit and tells `recovered`.
    const reset = await fixture.repos.protection.circuit.reset(fixture.subscriberId, 're-enabled by an operator');
    expect(reset).toMatchObject({ state: 'healthy', previous: 'disabled' });
    expect(await ask('f', short)).toHaveProperty('leaseId');
  });
  it('counts the successes a warm lease carried before its failure, so they weigh against the failure rate', async () => {
    const rate: BreakerSettings = { ...settings, timeoutsInRow: 100, minAttempts: 2, failureRate: 0.5 };
    const fail = (): AttemptResult => attemptResult(1, now(), now(), 'failure', { statusCode: 500, error: 'HTTP 500' });
    const first = await lease('w1', rate);
    expect(first.reusable).toBe(true);
    expect(await release(first.leaseId, fail(), rate)).toEqual([]);
    // Eight successes carried, then a failure: 2 of 10 failed, under 50 %. Without them, 2 of 2.
    const second = await lease('w2', rate);
    const told = await fixture.repos.protection.release(second.leaseId, null, null, { signal: 'failure', error: 'HTTP 500', settings: rate }, 8);
    expect(told).toEqual([]);
    expect((await fixture.repos.protection.circuit.view(fixture.subscriberId))?.state).toBe('closed');
  });

  it('marks a lease not reusable once the adaptive cap is lowered', async () => {
    const first = await lease('a');
    await fixture.repos.protection.release(first.leaseId, null, { signal: 'overload', maxInFlight: 8 }, { signal: 'timeout', error: 'timed out', settings });
    expect((await lease('b')).reusable).toBe(false);
  });
});

import { createHookRunner, type HookFailure } from '../../../src/extensions/hook-runner';
import type { DispatchEvent } from '../../../src/extensions/plugin-api';

const event: DispatchEvent = { id: 'evt_1', type: 'order.created', source: 'api', agentId: null, occurredAt: null, data: { n: 1 } };
const delivery = { id: 'dlv_1', eventId: 'evt_1', eventType: 'order.created', subscriberId: 'sub_1', attempts: 1 };

function runner(parts: Partial<Parameters<typeof createHookRunner>[0]>) {
  const failures: HookFailure[] = [];
  const warnings: string[] = [];
  const hooks = createHookRunner({
    beforeDispatch: [],
    afterDelivery: [],
    timeoutMs: 100,
    logger: { warn: (_obj, msg) => warnings.push(msg ?? '') },
    onFailure: (f) => failures.push(f),
    ...parts,
  });
  return { hooks, failures, warnings };
}

describe('the hook runner', () => {
  it('chains enrichments in registration order and stops at the first veto', async () => {
    const seen: unknown[] = [];
    const { hooks } = runner({
      beforeDispatch: [
        { plugin: 'a', fn: (e) => ({ data: { ...(e.data as object), a: true } }) },
        { plugin: 'b', fn: (e) => void seen.push(e.data) },
        { plugin: 'c', fn: () => ({ veto: 'not today' }) },
        { plugin: 'd', fn: () => void seen.push('d ran') },
      ],
    });
    expect(await hooks.beforeDispatch(event)).toEqual({ vetoed: true, plugin: 'c', reason: 'not today' });
    expect(seen).toEqual([{ n: 1, a: true }]);
  });

  it('logs, counts and ignores a beforeDispatch hook that throws, and one that does not answer in time', async () => {
    const { hooks, failures, warnings } = runner({
      beforeDispatch: [
        { plugin: 'thrower', fn: () => { throw new Error('boom'); } },
        { plugin: 'sleeper', fn: () => new Promise(() => undefined) },
        { plugin: 'enricher', fn: () => ({ data: { enriched: true } }) },
      ],
    });
    const started = Date.now();
    expect(await hooks.beforeDispatch(event)).toEqual({ vetoed: false, data: { enriched: true }, enriched: true });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(failures).toEqual([
      { plugin: 'thrower', hook: 'beforeDispatch', reason: 'error' },
      { plugin: 'sleeper', hook: 'beforeDispatch', reason: 'timeout' },
    ]);
    expect(warnings).toEqual(['plugin thrower: beforeDispatch hook threw; ignored', 'plugin sleeper: beforeDispatch hook timed out; ignored']);
  });

  it('tells every afterDelivery hook even when an earlier one throws or hangs, and never throws itself', async () => {
    const told: string[] = [];
    const { hooks, failures } = runner({
      afterDelivery: [
        { plugin: 'thrower', fn: async () => { throw new Error('sink down'); } },
        { plugin: 'sleeper', fn: () => new Promise(() => undefined) },
        { plugin: 'listener', fn: (d, o) => void told.push(`${d.id}:${o.status}`) },
      ],
    });
    await expect(hooks.afterDelivery(delivery, { status: 'dead', statusCode: 500, error: 'all 3 attempts failed' })).resolves.toBeUndefined();
    expect(told).toEqual(['dlv_1:dead']);
    expect(failures.map((f) => `${f.plugin}/${f.reason}`)).toEqual(['thrower/error', 'sleeper/timeout']);
  });
});

import { randomUUID } from 'node:crypto';
import { orderedKeyWorkflowId } from '../../src/domain/ordering-key';
import type { TemporalDriver } from '../../src/temporal/temporal-driver';
import { eventually, startHarness, type Harness } from '../helpers/harness';
import { keySwitches, startOrderedReceiver, type OrderedReceiver } from '../helpers/ordered-receiver';

// Ordered delivery per key (issue 19): one subscriber's deliveries of one key are made one after
// another, in the order the events were accepted; other keys and unkeyed events run beside them.

describe('ordered delivery per key', () => {
  let h: Harness;
  const receivers: OrderedReceiver[] = [];

  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await Promise.all(receivers.map((r) => r.close()));
    await h?.stop();
  });

  const name = (base: string) => `${base}.${randomUUID().slice(0, 8)}`;
  const receiver = async (options: Parameters<typeof startOrderedReceiver>[0]) => {
    const r = await startOrderedReceiver(options);
    receivers.push(r);
    return r;
  };
  const subscribe = async (url: string, event: string, extra: Record<string, unknown> = {}) => {
    const created = await h.admin('POST', '/subscribers', { url, events: [event], ordered_delivery: true, ...extra });
    expect(created.status).toBe(201);
    return created.json.id as string;
  };
  /** Dispatches `perKey` events for each key, each key's in order, the keys concurrently. */
  const dispatchKeys = async (event: string, keys: string[], perKey: number, from = 0) => {
    await Promise.all(
      keys.map(async (key) => {
        for (let n = from; n < from + perKey; n++) {
          const res = await h.admin('POST', '/events', { event, ordering_key: key, data: { key, n } });
          expect(res.status).toBe(202);
        }
      }),
    );
  };

  it('refuses an ordering key outside its alphabet, naming the field, and stores a valid one with its acceptance sequence', async () => {
    const bad = await h.admin('POST', '/events', { event: name('ord'), ordering_key: 'has space', data: {} });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.json)).toContain('ordering_key');
    const long = await h.admin('POST', '/events', { event: name('ord'), ordering_key: 'k'.repeat(257), data: {} });
    expect(long.status).toBe(400);

    const ev = name('ord');
    const first = await h.admin('POST', '/events', { event: ev, ordering_key: 'customer:42', data: { n: 0 } });
    const second = await h.admin('POST', '/events', { event: ev, ordering_key: 'customer:42', data: { n: 1 } });
    const a = await h.admin('GET', `/events/${first.json.event_id}`);
    const b = await h.admin('GET', `/events/${second.json.event_id}`);
    expect(a.json.ordering_key).toBe('customer:42');
    expect(b.json.sequence).toBeGreaterThan(a.json.sequence);
  });

  it('reads the key from the generic envelope and, for a named source, from its JSON pointer', async () => {
    const generic = await h.sendInbound({ event: name('ord-in'), timestamp: Math.floor(Date.now() / 1000), ordering_key: 'order-7', data: { a: 1 } });
    expect(generic.status).toBe(200);
    expect((await h.admin('GET', `/events/${generic.json.event_id}`)).json.ordering_key).toBe('order-7');
    const refused = await h.sendInbound({ event: name('ord-in'), timestamp: Math.floor(Date.now() / 1000), ordering_key: { no: 1 }, data: {} });
    expect(refused.status).toBe(400);
    expect(refused.json.error).toBe('invalid_ordering_key');

    const source = name('src').replace('.', '-');
    const created = await h.admin('POST', '/sources', { name: source, verifier: 'generic', secrets: ['source-secret-123'], ordering_key_pointer: '/data/customer/id' });
    expect(created.status).toBe(201);
    expect(created.json.ordering_key_pointer).toBe('/data/customer/id');
    expect((await h.admin('POST', '/sources', { name: `${source}x`, verifier: 'generic', ordering_key_pointer: 'data' })).status).toBe(400);

    const { signV1 } = await import('../../src/domain/signature');
    const raw = JSON.stringify({ event: name('ord-src'), timestamp: Math.floor(Date.now() / 1000), data: { customer: { id: 991 } } });
    const res = await h.app.inject({ method: 'POST', url: `${h.config.WEBHOOK_INBOUND_PATH}/${source}`, payload: raw, headers: { 'content-type': 'application/json', 'x-signature': signV1(raw, 'source-secret-123') } });
    expect(res.statusCode).toBe(200);
    expect((await h.admin('GET', `/events/${res.json().event_id}`)).json.ordering_key).toBe('991');
  });

  it('delivers 300 events over 5 keys strictly in sequence per key, with no gaps, while the keys interleave, through 30 % random 500s', async () => {
    const ev = name('ord-300');
    const r = await receiver({ seed: 19, failRate: 0.3, maxRandomFailures: 3 });
    const subscriberId = await subscribe(r.receiver.url, ev);
    const keys = ['k0', 'k1', 'k2', 'k3', 'k4'];
    await dispatchKeys(ev, keys, 60);

    await eventually(async () => keys.every((k) => r.applied.get(k) === 59), 150_000, 250);
    expect(r.early).toEqual([]);
    expect(r.failures).toBeGreaterThan(30);
    // Interleaved: far more key switches than the 4 of one key after another.
    expect(keySwitches(r.appliedOrder)).toBeGreaterThan(50);

    // One workflow per (subscriber, key) in Temporal, with its queue in its details.
    const client = (h.runtime.driver as TemporalDriver).client;
    const described = await client.workflow.getHandle(orderedKeyWorkflowId(subscriberId, 'k0')).describe();
    expect(described.type).toBe('orderedKeyWorkflow');
    const overview = await h.admin('GET', `/subscribers/${subscriberId}/ordering`);
    expect(overview.json).toMatchObject({ ordered_delivery: true, ordering_on_dead: 'block', blocked: [] });
  }, 180_000);

  it('block: a dead delivery stops its key (visible in the admin API) until an operator skips it; other keys go on', async () => {
    const ev = name('ord-block');
    const r = await receiver({ seed: 7, failRate: 0, maxRandomFailures: 0, poison: new Set(['a/2']) });
    const subscriberId = await subscribe(r.receiver.url, ev);
    await dispatchKeys(ev, ['a', 'b'], 6);

    await eventually(async () => r.applied.get('b') === 5, 60_000);
    const blocked = await eventually(async () => {
      const res = await h.admin('GET', `/subscribers/${subscriberId}/ordering`);
      return res.json.blocked.length === 1 ? res.json : null;
    }, 60_000);
    expect(blocked.blocked[0].ordering_key).toBe('a');
    expect(blocked.queues).toEqual([{ ordering_key: 'a', pending: 3 }]);
    // The Temporal UI shows the key's workflow with its state and queue length (its current details).
    const keyWorkflow = (h.runtime.driver as TemporalDriver).client.workflow.getHandle(orderedKeyWorkflowId(subscriberId, 'a'));
    const metadata = await eventually(async () => {
      const m = await keyWorkflow.query<{ currentDetails: string }>('__temporal_workflow_metadata');
      return m.currentDetails.startsWith('**blocked**') ? m : null;
    }, 10_000);
    expect(metadata.currentDetails).toContain(`**blocked** by dead delivery ${blocked.blocked[0].delivery_id} since`);
    expect(metadata.currentDetails).toContain('· **3** in the queue');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(r.applied.get('a')).toBe(1);

    // A replay of the dead delivery takes its place at the head of the key and lifts the block
    // (the receiver still refuses it, so it dies again and blocks the key again).
    const deadId = blocked.blocked[0].delivery_id;
    const replayed = await h.admin('POST', '/dead-letters/replay', { ids: [deadId] });
    expect(replayed.status).toBe(202);
    expect(replayed.json.replayed).toHaveLength(1);
    const reblocked = await eventually(async () => {
      const res = await h.admin('GET', `/subscribers/${subscriberId}/ordering`);
      return res.json.blocked[0]?.delivery_id && res.json.blocked[0].delivery_id !== deadId ? res.json : null;
    }, 60_000);
    expect(r.applied.get('a')).toBe(1);

    const skipped = await h.admin('POST', `/subscribers/${subscriberId}/ordering/skip`, { ordering_key: 'a' });
    expect(skipped.status).toBe(200);
    expect(skipped.json.skipped_delivery_id).toBe(reblocked.blocked[0].delivery_id);
    await eventually(async () => r.applied.get('a') === 5, 60_000);
    expect(r.early).toEqual([]);
    expect((await h.admin('POST', `/subscribers/${subscriberId}/ordering/skip`, { ordering_key: 'a' })).status).toBe(409);
  }, 120_000);

  it('skip: a dead delivery is passed over and the key goes on in order', async () => {
    const ev = name('ord-skip');
    const r = await receiver({ seed: 8, failRate: 0, maxRandomFailures: 0, poison: new Set(['a/1', 'a/3']) });
    const subscriberId = await subscribe(r.receiver.url, ev, { ordering_on_dead: 'skip' });
    await dispatchKeys(ev, ['a'], 6);

    await eventually(async () => r.applied.get('a') === 5, 60_000);
    expect(r.early).toEqual([]);
    expect(r.appliedOrder).toHaveLength(4);
    const overview = await h.admin('GET', `/subscribers/${subscriberId}/ordering`);
    expect(overview.json.blocked).toEqual([]);
  }, 120_000);

  it('leaves unkeyed events and subscribers that did not ask for order on the usual path', async () => {
    const ev = name('ord-plain');
    const r = await receiver({ seed: 9, failRate: 0, maxRandomFailures: 0 });
    const created = await h.admin('POST', '/subscribers', { url: r.receiver.url, events: [ev] });
    expect(created.json.ordered_delivery).toBe(false);
    await h.admin('POST', '/events', { event: ev, ordering_key: 'x', data: { key: 'x', n: 0 } });
    await h.admin('POST', '/events', { event: ev, data: { key: 'y', n: 0 } });
    await eventually(async () => r.applied.size === 2, 30_000);
    const client = (h.runtime.driver as TemporalDriver).client;
    await expect(client.workflow.getHandle(orderedKeyWorkflowId(created.json.id, 'x')).describe()).rejects.toThrow();
  });
});

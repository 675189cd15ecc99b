import { randomUUID } from 'node:crypto';
import { eq, inArray } from 'drizzle-orm';
import { deliveries, events, logs } from '../../src/db/schema';
import { recentFailures } from '../../examples/plugins/team-chat';
import { outcomes } from '../fixtures/plugins/outcome-recorder';
import { eventually, startHarness, type Harness } from '../helpers/harness';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { readTestRuntime } from '../helpers/runtime-file';
import { baseServiceEnv, spawnService, tearDown } from '../helpers/service-process';

// The example plugin of docs/plugins.md and a test plugin that misbehaves on request, loaded
// through WEBHOOK_PLUGINS by a real api + worker (Temporal, PostgreSQL, loopback receivers).

const EXAMPLE = './examples/plugins/team-chat.ts';
const RECORDER = './test/fixtures/plugins/outcome-recorder.ts';

describe('plugins', () => {
  let h: Harness;
  const receivers: Receiver[] = [];

  beforeAll(async () => {
    // Two subscribers here always fail: the circuit breaker (issue 18) would rightly open on them
    // and hold their deliveries past this test's wait; this test is about the hooks, not the breaker.
    h = await startHarness({ WEBHOOK_PLUGINS: `${EXAMPLE},${RECORDER}`, WEBHOOK_HOOK_TIMEOUT: '300ms', WEBHOOK_RETRY_SCHEDULE: '100ms,200ms', WEBHOOK_BREAKER_MIN_ATTEMPTS: '100000', WEBHOOK_BREAKER_TIMEOUTS: '100000' });
  });
  afterAll(async () => {
    await Promise.all(receivers.map((r) => r.close()));
    await h?.stop();
  });

  async function receiver(...args: Parameters<typeof startReceiver>) {
    const r = await startReceiver(...args);
    receivers.push(r);
    return r;
  }
  async function subscribe(url: string, event: string, extra: Record<string, unknown> = {}) {
    const res = await h.admin('POST', '/subscribers', { url, events: [event], ...extra });
    expect(res.status).toBe(201);
    return res.json as { id: string };
  }
  async function dispatch(event: string, data: Record<string, unknown> = {}) {
    const res = await h.admin('POST', '/events', { event, data });
    expect(res.status).toBe(202);
    return res.json as { event_id: string };
  }
  const name = (base: string) => `${base}.${randomUUID().slice(0, 8)}`;
  const deliveriesOf = (eventIds: string[]) => h.database.db.select().from(deliveries).where(inArray(deliveries.eventId, eventIds));

  it('reshapes the payload for the one subscriber that names a transform, enriches it for all, and fails only the delivery whose transform throws or returns no JSON', async () => {
    const ev = name('order');
    const [plain, discord, explode, notJson] = await Promise.all([receiver(), receiver(), receiver(), receiver()]);
    await subscribe(plain.url, ev);
    await subscribe(discord.url, ev, { transform: 'discord' });
    const exploding = await subscribe(explode.url, ev, { transform: 'explode' });
    const nonJson = await subscribe(notJson.url, ev, { transform: 'not-json' });
    const { event_id } = await dispatch(ev, { total: 5 });

    const [[p], [d]] = await Promise.all([plain.waitFor(1), discord.waitFor(1)]);
    expect(JSON.parse(p.body)).toEqual({ event: ev, timestamp: expect.any(Number), data: { total: 5, owner_team: 'checkout' } });
    expect(JSON.parse(d.body)).toEqual({ content: `**${ev}** \`${event_id}\`\n{"total":5,"owner_team":"checkout"}` });

    const rows = await eventually(async () => {
      const all = await deliveriesOf([event_id]);
      return all.length === 4 && all.every((r) => r.status !== 'pending') ? all : null;
    });
    const bySubscriber = new Map(rows.map((r) => [r.subscriberId, r]));
    expect(bySubscriber.get(exploding.id)).toMatchObject({ status: 'failed', lastError: expect.stringContaining('transform "explode" threw: the transform blew up') });
    expect(bySubscriber.get(nonJson.id)).toMatchObject({ status: 'failed', lastError: expect.stringContaining('transform "not-json" returned something that is not JSON') });
    expect(rows.filter((r) => r.status === 'succeeded')).toHaveLength(2);
    const failedLogs = await h.database.db.select().from(logs).where(eq(logs.subscriberId, exploding.id));
    expect(failedLogs).toEqual([expect.objectContaining({ outcome: 'refused', error: expect.stringContaining('the transform blew up') })]);
    expect(explode.requests).toHaveLength(0);
    expect(notJson.requests).toHaveLength(0);
  });

  it('starts nothing for an event beforeDispatch vetoes, and records the reason on the event', async () => {
    const ev = name('order');
    const r = await receiver();
    await subscribe(r.url, ev);
    const { event_id } = await dispatch(ev, { dry_run: true });
    const row = await eventually(async () => {
      const [e] = await h.database.db.select().from(events).where(eq(events.id, event_id));
      return e?.status === 'vetoed' && e.workflowStartedAt ? e : null;
    });
    expect(row.vetoReason).toBe(`${EXAMPLE}: dry run: not delivered`);
    const shown = await h.admin('GET', `/events?event=${ev}`);
    expect(shown.json.data[0]).toMatchObject({ id: event_id, status: 'vetoed', veto_reason: `${EXAMPLE}: dry run: not delivered` });
    // Whatever is still in flight has had its chance to show up.
    await new Promise((res) => setTimeout(res, 1_000));
    expect(await deliveriesOf([event_id])).toHaveLength(0);
    expect(r.requests).toHaveLength(0);
  });

  it('tells afterDelivery of every final outcome exactly once in a 100-delivery run', async () => {
    const ev = name('outcomes');
    // Ten subscribers: four succeed at once, two after a 500, two are refused (a transform that throws), two always fail (dead).
    const kinds = ['ok', 'ok', 'ok', 'ok', 'flaky', 'flaky', 'refuse', 'refuse', 'down', 'down'] as const;
    const seen = new Set<string>();
    const r = await receiver((req) => {
      const kind = new URL(req.url, 'http://x').searchParams.get('kind');
      const delivery = String(req.headers['x-webhook-delivery']);
      if (kind === 'ok') return { status: 200 };
      if (kind === 'down') return { status: 500 };
      if (seen.has(delivery)) return { status: 200 };
      seen.add(delivery);
      return { status: 500 };
    });
    for (const kind of kinds) await subscribe(`${r.url}?kind=${kind}`, ev, kind === 'refuse' ? { transform: 'explode' } : {});
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push((await dispatch(ev, { i })).event_id);

    const final = await eventually(async () => {
      const rows = await deliveriesOf(ids);
      return rows.length === 100 && rows.every((row) => row.status !== 'pending') ? rows : null;
    }, 45_000);
    const told = await eventually(async () => {
      const mine = outcomes.filter((o) => o.delivery.eventType === ev);
      return mine.length >= 100 ? mine : null;
    });
    // A moment for a duplicate to show up, if there were one.
    await new Promise((res) => setTimeout(res, 500));
    const mine = outcomes.filter((o) => o.delivery.eventType === ev);
    expect(mine).toHaveLength(100);
    expect(new Set(mine.map((o) => o.delivery.id)).size).toBe(100);
    const statusOf = new Map(final.map((row) => [row.id, row.status]));
    for (const o of told) expect(o.outcome.status).toBe(statusOf.get(o.delivery.id));
    const counts = mine.reduce<Record<string, number>>((acc, o) => ({ ...acc, [o.outcome.status]: (acc[o.outcome.status] ?? 0) + 1 }), {});
    expect(counts).toEqual({ succeeded: 60, failed: 20, dead: 20 });
    expect(mine.find((o) => o.outcome.status === 'dead')).toMatchObject({ delivery: { attempts: 3 }, outcome: { statusCode: 500 } });
    // The example plugin keeps the last failures it was told of.
    expect(recentFailures().filter((f) => f.eventType === ev).length).toBe(40);
  });

  it('tells afterDelivery of a cancelled delivery once', async () => {
    const ev = name('cancel');
    // Every attempt fails slowly: the delivery is in its workflow, mid-attempt or in a backoff, when it is cancelled.
    const r = await receiver(() => ({ status: 500, delayMs: 700 }));
    await subscribe(r.url, ev);
    const { event_id } = await dispatch(ev);
    const row = await eventually(async () => {
      const [d] = await deliveriesOf([event_id]);
      return d?.workflowStartedAt ? d : null;
    });
    const res = await h.admin('POST', `/deliveries/${row.id}/cancel`, { reason: 'the receiver is being replaced' });
    expect(res.status).toBe(202);
    await eventually(async () => {
      const [d] = await deliveriesOf([event_id]);
      return d?.status === 'cancelled';
    });
    await eventually(async () => outcomes.some((o) => o.delivery.id === row.id));
    await new Promise((res) => setTimeout(res, 500));
    expect(outcomes.filter((o) => o.delivery.id === row.id)).toEqual([
      { delivery: expect.objectContaining({ id: row.id, eventId: event_id }), outcome: { status: 'cancelled', statusCode: 500, error: 'the receiver is being replaced' } },
    ]);
  });

  it('logs and counts a hook that throws or hangs, and still delivers each event exactly once', async () => {
    const [throws, hangs] = await Promise.all([receiver(), receiver()]);
    await subscribe(throws.url, 'hook.throws');
    await subscribe(hangs.url, 'hook.hangs');
    const a = await dispatch('hook.throws', { n: 1 });
    const b = await dispatch('hook.hangs', { n: 2 });
    await Promise.all([throws.waitFor(1), hangs.waitFor(1)]);
    await eventually(async () => outcomes.some((o) => o.delivery.eventId === a.event_id));
    await eventually(async () => outcomes.some((o) => o.delivery.eventId === b.event_id));
    await new Promise((res) => setTimeout(res, 500));
    expect(throws.requests).toHaveLength(1);
    expect(hangs.requests).toHaveLength(1);
    expect(await deliveriesOf([a.event_id, b.event_id])).toEqual([expect.objectContaining({ status: 'succeeded' }), expect.objectContaining({ status: 'succeeded' })]);
    const text = await h.runtime.metrics.expose();
    expect(text).toContain(`webhook_plugin_hook_failures_total{plugin="${RECORDER}",hook="beforeDispatch",reason="error"} 1`);
    expect(text).toContain(`webhook_plugin_hook_failures_total{plugin="${RECORDER}",hook="beforeDispatch",reason="timeout"} 1`);
    expect(text).toContain(`webhook_plugin_hook_failures_total{plugin="${RECORDER}",hook="afterDelivery",reason="error"} 1`);
  });

  it('refuses a subscriber naming an unknown transform with a 400 that lists the known ones, plugins included', async () => {
    const res = await h.admin('POST', '/subscribers', { url: 'http://127.0.0.1:9/x', events: ['a.b'], transform: 'discrod' });
    expect(res.status).toBe(400);
    expect(res.json.message).toContain('data-only, discord, explode, not-json, slack-text');
    const created = await h.admin('POST', '/subscribers', { url: 'http://127.0.0.1:9/x', events: ['a.b'] });
    const patched = await h.admin('PATCH', `/subscribers/${created.json.id}`, { transform: 'discrod' });
    expect(patched.status).toBe(400);
    expect(patched.json.message).toContain('discord');
  });

  it('previews a transform on a sample event without sending anything', async () => {
    expect((await h.admin('GET', '/transforms')).json).toEqual({ transforms: ['data-only', 'discord', 'explode', 'not-json', 'slack-text'] });
    const ok = await h.admin('POST', '/transforms/preview', { transform: 'discord', event: 'order.created', data: { total: 5 }, id: 'evt_sample' });
    expect(ok).toEqual({ status: 200, json: { transform: 'discord', body: { content: '**order.created** `evt_sample`\n{"total":5}' }, bytes: expect.any(Number) } });
    const none = await h.admin('POST', '/transforms/preview', { transform: null, event: 'order.created', data: { total: 5 }, timestamp: 7 });
    expect(none.json.body).toEqual({ event: 'order.created', timestamp: 7, data: { total: 5 } });
    const unknown = await h.admin('POST', '/transforms/preview', { transform: 'discrod', event: 'order.created' });
    expect(unknown).toEqual({ status: 400, json: { error: 'unknown_transform', message: expect.stringContaining('discrod'), details: { known: ['data-only', 'discord', 'explode', 'not-json', 'slack-text'] } } });
    const failing = await h.admin('POST', '/transforms/preview', { transform: 'explode', event: 'order.created' });
    expect(failing).toEqual({ status: 422, json: { error: 'transform_failed', message: 'transform "explode" threw: the transform blew up' } });
    const noAuth = await h.app.inject({ method: 'GET', url: '/admin/api/transforms' });
    expect(noAuth.statusCode).toBe(401);
  });

  it('stops a worker process at start-up with the name of a plugin that throws in register', async () => {
    const rt = readTestRuntime();
    const worker = spawnService(
      'worker',
      baseServiceEnv({ DATABASE_URL: rt.postgresUrl, TEMPORAL_ADDRESS: rt.temporalAddress, WEBHOOK_PLUGINS: './test/fixtures/plugins/throws-in-register.ts' }),
    );
    try {
      const { code } = await worker.exited;
      expect(code).toBe(1);
      expect(worker.output()).toContain('plugin "./test/fixtures/plugins/throws-in-register.ts" threw in register(): missing API key for the audit sink');
    } finally {
      await tearDown();
    }
  });
});

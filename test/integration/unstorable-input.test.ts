import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { startHarness, nowSeconds, type Harness } from '../helpers/harness';

// Input PostgreSQL cannot hold (a NUL, an unpaired surrogate) and event types or agent ids
// outside the documented alphabet are refused where they enter: 400 with a code and a message
// naming the field, never a 5xx, and nothing written.

const NUL = '\u0000';
const LONE = '\ud800';

describe('input the database cannot hold, and the event type alphabet', () => {
  let h: Harness;
  const rows = async () => {
    const result = await h.database.db.execute(sql`select
      (select count(*) from webhook_events)::int as events,
      (select count(*) from webhook_subscribers)::int as subscribers,
      (select count(*) from webhook_sources)::int as sources,
      (select coalesce(max(updated_at), 'epoch') from webhook_subscribers)::text as sub_updated`);
    return (result as unknown as { rows: unknown[] }).rows[0];
  };

  beforeAll(async () => {
    h = await startHarness({ LOG_LEVEL: 'silent' }, { worker: false });
  });
  afterAll(async () => {
    await h?.stop();
  });

  const inbound = (overrides: Record<string, unknown>) => ({ event: 'order.created', timestamp: nowSeconds(), data: { a: 1 }, id: randomUUID(), ...overrides });

  it.each([
    ['data', { data: { note: `a${NUL}b` } }, 'invalid_text', 'data.note'],
    ['a data key', { data: { [`k${LONE}`]: 1 } }, 'invalid_text', 'data.k'],
    ['data (a lone surrogate)', { data: [`x${LONE}`] }, 'invalid_text', 'data.0'],
    ['id', { id: `id${NUL}` }, 'invalid_text', 'id'],
    ['event (a NUL)', { event: `order${NUL}created` }, 'invalid_text', 'event'],
    ['event (a lone surrogate)', { event: `order.${LONE}` }, 'invalid_text', 'event'],
    ['event (outside ASCII)', { event: '订单.创建' }, 'invalid_event', 'event'],
    ['event (an internal type)', { event: 'webhook.delivery.dead_lettered' }, 'invalid_event', 'reserved'],
  ])('refuses a signed inbound event with a bad %s: 400, nothing written', async (_label, overrides, code, named) => {
    const before = await rows();
    const res = await h.sendInbound(inbound(overrides));
    expect(res.status).toBe(400);
    expect(res.json.error).toBe(code);
    expect(res.json.message).toContain(named);
    expect(await rows()).toEqual(before);
  });

  it('refuses an agent id outside the alphabet on the inbound gateway', async () => {
    const res = await h.sendInbound(inbound({}), { headers: { 'x-agent-id': 'агент' } });
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ error: 'invalid_agent_id' });
  });

  it.each([
    ['POST', '/events', { event: 'order.created', data: { x: `a${NUL}` } }, 'data.x'],
    ['POST', '/events', { event: 'order.created', id: `k${LONE}` }, 'id'],
    ['POST', '/events', { event: '订单.创建' }, 'event'],
    ['POST', '/events', { event: 'webhook.delivery.dead_lettered' }, 'event'],
    ['POST', '/events', { event: 'order.created', agent_id: 'agent 1' }, 'agent_id'],
    ['POST', '/subscribers', { url: 'https://example.com/hook', events: ['order.*'], name: `n${NUL}` }, 'name'],
    ['POST', '/subscribers', { url: 'https://example.com/hook', events: ['order.*'], headers: { 'X-Token': `v${LONE}` } }, 'headers.X-Token'],
    ['POST', '/sources', { name: 'fuzzed', verifier: 'generic', secrets: [`secret-with-nul${NUL}`] }, 'secrets.0'],
    ['GET', `/events?event=${encodeURIComponent(NUL)}`, undefined, 'event'],
    ['GET', `/deliveries?event_id=a${encodeURIComponent(NUL)}`, undefined, 'event_id'],
    ['GET', `/events/${encodeURIComponent(`x${NUL}`)}`, undefined, 'id'],
    ['GET', `/sources/${encodeURIComponent(`x${NUL}`)}`, undefined, 'name'],
    ['DELETE', `/sources/${encodeURIComponent(`x${NUL}`)}`, undefined, 'name'],
  ] as const)('refuses %s %s with 400 naming the field, writing nothing', async (method, url, body, field) => {
    const before = await rows();
    const res = await h.admin(method, url, body);
    expect(res.status).toBe(400);
    expect(Object.keys(res.json)).toEqual(expect.arrayContaining(['error', 'message']));
    expect(res.json.message).toContain(field);
    expect(await rows()).toEqual(before);
  });

  it('refuses a PATCH of a subscriber with text it cannot store, and leaves the row as it was', async () => {
    const sub = await h.admin('POST', '/subscribers', { url: 'https://example.com/hook', events: ['order.*'] });
    expect(sub.status).toBe(201);
    const before = await rows();
    const res = await h.admin('PATCH', `/subscribers/${sub.json.id}`, { description: `d${LONE}` });
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ error: 'invalid_text' });
    expect(res.json.message).toContain('description');
    expect(await rows()).toEqual(before);
  });
});

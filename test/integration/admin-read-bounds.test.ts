import { randomUUID } from 'node:crypto';
import { normalizeEvent, toEventRow } from '../../src/events/normalized-event';
import { startHarness, type Harness } from '../helpers/harness';

// The read side's memory does not grow with payloads: lists select no bodies, and an event's
// deliveries come a page at a time.

describe('admin API: bounded reads', () => {
  let h: Harness;
  let eventId: string;
  const body = 'x'.repeat(64 * 1024);

  beforeAll(async () => {
    h = await startHarness({ LOG_LEVEL: 'silent' }, { worker: false });
    const { repos } = h.runtime;
    const { event } = await repos.events.insertIfAbsent(toEventRow(normalizeEvent({ source: 'api', type: 'bounded.read', externalId: 'bounded', data: { big: body } })));
    eventId = event.id;
    const subs = [];
    for (let i = 0; i < 5; i++) subs.push((await h.admin('POST', '/subscribers', { url: 'https://example.com/hook', events: ['bounded.*'] })).json.id as string);
    await repos.deliveries.createMany(subs.map((subscriberId) => ({ id: randomUUID(), eventId, subscriberId, eventType: 'bounded.read', workflowId: `wf-${subscriberId}`, requestBody: body, status: 'dead' as const })));
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('lists events and deliveries without selecting their payloads or bodies', async () => {
    const { repos } = h.runtime;
    const [event] = await repos.events.list({ limit: 10 });
    expect(event.id).toBe(eventId);
    expect(event).not.toHaveProperty('payload');
    const unstarted = await repos.events.listUnstarted(new Date(Date.now() + 60_000), 10);
    expect(unstarted.map((e) => e.id)).toContain(eventId);
    expect(unstarted[0]).not.toHaveProperty('payload');
    const deliveries = await repos.deliveries.list({ limit: 10 });
    expect(deliveries).toHaveLength(5);
    for (const d of deliveries) expect(d).not.toHaveProperty('requestBody');
    expect(JSON.stringify((await h.admin('GET', '/dead-letters?limit=10')).json)).not.toContain(body.slice(0, 100));
  });

  it("pages an event's deliveries, without their bodies", async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: { status: number; json: any } = await h.admin('GET', `/events/${eventId}?deliveries_limit=2${cursor ? `&deliveries_cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      expect(res.json.payload).toEqual({ big: body });
      expect(res.json.deliveries.length).toBeLessThanOrEqual(2);
      for (const d of res.json.deliveries) expect(d).not.toHaveProperty('requestBody');
      seen.push(...res.json.deliveries.map((d: { id: string }) => d.id));
      cursor = res.json.deliveries_next_cursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(5);
    const bad = await h.admin('GET', `/events/${eventId}?deliveries_limit=100000`);
    expect(bad.status).toBe(400);
    expect(bad.json.message).toContain('deliveries_limit');
  });
});

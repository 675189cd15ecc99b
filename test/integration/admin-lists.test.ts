import { subscribers } from '../../src/db/schema';
import { seedSubscriber } from '../helpers/admin-seed';
import { eventually, startHarness, type Harness } from '../helpers/harness';
import { startReceiver } from '../helpers/receiver';

// GET /admin/api/events and /deliveries (SPEC S8): newest first, filters, cursor pagination; and
// the subscribers list's search.

describe('admin API: events and deliveries lists', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ LOG_LEVEL: 'silent' });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('lists events newest first, filtered by type and status, page by page', async () => {
    const ids: string[] = [];
    for (const [i, event] of ['listing.a', 'listing.b', 'listing.a', 'listing.a'].entries()) {
      const res = await h.admin('POST', '/events', { event, id: `listing-${i}`, data: { secret_ish: `payload-${i}` } });
      ids.push(res.json.event_id);
    }

    const all = await h.admin('GET', '/events?limit=10');
    expect(all.status).toBe(200);
    expect(all.json.data.map((e: { id: string }) => e.id)).toEqual([...ids].reverse());
    expect(all.json.data[0]).toMatchObject({ event: 'listing.a', source: 'api', external_id: 'listing-3', workflow_id: `event/${ids[3]}` });
    expect(all.json.data[0]).not.toHaveProperty('payload');
    expect(all.json.next_cursor).toBeNull();

    // Pages of two, by type: the cursor continues strictly after the last row.
    const first = await h.admin('GET', '/events?event=listing.a&limit=2');
    expect(first.json.data.map((e: { id: string }) => e.id)).toEqual([ids[3], ids[2]]);
    const second = await h.admin('GET', `/events?event=listing.a&limit=2&cursor=${first.json.next_cursor}`);
    expect(second.json.data.map((e: { id: string }) => e.id)).toEqual([ids[0]]);
    expect(second.json.next_cursor).toBeNull();

    // No subscriber: each fan-out completes at once and the event becomes `processed`.
    await eventually(async () => (await h.admin('GET', '/events?status=processed&limit=10')).json.data.length === 4);
    expect((await h.admin('GET', '/events?status=received')).json.data).toEqual([]);
  });

  it('refuses a bad filter or cursor with 400 and names the field', async () => {
    const badStatus = await h.admin('GET', '/events?status=done');
    expect(badStatus.status).toBe(400);
    expect(JSON.stringify(badStatus.json)).toContain('status');
    const badCursor = await h.admin('GET', '/events?cursor=not-a-cursor');
    expect(badCursor.status).toBe(400);
    expect(badCursor.json.message).toContain('cursor');
  });

  it('requires the admin token', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/admin/api/events' });
    expect(res.statusCode).toBe(401);
  });

  it('pages deliveries with the same kind of cursor', async () => {
    const receiver = await startReceiver();
    try {
      const sub = (await h.admin('POST', '/subscribers', { url: receiver.url, events: ['paging.*'] })).json;
      for (let i = 0; i < 3; i++) await h.admin('POST', '/events', { event: 'paging.x', id: `paging-${i}` });
      await receiver.waitFor(3);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { json: { data: { id: string }[]; next_cursor: string | null } } = await h.admin('GET', `/deliveries?subscriber_id=${sub.id}&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        seen.push(...page.json.data.map((d) => d.id));
        cursor = page.json.next_cursor;
      } while (cursor);
      expect(seen).toHaveLength(3);
      expect(new Set(seen).size).toBe(3);
    } finally {
      await receiver.close();
    }
  });

  // Last in the file: it adds 501 subscribers (to event types nothing here sends).
  it('searches subscribers on the server, past the newest 500 that the list shows', async () => {
    const db = h.database.db;
    const needle = await seedSubscriber(db, { name: 'Needle Corp', url: 'https://needle.example/hook', events: ['needle.*'], createdAt: new Date('2020-01-01T00:00:00Z') });
    await db.insert(subscribers).values(Array.from({ length: 500 }, (_, i) => ({ name: `Hay ${i}`, url: `https://hay-${i}.example/hook`, secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', events: ['hay.*'] })));
    const all = await h.admin('GET', '/subscribers');
    expect(all.json.data).toHaveLength(500);
    expect(all.json.data.some((s: { id: string }) => s.id === needle.id)).toBe(false);
    // By name, URL, id or event pattern, whatever the case.
    for (const search of ['needle corp', 'NEEDLE.example', needle.id, 'needle.*']) {
      const found = await h.admin('GET', `/subscribers?search=${encodeURIComponent(search)}`);
      expect([search, found.status, found.json.data.map((s: { id: string }) => s.id)]).toEqual([search, 200, [needle.id]]);
    }
    // The search's own characters are literal: `%` and `_` match only themselves.
    expect((await h.admin('GET', '/subscribers?search=%25')).json.data).toEqual([]);
    expect((await h.admin('GET', `/subscribers?search=${'_'.repeat(3)}`)).json.data).toEqual([]);
    expect((await h.admin('GET', '/subscribers?search=hay&active=false')).json.data).toEqual([]);
    const long = await h.admin('GET', `/subscribers?search=${'x'.repeat(201)}`);
    expect([long.status, long.json.details?.[0]?.field]).toEqual([400, 'search']);
  });
});

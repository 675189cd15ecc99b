import { seedEvent } from '../helpers/admin-seed';
import { startHarness, type Harness } from '../helpers/harness';

// GET /admin/api/event-types: the catalog of event types seen (issue 12).

describe('admin API: event catalog', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ LOG_LEVEL: 'silent' }, { worker: false });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('lists each event type with its count, when it was last seen and its newest payload', async () => {
    const db = h.database.db;
    const t = (min: number) => new Date(Date.parse('2026-03-01T12:00:00Z') + min * 60_000);
    await seedEvent(db, { type: 'order.created', payload: { n: 1 }, receivedAt: t(0) });
    await seedEvent(db, { type: 'order.created', payload: { n: 2 }, receivedAt: t(5) });
    const newest = await seedEvent(db, { type: 'order.created', payload: { n: 3 }, receivedAt: t(10) });
    const paid = await seedEvent(db, { type: 'order.paid', payload: ['a'], receivedAt: t(20) });

    const res = await h.admin('GET', '/event-types');
    expect(res.status).toBe(200);
    expect(res.json.data).toEqual([
      { event: 'order.paid', count: 1, last_seen_at: t(20).toISOString(), sample: { event_id: paid.id, payload: ['a'] } },
      { event: 'order.created', count: 3, last_seen_at: t(10).toISOString(), sample: { event_id: newest.id, payload: { n: 3 } } },
    ]);
    expect((await h.admin('GET', '/event-types?limit=1')).json.data.map((e: { event: string }) => e.event)).toEqual(['order.paid']);
  });

  it('refuses a bad limit with 400 naming it, and requires the token', async () => {
    const bad = await h.admin('GET', '/event-types?limit=9999');
    expect(bad.status).toBe(400);
    expect(bad.json.details[0].field).toBe('limit');
    expect((await h.app.inject({ method: 'GET', url: '/admin/api/event-types' })).statusCode).toBe(401);
  });
});

import { eq } from 'drizzle-orm';
import { deliveries, events } from '../../src/db/schema';
import { eventually, nowSeconds, startHarness, type Harness } from '../helpers/harness';
import { startReceiver, type Receiver } from '../helpers/receiver';

describe('WEBHOOK_ACK_AFTER=commit', () => {
  let h: Harness;
  let r: Receiver;

  beforeAll(async () => {
    h = await startHarness({ WEBHOOK_ACK_AFTER: 'commit' });
    r = await startReceiver();
  });
  afterAll(async () => {
    await r?.close();
    await h?.stop();
  });

  it('answers once the event row is committed and still starts its workflow and delivers it', async () => {
    await h.admin('POST', '/subscribers', { url: r.url, events: ['commit.mode'] });
    const res = await h.sendInbound({ event: 'commit.mode', timestamp: nowSeconds(), data: { x: 1 }, id: 'commit-1' });
    expect(res.status).toBe(200);
    expect(res.json.status).toBe('received');
    const [row] = await h.database.db.select().from(events).where(eq(events.id, res.json.event_id));
    expect(row).toBeDefined();

    await r.waitFor(1);
    await eventually(async () => {
      const [e] = await h.database.db.select().from(events).where(eq(events.id, res.json.event_id));
      const [d] = await h.database.db.select().from(deliveries).where(eq(deliveries.eventId, res.json.event_id));
      return e.workflowStartedAt !== null && d?.status === 'succeeded';
    });
    const again = await h.sendInbound({ event: 'commit.mode', timestamp: nowSeconds(), data: { x: 1 }, id: 'commit-1' });
    expect(again.json.status).toBe('duplicate');
    await new Promise((res2) => setTimeout(res2, 300));
    expect(r.requests).toHaveLength(1);
  });
});

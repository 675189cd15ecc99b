import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { deliveries, events, logs } from '../../../src/db/schema';
import { eventually, startHarness, type Harness } from '../../helpers/harness';
import { startReceiver, type Receiver } from '../../helpers/receiver';

// The retention pruner under QUEUE_DRIVER=pgboss: a pg-boss job per WEBHOOK_RETENTION_INTERVAL
// (one per interval, however many workers), running the same prune activity as the Temporal Schedule.

describe('retention with the pgboss queue driver', () => {
  let h: Harness;
  let r: Receiver;
  beforeAll(async () => {
    h = await startHarness({
      QUEUE_DRIVER: 'pgboss',
      WEBHOOK_RETENTION_PAYLOAD_DAYS: '2s',
      WEBHOOK_RETENTION_RESPONSE_DAYS: '2s',
      WEBHOOK_RETENTION_LOG_DAYS: '4s',
      WEBHOOK_RETENTION_INTERVAL: '1s',
    });
    r = await startReceiver(() => ({ status: 200, body: 'kept until its age' }));
  });
  afterAll(async () => {
    await r?.close();
    await h?.stop();
  });

  it('removes response bodies, then logs, deliveries and the event, past their ages', async () => {
    expect(h.runtime.driver.name).toBe('pgboss');
    expect(h.runtime.worker).toBeNull();
    const ev = `ret.pgboss.${randomUUID().slice(0, 8)}`;
    await h.admin('POST', '/subscribers', { url: r.url, events: [ev] });
    const { json } = await h.admin('POST', '/events', { event: ev, data: { secret: 'payload' } });
    const eventId = json.event_id as string;
    const [delivery] = await eventually(async () => {
      const rows = await h.database.db.select().from(deliveries).where(eq(deliveries.eventId, eventId));
      return rows[0]?.status === 'succeeded' ? rows : null;
    });
    const [log] = await h.database.db.select().from(logs).where(eq(logs.deliveryId, delivery.id));
    expect(log.responseBody).toBe('kept until its age');
    await eventually(async () => {
      const [l] = await h.database.db.select().from(logs).where(eq(logs.deliveryId, delivery.id));
      return l && l.responseBody === null;
    }, 15_000, 250);
    await eventually(async () => {
      const left = [
        ...(await h.database.db.select().from(logs).where(eq(logs.deliveryId, delivery.id))),
        ...(await h.database.db.select().from(deliveries).where(eq(deliveries.id, delivery.id))),
        ...(await h.database.db.select().from(events).where(eq(events.id, eventId))),
      ];
      return left.length === 0;
    }, 20_000, 250);
  });
});

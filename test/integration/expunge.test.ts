import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import pino from 'pino';
import { deliveries, requestBodies } from '../../src/db/schema';
import { eventually, startHarness, type Harness } from '../helpers/harness';
import { startReceiver, type Receiver } from '../helpers/receiver';

describe('DELETE /admin/api/events/:id/data (expunge)', () => {
  let h: Harness;
  const receivers: Receiver[] = [];

  // The app's log lines, to see that an expunge is logged.
  const logLines: { msg?: string; eventId?: string; level?: number }[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => logLines.push(JSON.parse(line)) });

  beforeAll(async () => {
    // A failing delivery waits 60 s for its retry: it stays pending for the whole test.
    h = await startHarness({ WEBHOOK_RETRY_SCHEDULE: '60s' }, { logger });
  });
  afterAll(async () => {
    await Promise.all(receivers.map((r) => r.close()));
    await h?.stop();
  });

  async function subscriberAnswering(status: number) {
    const r = await startReceiver(() => ({ status, body: `answer ${status}` }));
    receivers.push(r);
    const ev = `exp.${randomUUID().slice(0, 8)}`;
    expect((await h.admin('POST', '/subscribers', { url: r.url, events: [ev] })).status).toBe(201);
    return ev;
  }

  async function delivered(event: string, data: Record<string, unknown>, status = 'succeeded') {
    const res = await h.admin('POST', '/events', { event, data });
    const eventId = res.json.event_id as string;
    const delivery = await eventually(async () => {
      const [d] = await h.database.db.select().from(deliveries).where(eq(deliveries.eventId, eventId));
      return d && d.status === status && d.attempts > 0 ? d : null;
    });
    return { eventId, delivery };
  }

  // As the attempt view reads them: a log's request body is its delivery's frozen body.
  const logsOf = (deliveryId: string) => h.runtime.repos.deliveries.logsFor(deliveryId);
  const frozenBodiesOf = (eventId: string) => h.database.db.select().from(requestBodies).where(eq(requestBodies.eventId, eventId));

  it("removes one event's payload, request and response bodies, and nothing else", async () => {
    const ev = await subscriberAnswering(200);
    const one = await delivered(ev, { email: 'person@example.com' });
    const other = await delivered(ev, { email: 'someone-else@example.com' });

    const res = await h.admin('DELETE', `/events/${one.eventId}/payload`);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ event_id: one.eventId, expunged: true, deliveries: 1, logs: 1 });
    // It is logged, naming the event (and never the data).
    const logged = logLines.filter((l) => l.msg === 'event data expunged by an admin');
    expect(logged).toEqual([expect.objectContaining({ eventId: one.eventId, deliveries: 1, logs: 1 })]);
    expect(JSON.stringify(logLines)).not.toContain('person@example.com');

    const got = await h.admin('GET', `/events/${one.eventId}`);
    expect(got.json.payload).toBeNull();
    expect(got.json.payload_expired).toBe(true);
    expect(got.json.deliveries).toHaveLength(1);
    expect((await h.admin('GET', `/deliveries/${got.json.deliveries[0].id}`)).json.request_body).toBeNull();
    expect(got.json.deliveries[0].status).toBe('succeeded');
    const [log] = await logsOf(one.delivery.id);
    expect(log).toMatchObject({ requestBody: null, responseBody: null, responseCode: 200, outcome: 'success' });

    const kept = await h.admin('GET', `/events/${other.eventId}`);
    expect(kept.json.payload).toEqual({ email: 'someone-else@example.com' });
    expect(kept.json.payload_expired).toBe(false);
    expect((await h.admin('GET', `/deliveries/${kept.json.deliveries[0].id}`)).json.request_body).toContain('someone-else@example.com');
    const [otherLog] = await logsOf(other.delivery.id);
    expect(otherLog.responseBody).toBe('answer 200');
    expect(otherLog.requestBody).toMatchObject({ data: { email: 'someone-else@example.com' } });
    // The body written once for the event's deliveries goes with the payload.
    expect(await frozenBodiesOf(one.eventId)).toEqual([]);
    expect(await frozenBodiesOf(other.eventId)).toHaveLength(1);
  });

  it('answers 404 for an unknown event and 409 while a delivery of the event is pending', async () => {
    expect((await h.admin('DELETE', '/events/evt_nope/data')).status).toBe(404);
    const ev = await subscriberAnswering(500);
    const live = await delivered(ev, { n: 1 }, 'pending');
    const res = await h.admin('DELETE', `/events/${live.eventId}/data`);
    expect(res.status).toBe(409);
    expect(res.json.error).toBe('deliveries_pending');
    expect((await h.admin('GET', `/events/${live.eventId}`)).json.payload).toEqual({ n: 1 });
  });

  it('requires the admin token', async () => {
    const res = await h.app.inject({ method: 'DELETE', url: '/admin/api/events/evt_x/data' });
    expect(res.statusCode).toBe(401);
  });
});

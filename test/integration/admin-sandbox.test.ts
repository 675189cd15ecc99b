import { ADMIN_TOKEN, INBOUND_SECRET, eventually, startHarness, type Harness } from '../helpers/harness';
import { startReceiver, type Receiver } from '../helpers/receiver';

// POST /admin/api/sandbox/send: the admin UI's sandbox signs on the server and goes through the gateway.

describe('admin API: sandbox send', () => {
  let h: Harness;
  let receiver: Receiver;

  beforeAll(async () => {
    [h, receiver] = await Promise.all([startHarness({ LOG_LEVEL: 'silent' }), startReceiver()]);
  });
  afterAll(async () => {
    await h?.stop();
    await receiver?.close();
  });

  it('signs the event with the inbound secret, sends it through the gateway, and the subscriber gets it', async () => {
    const sub = await h.admin('POST', '/subscribers', { url: receiver.url, events: ['sandbox.*'] });
    expect(sub.status).toBe(201);

    const res = await h.admin('POST', '/sandbox/send', { event: 'sandbox.ping', data: { hello: 'world' } });
    expect(res.status).toBe(200);
    expect(res.json.status).toBeLessThan(300);
    expect(res.json.response).toMatchObject({ event_id: expect.any(String) });
    // The body is what the gateway verified; the secret is in no part of the answer.
    expect(JSON.parse(res.json.body)).toMatchObject({ event: 'sandbox.ping', data: { hello: 'world' }, timestamp: expect.any(Number) });
    expect(JSON.stringify(res.json)).not.toContain(INBOUND_SECRET);

    const [got] = await receiver.waitFor(1);
    expect(JSON.parse(got!.body)).toMatchObject({ data: { hello: 'world' } });
    const event = await eventually(async () => {
      const e = await h.admin('GET', `/events/${res.json.response.event_id}`);
      return e.json.deliveries?.[0]?.status === 'succeeded' ? e.json : null;
    });
    expect(event.deliveries[0].subscriberId ?? event.deliveries[0].subscriber_id).toBe(sub.json.id);
  });

  it('names the failing field of a bad body', async () => {
    const res = await h.admin('POST', '/sandbox/send', { event: '', data: 'not an object' });
    expect(res.status).toBe(400);
    expect(res.json.error).toBe('validation_failed');
    expect(res.json.details.map((d: { field: string }) => d.field).sort()).toEqual(['data', 'event']);
  });

  it('refuses a request without the admin token', async () => {
    const res = await h.app.inject({ method: 'POST', url: '/admin/api/sandbox/send', payload: { event: 'sandbox.ping' } });
    expect(res.statusCode).toBe(401);
    const wrong = await h.app.inject({ method: 'POST', url: '/admin/api/sandbox/send', payload: { event: 'sandbox.ping' }, headers: { authorization: `Bearer ${ADMIN_TOKEN}x` } });
    expect(wrong.statusCode).toBe(401);
  });
});

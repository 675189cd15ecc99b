import { deliveries } from '../../src/db/schema';
import { normalizeEvent, toEventRow } from '../../src/events/normalized-event';
import { eventually, nowSeconds, startHarness, type Harness } from '../helpers/harness';
import { startReceiver } from '../helpers/receiver';

// GET /metrics on the real app, worker, Temporal and Postgres.

describe('GET /metrics on the api', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ LOG_LEVEL: 'silent', WEBHOOK_SWEEP_INTERVAL: '0' });
  });
  afterAll(async () => {
    await h?.stop();
  });

  async function scrape(): Promise<string> {
    const res = await h.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    return res.body;
  }

  it('is served without the admin token and counts a signed inbound request and a rejected one', async () => {
    const ok = await h.sendInbound({ event: 'order.created', timestamp: nowSeconds(), data: { order: 1 }, id: 'metrics-ok' });
    expect(ok).toMatchObject({ status: 200, json: { status: 'received' } });
    const bad = await h.sendInbound({ event: 'order.created', timestamp: nowSeconds(), data: { order: 2 }, id: 'metrics-bad' }, { secret: 'not-the-secret' });
    expect(bad).toMatchObject({ status: 401, json: { error: 'invalid_signature' } });

    const text = await scrape();
    expect(text).toContain('webhook_inbound_requests_total{source="default",outcome="received"} 1\n');
    expect(text).toContain('webhook_inbound_requests_total{source="default",outcome="invalid_signature"} 1\n');
  });

  it('reads webhook_queue_depth from the pending deliveries in the database at scrape time', async () => {
    expect(await scrape()).toContain('webhook_queue_depth 0\n');

    const sub = await h.admin('POST', '/subscribers', { url: 'http://127.0.0.1:9/unused', events: ['queue.depth'] });
    expect(sub.status).toBe(201);
    const { event } = await h.runtime.repos.events.insertIfAbsent(toEventRow(normalizeEvent({ source: 'api', type: 'queue.depth', externalId: 'depth' })));
    const row = (id: string, status: 'pending' | 'succeeded') => ({
      id,
      eventId: event.id,
      subscriberId: sub.json.id,
      eventType: event.type,
      status,
      workflowId: `${event.workflowId}/sub/${id}`,
    });
    await h.database.db.insert(deliveries).values([row('d1', 'pending'), row('d2', 'pending'), row('d3', 'succeeded')]);

    expect(await scrape()).toContain('webhook_queue_depth 2\n');
  });

  it('shows what the worker counts in the same process, on one shared registry', async () => {
    h.runtime.metrics.attempt({ eventType: 'order.created', attempt: 1, durationMs: 12 });
    h.runtime.metrics.deliveryFinished({ eventType: 'order.created', status: 'dead' });

    const text = await scrape();
    expect(text).toContain('webhook_delivery_attempts_total{attempt_number="1"} 1\n');
    expect(text).toContain('webhook_delivery_duration_seconds_count{event_type="order.created"} 1\n');
    expect(text).toContain('webhook_deliveries_total{event_type="order.created",status="dead"} 1\n');
    expect(text).toContain('webhook_dead_letters_total 1\n');
  });
});

describe('delivery metrics from the worker', () => {
  it('count the attempts, their durations and the outcomes of real deliveries, dead letters included', async () => {
    const h = await startHarness({ LOG_LEVEL: 'silent', WEBHOOK_SWEEP_INTERVAL: '0', WEBHOOK_RETRY_SCHEDULE: '1s', WEBHOOK_MAX_RETRIES: '1' });
    const ok = await startReceiver();
    const down = await startReceiver(() => ({ status: 503, body: 'down' }));
    try {
      expect((await h.admin('POST', '/subscribers', { url: ok.url, events: ['metrics.*'] })).status).toBe(201);
      expect((await h.admin('POST', '/subscribers', { url: down.url, events: ['metrics.*'] })).status).toBe(201);
      expect((await h.sendInbound({ event: 'metrics.e2e', timestamp: nowSeconds(), data: {}, id: 'e2e' })).status).toBe(200);

      const text = await eventually(async () => {
        const body = (await h.app.inject({ method: 'GET', url: '/metrics' })).body;
        return body.includes('webhook_dead_letters_total 1\n') ? body : null;
      }, 30_000);
      expect(text).toContain('webhook_deliveries_total{event_type="metrics.e2e",status="succeeded"} 1\n');
      expect(text).toContain('webhook_deliveries_total{event_type="metrics.e2e",status="dead"} 1\n');
      expect(text).toContain('webhook_delivery_attempts_total{attempt_number="1"} 2\n');
      expect(text).toContain('webhook_delivery_attempts_total{attempt_number="2"} 1\n');
      expect(text).toContain('webhook_delivery_duration_seconds_count{event_type="metrics.e2e"} 3\n');
      expect(text).toContain('webhook_queue_depth 0\n');
    } finally {
      await ok.close();
      await down.close();
      await h.stop();
    }
  });
});

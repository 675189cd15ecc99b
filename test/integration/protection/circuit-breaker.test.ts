import { eventually, startHarness, type Harness } from '../../helpers/harness';
import { startReceiver, type Receiver } from '../../helpers/receiver';

// The circuit breaker, scaled down (the "fails for 60 s" is about 5 s here, with a window
// of 4 attempts and probes every 1 s, doubling to 2 s): sustained failure opens the circuit;
// while it is open the receiver sees only probes and the held deliveries spend no attempts; a
// successful probe closes it and every held delivery arrives exactly once. A subscriber of
// `webhook.subscriber.*` is told `circuit_opened` and then `recovered`.

let h: Harness;
let flaky: Receiver;
let watcher: Receiver;
let healthy = false;

const PROBE_MS = 1_000;

beforeAll(async () => {
  flaky = await startReceiver(() => (healthy ? { status: 200 } : { status: 500, body: 'down' }));
  watcher = await startReceiver();
  h = await startHarness({
    WEBHOOK_RETRY_SCHEDULE: '300ms,300ms,300ms,300ms,300ms,300ms',
    WEBHOOK_BREAKER_MIN_ATTEMPTS: '4',
    WEBHOOK_BREAKER_WINDOW: '30s',
    WEBHOOK_BREAKER_PROBE_INTERVAL: `${PROBE_MS}ms`,
    WEBHOOK_BREAKER_PROBE_MAX: '2s',
    LOG_LEVEL: 'silent',
  });
});
afterAll(async () => {
  await h?.stop();
  await flaky?.close();
  await watcher?.close();
});

const eventOf = (body: string) => JSON.parse(body).data.e as number;

it('opens on sustained failure, sends only probes while open, and delivers every held delivery once on recovery', async () => {
  expect((await h.admin('POST', '/subscribers', { url: `${watcher.url}/health`, events: ['webhook.subscriber.*'] })).status).toBe(201);
  const sub = await h.admin('POST', '/subscribers', { url: `${flaky.url}/orders`, events: ['orders.*'] });
  expect(sub.status).toBe(201);
  const id = sub.json.id as string;

  for (let e = 0; e < 6; e++) expect((await h.admin('POST', '/events', { event: 'orders.created', data: { e } })).status).toBe(202);
  const opened = await eventually(async () => {
    const p = (await h.admin('GET', `/subscribers/${id}/protection`)).json;
    return p.circuit.state !== 'closed' ? p : null;
  }, 20_000);
  expect(opened.state).toBe('circuit_open');
  expect(opened.health).toBe('open');
  expect(opened.circuit.last_error).toContain('500');
  const openedAt = new Date(opened.circuit.opened_at).getTime();
  const metrics = await h.app.inject({ method: 'GET', url: '/metrics' });
  expect(metrics.body).toContain(`webhook_endpoint_circuit_open{subscriber_id="${id}"} 1`);
  const listed = (await h.admin('GET', '/subscribers')).json.data.find((s: { id: string }) => s.id === id);
  expect(listed.health.circuit).not.toBe('closed');

  // Events dispatched while it is open are held too.
  for (let e = 6; e < 9; e++) expect((await h.admin('POST', '/events', { event: 'orders.created', data: { e } })).status).toBe(202);
  await new Promise((r) => setTimeout(r, 5_000));
  const held = (await h.admin('GET', `/subscribers/${id}/protection`)).json;
  expect(held.backlog.pending).toBe(9);
  healthy = true;
  const recoveredAt = Date.now();

  // Every delivery arrives exactly once with a success.
  await eventually(async () => (await h.admin('GET', `/deliveries?status=succeeded&subscriber_id=${id}&limit=100`)).json.data.length === 9, 40_000);
  const successes = flaky.requests.filter((r) => r.at >= recoveredAt).map((r) => eventOf(r.body));
  expect([...successes].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);

  // While open (after the POSTs in flight when it opened), only probes reached the receiver:
  // one at a time, at least a probe interval apart.
  const probes = flaky.requests.filter((r) => r.at > openedAt + 500 && r.at < recoveredAt);
  expect(probes.length).toBeGreaterThanOrEqual(1);
  expect(probes.length).toBeLessThanOrEqual(Math.ceil((recoveredAt - openedAt) / PROBE_MS) + 1);
  for (let i = 1; i < probes.length; i++) expect(probes[i].at - probes[i - 1].at).toBeGreaterThanOrEqual(PROBE_MS - 200);
  // Held deliveries spent no attempts: nothing died, however long the outage against a 2 s schedule.
  expect((await h.admin('GET', `/deliveries?status=dead&limit=100`)).json.data).toHaveLength(0);

  // The watcher was told, once each, in order.
  const told = await eventually(async () => {
    const types = watcher.requests.map((r) => JSON.parse(r.body)).filter((b) => b.data?.subscriber_id === id).map((b) => b.event);
    return types.includes('webhook.subscriber.recovered') ? types : null;
  }, 30_000);
  expect(told.filter((t: string) => t === 'webhook.subscriber.circuit_opened')).toHaveLength(1);
  expect(told.indexOf('webhook.subscriber.circuit_opened')).toBeLessThan(told.indexOf('webhook.subscriber.recovered'));
  const openedEvent = watcher.requests.map((r) => JSON.parse(r.body)).find((b) => b.event === 'webhook.subscriber.circuit_opened');
  expect(openedEvent.data).toMatchObject({ subscriber_id: id, state: 'open', previous_state: 'healthy' });
  expect(openedEvent.data.reason).toContain('failed');
  expect(openedEvent.data.first_failure_at).not.toBeNull();
  expect(openedEvent.data.last_error).toContain('500');

  const after = (await h.admin('GET', `/subscribers/${id}/protection`)).json;
  expect(after.circuit.state).toBe('closed');
  expect(after.health).toBe('healthy');
}, 90_000);

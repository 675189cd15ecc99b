import { eventually, startHarness, type Harness } from '../../helpers/harness';
import { startReceiver, type Receiver } from '../../helpers/receiver';

// Disable and recover, scaled down (WEBHOOK_DISABLE_AFTER=3s instead of 5 days): a circuit that
// stays open disables its subscriber with a reason and tells `webhook.subscriber.disabled`; the
// deliveries it held, and the events dispatched while it is disabled, are kept as `held` (never
// dropped, Outpost #611); re-enabling with replay_held delivers each of them exactly once.

let h: Harness;
let dead: Receiver;
let watcher: Receiver;
let alive = false;

beforeAll(async () => {
  dead = await startReceiver(() => (alive ? { status: 200 } : { status: 503, body: 'gone fishing' }));
  watcher = await startReceiver();
  h = await startHarness({
    WEBHOOK_RETRY_SCHEDULE: '300ms,300ms,300ms,300ms,300ms,300ms',
    WEBHOOK_BREAKER_MIN_ATTEMPTS: '3',
    WEBHOOK_BREAKER_PROBE_INTERVAL: '1s',
    WEBHOOK_BREAKER_PROBE_MAX: '1s',
    WEBHOOK_DISABLE_AFTER: '3s',
    LOG_LEVEL: 'silent',
  });
});
afterAll(async () => {
  await h?.stop();
  await dead?.close();
  await watcher?.close();
});

const told = (id: string) =>
  watcher.requests.map((r) => JSON.parse(r.body)).filter((b) => b.data?.subscriber_id === id);

it('disables a subscriber whose circuit stays open, keeps what arrives, and replays it once when re-enabled', async () => {
  expect((await h.admin('POST', '/subscribers', { url: `${watcher.url}/health`, events: ['webhook.subscriber.*'] })).status).toBe(201);
  const sub = await h.admin('POST', '/subscribers', { url: `${dead.url}/hook`, events: ['invoice.*'] });
  const id = sub.json.id as string;
  for (let e = 0; e < 3; e++) expect((await h.admin('POST', '/events', { event: 'invoice.paid', data: { e } })).status).toBe(202);

  const disabled = await eventually(async () => {
    const s = (await h.admin('GET', `/subscribers/${id}`)).json;
    return s.active === false ? s : null;
  }, 30_000);
  expect(disabled.disabled_reason).toContain('WEBHOOK_DISABLE_AFTER');

  // Dispatched while disabled: recorded as held at once, nothing sent.
  const before = dead.requests.length;
  for (let e = 3; e < 5; e++) expect((await h.admin('POST', '/events', { event: 'invoice.paid', data: { e } })).status).toBe(202);
  const held = await eventually(async () => {
    const list = (await h.admin('GET', `/deliveries?status=held&subscriber_id=${id}&limit=100`)).json.data;
    return list.length === 5 ? list : null;
  }, 30_000);
  expect(held.every((d: { last_error: string }) => d.last_error.startsWith('held'))).toBe(true);
  expect(dead.requests.length).toBe(before);
  const protection = (await h.admin('GET', `/subscribers/${id}/protection`)).json;
  expect(protection).toMatchObject({ state: 'disabled', health: 'disabled', backlog: { pending: 0, held: 5 } });

  const disabledEvent = await eventually(async () => told(id).find((b) => b.event === 'webhook.subscriber.disabled'), 20_000);
  expect(disabledEvent.data).toMatchObject({ subscriber_id: id, state: 'disabled', previous_state: 'open' });
  expect(disabledEvent.data.reason).toContain('WEBHOOK_DISABLE_AFTER');
  expect(disabledEvent.data.last_error).toContain('503');
  expect(disabledEvent.data.first_failure_at).not.toBeNull();

  // One action: re-enable and replay what was held, as a background job with progress.
  alive = true;
  const since = Date.now();
  const enabled = await h.admin('POST', `/subscribers/${id}/enable`, { replay_held: true });
  expect(enabled.status).toBe(200);
  expect(enabled.json.subscriber.active).toBe(true);
  expect(enabled.json.replay_job).toMatchObject({ status: 'running', total: 5, filter: { subscriber_id: id, status: 'held' } });
  const job = await eventually(async () => {
    const j = (await h.admin('GET', `/replays/${enabled.json.replay_job.id}`)).json;
    return j.status === 'completed' ? j : null;
  }, 30_000);
  expect(job).toMatchObject({ processed: 5, replayed: 5 });

  await eventually(async () => dead.requests.filter((r) => r.at >= since).length >= 5, 30_000);
  await new Promise((r) => setTimeout(r, 1_000));
  const delivered = dead.requests.filter((r) => r.at >= since).map((r) => JSON.parse(r.body).data.e as number);
  expect(delivered.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4]);
  await eventually(async () => told(id).some((b) => b.event === 'webhook.subscriber.recovered'), 20_000);
  // Each state change told once.
  const kinds = told(id).map((b) => b.event);
  expect(kinds.filter((k) => k === 'webhook.subscriber.disabled')).toHaveLength(1);
  expect(kinds.filter((k) => k === 'webhook.subscriber.circuit_opened')).toHaveLength(1);
}, 90_000);

it('tells webhook.subscriber.disabled when a 410 disables a subscriber at once, and holds what arrives next', async () => {
  const gone = await startReceiver(() => ({ status: 410 }));
  try {
    const id = (await h.admin('POST', '/subscribers', { url: `${gone.url}/gone`, events: ['gone.*'] })).json.id as string;
    expect((await h.admin('POST', '/events', { event: 'gone.first', data: {} })).status).toBe(202);
    const event = await eventually(async () => told(id).find((b) => b.event === 'webhook.subscriber.disabled'), 20_000);
    expect(event.data.reason).toContain('410 Gone');
    expect((await h.admin('POST', '/events', { event: 'gone.second', data: {} })).status).toBe(202);
    await eventually(async () => (await h.admin('GET', `/deliveries?status=held&subscriber_id=${id}`)).json.data.length === 1, 20_000);
    expect(gone.requests).toHaveLength(1);
  } finally {
    await gone.close();
  }
});

it('refuses an enable body with a bad replay_held, naming the field, and changes nothing', async () => {
  const sub = await h.admin('POST', '/subscribers', { url: `${dead.url}/other`, events: ['x.*'], active: false });
  for (const body of [{ replay_held: 'yes' }, { replay_held: 1 }, { replay: true }]) {
    const res = await h.admin('POST', `/subscribers/${sub.json.id}/enable`, body);
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.json)).toMatch(/replay_held|replay/);
  }
  expect((await h.admin('GET', `/subscribers/${sub.json.id}`)).json.active).toBe(false);
  expect((await h.admin('POST', `/subscribers/00000000-0000-4000-8000-000000000000/enable`, {})).status).toBe(404);
});

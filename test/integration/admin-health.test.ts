import { seedAttempts, seedSubscriber, type SeedAttempt } from '../helpers/admin-seed';
import { startHarness, type Harness } from '../helpers/harness';

// GET /admin/api/subscribers/:id/health and the health summary in the subscriber list (issue 12).

describe('admin API: subscriber health', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ LOG_LEVEL: 'silent' }, { worker: false });
  });
  afterAll(async () => {
    await h?.stop();
  });

  const attempt = (subscriberId: string, i: number, minutesAgo: number, ok: boolean, extra: Partial<SeedAttempt> = {}): SeedAttempt => ({
    deliveryId: `d-${subscriberId}-${i}`,
    eventId: `e-${i}`,
    subscriberId,
    event: 'health.check',
    attempts: 1,
    outcome: ok ? 'success' : 'failure',
    durationMs: 10,
    responseCode: ok ? 200 : 503,
    error: ok ? null : 'HTTP 503',
    createdAt: new Date(Date.now() - minutesAgo * 60_000),
    ...extra,
  });

  it('reports the recent success rate, the last failure and the failures since the last success', async () => {
    const sub = await seedSubscriber(h.database.db);
    await seedAttempts(h.database.db, [
      attempt(sub.id, 0, 48 * 60, false), // outside the 24-hour window
      attempt(sub.id, 1, 50, true),
      attempt(sub.id, 2, 40, true),
      attempt(sub.id, 3, 30, false, { outcome: 'timeout', responseCode: null, error: 'timed out after 10 s' }),
      attempt(sub.id, 4, 20, true),
      attempt(sub.id, 5, 10, false),
      attempt(sub.id, 6, 5, false, { outcome: 'network_error', responseCode: null, error: 'connect ECONNREFUSED' }),
    ]);
    const res = await h.admin('GET', `/subscribers/${sub.id}/health`);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      subscriber_id: sub.id,
      active: true,
      disabled_reason: null,
      attempts: 6,
      succeeded: 3,
      failed: 3,
      success_rate: 0.5,
      consecutive_failures: 2,
      last_failure: { outcome: 'network_error', response_code: null, error: 'connect ECONNREFUSED' },
    });
    expect(Date.parse(res.json.last_failure_at)).toBeGreaterThan(Date.parse(res.json.last_success_at));
    // A wider window counts the old failure too.
    expect((await h.admin('GET', `/subscribers/${sub.id}/health?hours=72`)).json).toMatchObject({ attempts: 7, success_rate: 0.4286 });

    const list = await h.admin('GET', '/subscribers');
    expect(list.json.data.find((s: { id: string }) => s.id === sub.id).health).toEqual({ hours: 24, attempts: 6, success_rate: 0.5, circuit: 'closed', effective_max_in_flight: null });
  });

  it('says why a subscriber was disabled, and answers a quiet one with empty figures', async () => {
    const sub = await seedSubscriber(h.database.db, { active: false, disabledReason: 'breaker: 50 failures in a row' });
    const res = await h.admin('GET', `/subscribers/${sub.id}/health`);
    expect(res.json).toMatchObject({ active: false, disabled_reason: 'breaker: 50 failures in a row', attempts: 0, success_rate: null, consecutive_failures: 0, last_failure: null, last_success_at: null });
  });

  it('answers 404 for an unknown subscriber, 400 for a bad window, 401 without the token', async () => {
    expect((await h.admin('GET', '/subscribers/0b7c7c3e-8a57-4cf4-9a39-4b4f3f1c1a11/health')).status).toBe(404);
    expect((await h.admin('GET', '/subscribers/not-a-uuid/health')).status).toBe(404);
    const sub = await seedSubscriber(h.database.db);
    const bad = await h.admin('GET', `/subscribers/${sub.id}/health?hours=0`);
    expect(bad.status).toBe(400);
    expect(bad.json.details[0].field).toBe('hours');
    expect((await h.app.inject({ method: 'GET', url: `/admin/api/subscribers/${sub.id}/health` })).statusCode).toBe(401);
  });
});

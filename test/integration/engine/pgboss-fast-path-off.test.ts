import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { deliveries } from '../../../src/db/schema';
import { eventually, startHarness, type Harness } from '../../helpers/harness';
import { startReceiver, type Receiver } from '../../helpers/receiver';

// WEBHOOK_FAST_PATH=false under the pgboss driver: the fan-out makes no attempt, and every
// delivery starts as a job chain of its own (the Temporal driver's child workflows).

describe('the pgboss queue driver with the fast path off', () => {
  let h: Harness;
  let r: Receiver;
  beforeAll(async () => {
    h = await startHarness({ QUEUE_DRIVER: 'pgboss', WEBHOOK_FAST_PATH: 'false', WEBHOOK_RETRY_SCHEDULE: '300ms' });
    r = await startReceiver((_req, i) => ({ status: i === 0 ? 503 : 200 }));
  });
  afterAll(async () => {
    await r?.close();
    await h?.stop();
  });

  it('starts each delivery on its own and retries it on the schedule', async () => {
    expect(h.runtime.driver.name).toBe('pgboss');
    const ev = `off.${randomUUID().slice(0, 8)}`;
    for (let i = 0; i < 3; i++) await h.admin('POST', '/subscribers', { url: `${r.url}/${i}`, events: [ev] });
    const { json } = await h.admin('POST', '/events', { event: ev, data: {} });
    const rows = await eventually(async () => {
      const all = await h.database.db.select().from(deliveries).where(eq(deliveries.eventId, json.event_id));
      return all.length === 3 && all.every((d) => d.status === 'succeeded') ? all : null;
    });
    expect(rows.every((d) => d.workflowStartedAt !== null)).toBe(true);
    expect(rows.map((d) => d.attempts).sort()).toEqual([1, 1, 2]);
    expect(r.requests).toHaveLength(4);
    await expect(h.runtime.driver.eventResult(json.workflow_id, new AbortController().signal)).resolves.toMatchObject({ deliveries: 3, workflows: 3 });
  });
});

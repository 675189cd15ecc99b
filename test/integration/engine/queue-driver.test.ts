import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { deliveries } from '../../../src/db/schema';
import { WorkNotRunningError, type QueueDriver } from '../../../src/engine/queue-driver';
import { eventually, startHarness, type Harness } from '../../helpers/harness';
import { startReceiver, type Receiver } from '../../helpers/receiver';

// What the app asks of the delivery engine, through the QueueDriver interface only. Temporal is
// the one driver today; a second driver joins the list below and must pass the same checks.

const drivers: [string, (h: Harness) => QueueDriver][] = [['temporal', (h) => h.runtime.driver]];

describe.each(drivers)('the %s queue driver', (name, driverOf) => {
  let h: Harness;
  let driver: QueueDriver;
  let receiver: Receiver;

  beforeAll(async () => {
    // Long waits between attempts: a failed delivery stays in flight until it is told otherwise.
    h = await startHarness({ WEBHOOK_RETRY_SCHEDULE: '30s,30s' });
    driver = driverOf(h);
    receiver = await startReceiver(() => ({ status: 500 }));
  });
  afterAll(async () => {
    await receiver?.close();
    await h?.stop();
  });

  async function failingDelivery() {
    const ev = `driver.${randomUUID().slice(0, 8)}`;
    await h.admin('POST', '/subscribers', { url: receiver.url, events: [ev] });
    const { json } = await h.admin('POST', '/events', { event: ev, data: {} });
    const row = await eventually(async () => {
      const [d] = await h.database.db.select().from(deliveries).where(eq(deliveries.eventId, json.event_id));
      return d?.workflowStartedAt && d.attempts === 1 ? d : null;
    });
    return { row, eventWorkflowId: json.workflow_id as string };
  }

  it('reports an event fan-out result, and lists, queries, retries now and cancels a delivery in flight', async () => {
    const { row, eventWorkflowId } = await failingDelivery();
    const abort = new AbortController();
    await expect(driver.eventResult(eventWorkflowId, abort.signal)).resolves.toMatchObject({ deliveries: 1 });

    const inFlight = await eventually(async () => {
      const all = await driver.listInFlight(1000);
      return all.find((w) => w.workflowId === row.workflowId);
    });
    expect(inFlight).toMatchObject({ kind: 'delivery', startedAt: expect.any(Date) });
    const listed = await h.admin('GET', '/in-flight?limit=1000');
    expect(listed.json).toMatchObject({ driver: name, data: expect.arrayContaining([{ workflow_id: row.workflowId, kind: 'delivery', started_at: expect.any(String) }]) });
    await expect(driver.liveStatus(row.workflowId)).resolves.toMatchObject({ deliveryId: row.id, status: 'pending', nextAttemptAt: expect.any(Number) });

    const before = receiver.requests.length;
    await driver.retryNow(row.workflowId);
    await eventually(async () => receiver.requests.length > before);
    await eventually(async () => (await driver.liveStatus(row.workflowId))?.attempts.length === 2);

    await driver.cancel(row.workflowId, 'stopped by the contract test');
    await eventually(async () => {
      const [d] = await h.database.db.select().from(deliveries).where(eq(deliveries.id, row.id));
      return d.status === 'cancelled' ? d : null;
    });
    await eventually(async () => !(await driver.listInFlight(1000)).some((w) => w.workflowId === row.workflowId));
    // A finished delivery: its final view where the engine keeps one (Temporal does), or null.
    expect([null, 'cancelled']).toContain((await driver.liveStatus(row.workflowId))?.status ?? null);
  });

  it('answers WorkNotRunningError for work that does not exist, and refuses a second start of the same delivery', async () => {
    await expect(driver.retryNow('event/nope/sub/nope')).rejects.toBeInstanceOf(WorkNotRunningError);
    await expect(driver.cancel('event/nope/sub/nope', 'x')).rejects.toBeInstanceOf(WorkNotRunningError);
    await expect(driver.eventResult('event/nope', new AbortController().signal)).rejects.toBeInstanceOf(WorkNotRunningError);
    const { row } = await failingDelivery();
    const input = {
      deliveryId: row.id,
      eventId: row.eventId,
      eventType: row.eventType,
      subscriberId: row.subscriberId,
      target: '127.0.0.1',
      retryDelaysMs: [30_000],
      searchAttributes: false,
      adminUrl: null,
      firstAttempt: null,
    };
    await expect(driver.startDelivery(input, row.workflowId)).resolves.toBe(false);
    await expect(driver.healthy()).resolves.toBe(true);
  });
});

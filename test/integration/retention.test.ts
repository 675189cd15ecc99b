import { randomUUID } from 'node:crypto';
import { ScheduleOverlapPolicy } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { and, eq } from 'drizzle-orm';
import { deliveries, logs, orderingKeys } from '../../src/db/schema';
import { createLogger } from '../../src/logger';
import { ensureRetentionSchedule, retentionScheduleId } from '../../src/temporal/retention-schedule';
import { eventually, startHarness, type Harness } from '../helpers/harness';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { readTestRuntime } from '../helpers/runtime-file';

// Ages in seconds: payloads and response bodies 4 s, logs and delivery rows 8 s; the Schedule
// runs every second. A failing delivery waits 60 s for its retry, so it stays live throughout.

describe('retention', () => {
  let h: Harness;
  const receivers: Receiver[] = [];

  beforeAll(async () => {
    h = await startHarness({
      WEBHOOK_RETENTION_PAYLOAD_DAYS: '4s',
      WEBHOOK_RETENTION_RESPONSE_DAYS: '4s',
      WEBHOOK_RETENTION_LOG_DAYS: '8s',
      WEBHOOK_RETENTION_INTERVAL: '1s',
      WEBHOOK_RETRY_SCHEDULE: '60s',
    });
  });
  afterAll(async () => {
    await h?.runtime.client.schedule
      .getHandle(retentionScheduleId(h.config.TEMPORAL_TASK_QUEUE))
      .delete()
      .catch(() => undefined);
    await Promise.all(receivers.map((r) => r.close()));
    await h?.stop();
  });

  async function subscriberAnswering(status: number, body: string) {
    const r = await startReceiver(() => ({ status, body }));
    receivers.push(r);
    const ev = `ret.${randomUUID().slice(0, 8)}`;
    const res = await h.admin('POST', '/subscribers', { url: r.url, events: [ev] });
    expect(res.status).toBe(201);
    subscriberIds.push(res.json.id as string);
    return ev;
  }
  const subscriberIds: string[] = [];

  async function dispatch(event: string, data: Record<string, unknown>) {
    const res = await h.admin('POST', '/events', { event, data });
    expect(res.status).toBe(202);
    return res.json.event_id as string;
  }

  const deliveryOf = async (eventId: string) => (await h.database.db.select().from(deliveries).where(eq(deliveries.eventId, eventId)))[0];
  const logsOf = (deliveryId: string) => h.database.db.select().from(logs).where(eq(logs.deliveryId, deliveryId));
  const settled = (eventId: string, status: string) => eventually(async () => ((await deliveryOf(eventId))?.status === status ? deliveryOf(eventId) : null));

  it('runs as a Temporal Schedule that never overlaps, and ensuring it again changes nothing', async () => {
    const handle = h.runtime.client.schedule.getHandle(retentionScheduleId(h.config.TEMPORAL_TASK_QUEUE));
    const described = await handle.describe();
    expect(described.action).toMatchObject({ type: 'startWorkflow', workflowType: 'retentionWorkflow' });
    expect(described.policies.overlap).toBe(ScheduleOverlapPolicy.SKIP);
    await expect(ensureRetentionSchedule(h.runtime.client, h.config, createLogger('silent'))).resolves.toBeUndefined();
  });

  it('removes old payloads, response bodies, then logs and rows on schedule, leaving recent and live data alone', async () => {
    const okEvent = await subscriberAnswering(200, 'ok-body');
    const liveEvent = await subscriberAnswering(500, 'busy-body');
    const goneEvent = await subscriberAnswering(410, 'gone-body');
    // An ordered key's state row, idle, and a blocked key's, both last touched long ago.
    const keyOf = (orderingKey: string) => and(eq(orderingKeys.subscriberId, subscriberIds[0]), eq(orderingKeys.orderingKey, orderingKey));
    const hourAgo = new Date(Date.now() - 3_600_000);
    await h.database.db.insert(orderingKeys).values([
      { subscriberId: subscriberIds[0], orderingKey: 'idle-key', idle: true, updatedAt: hourAgo },
      { subscriberId: subscriberIds[0], orderingKey: 'blocked-key', blockedBy: 'dlv_dead', blockedAt: hourAgo, updatedAt: hourAgo },
    ]);
    const oldId = await dispatch(okEvent, { secret: 'old' });
    const liveId = await dispatch(liveEvent, { secret: 'live' });
    const goneId = await dispatch(goneEvent, { secret: 'gone' });
    const oldDelivery = await settled(oldId, 'succeeded');
    const gone = await settled(goneId, 'failed');
    const live = await eventually(async () => ((await deliveryOf(liveId))?.attempts === 1 ? deliveryOf(liveId) : null));
    expect(live!.status).toBe('pending');

    // Past the payload age: the old event reads as expired and its bodies are gone.
    const expired = await eventually(async () => {
      const res = await h.admin('GET', `/events/${oldId}`);
      return res.json.payload_expired ? res.json : null;
    }, 20_000);
    expect(expired.payload).toBeNull();
    expect((await deliveryOf(oldId))!.requestBody).toBeNull();
    // The log was written a moment after the event arrived: its response body may go one run later.
    const oldLog = await eventually(async () => ((await logsOf(oldDelivery!.id))[0]?.responseBody === null ? (await logsOf(oldDelivery!.id))[0] : null), 5_000);
    expect(oldLog.requestBody).toBeNull();
    expect(oldLog.responseCode).toBe(200);

    // A live delivery keeps its payload and its log's bodies whatever their age.
    const liveEventRes = await h.admin('GET', `/events/${liveId}`);
    expect(liveEventRes.json.payload_expired).toBe(false);
    expect(liveEventRes.json.payload).toEqual({ secret: 'live' });
    const [liveLog] = await logsOf(live!.id);
    expect(liveLog.responseBody).toBe('busy-body');

    // Replaying a delivery whose payload expired is refused with a clear code.
    const replay = await h.admin('POST', '/dead-letters/replay', { ids: [gone!.id] });
    expect(replay.status).toBe(409);
    expect(replay.json.error).toBe('payload_expired');

    // A recent event survives a run (the Schedule fires every second).
    const recentId = await dispatch(okEvent, { secret: 'recent' });
    const recent = await settled(recentId, 'succeeded');
    await new Promise((r) => setTimeout(r, 1_500));
    const recentRes = await h.admin('GET', `/events/${recentId}`);
    expect(recentRes.json.payload).toEqual({ secret: 'recent' });
    expect((await logsOf(recent!.id))[0].responseBody).toBe('ok-body');

    // Past the log age: the old logs, delivery rows and event are deleted; the live ones stay.
    await eventually(async () => (await h.admin('GET', `/events/${oldId}`)).status === 404, 25_000);
    expect(await logsOf(oldDelivery!.id)).toHaveLength(0);
    expect(await deliveryOf(oldId)).toBeUndefined();
    await eventually(async () => (await deliveryOf(goneId)) === undefined, 5_000);
    expect((await deliveryOf(liveId))!.status).toBe('pending');
    expect(await logsOf(live!.id)).toHaveLength(1);
    expect((await h.admin('GET', `/events/${liveId}`)).status).toBe(200);
    // The idle key's state row is gone with the rest; the blocked key's waits for an operator.
    await eventually(async () => (await h.database.db.select().from(orderingKeys).where(keyOf('idle-key'))).length === 0, 5_000);
    expect(await h.database.db.select().from(orderingKeys).where(keyOf('blocked-key'))).toHaveLength(1);
  });

  it('replays a recorded pruning run without a determinism error', async () => {
    const handle = h.runtime.client.schedule.getHandle(retentionScheduleId(h.config.TEMPORAL_TASK_QUEUE));
    const last = await eventually(async () => (await handle.describe()).info.recentActions.at(-1)?.action.workflow);
    const run = h.runtime.client.workflow.getHandle(last.workflowId, last.firstExecutionRunId);
    await run.result();
    const history = await run.fetchHistory();
    const { workflowBundlePath } = readTestRuntime();
    await Worker.runReplayHistory({ workflowBundle: { codePath: workflowBundlePath } }, history, last.workflowId);
  });
});

import { MockActivityEnvironment } from '@temporalio/testing';
import type { QueueDriver } from '../../../src/engine/queue-driver';
import { eq } from 'drizzle-orm';
import { createActivities } from '../../../activities';
import { createAttemptRecorder } from '../../../activities/attempt-recorder';
import { retryDelays } from '../../../src/config';
import { deliveries, events } from '../../../src/db/schema';
import { createDeliveryControl } from '../../../src/deliveries/delivery-control';
import { createDeliveryStarter } from '../../../src/deliveries/delivery-starter';
import { createOrphanDeliveryReconciler } from '../../../src/deliveries/orphan-delivery-reconciler';
import { DEAD_LETTER_EVENT } from '../../../src/domain/internal-events';
import { orderedKeyWorkflowId } from '../../../src/domain/ordering-key';
import { createAdmission } from '../../../src/engine/admission';
import { createDispatcher } from '../../../src/events/dispatcher';
import { WorkflowStartFailedError } from '../../../src/events/event-errors';
import { createUnstartedEventSweeper } from '../../../src/events/unstarted-event-sweeper';
import { createLogger } from '../../../src/logger';
import { eventually, startHarness, type Harness } from '../../helpers/harness';
import { startReceiver, type Receiver } from '../../helpers/receiver';

// A crash between "write the row" and "start its workflow" must be repaired by a reconciler,
// on every path that creates events or deliveries. The crash is a start that throws.

const logger = createLogger('silent');
let h: Harness;
let receiver: Receiver;

/** A queue driver whose starts fail, as if the process died just after the row was written. */
const crashingDriver = { startEvent: async () => Promise.reject(new Error('crashed before the start')), eventResult: async () => null } as unknown as QueueDriver;

function starter(engine: Pick<QueueDriver, 'startDelivery' | 'wakeOrderedKey'> = h.runtime.driver) {
  return createDeliveryStarter({ repos: h.runtime.repos, engine, retryDelaysMs: retryDelays(h.config), attemptTimeoutMs: 10_000, searchAttributes: true, adminUrl: null });
}

const sweep = () =>
  createUnstartedEventSweeper({ events: h.runtime.repos.events, dispatcher: h.runtime.dispatcher, logger, intervalMs: 0, minAgeMs: 0 }).sweepOnce();

beforeAll(async () => {
  receiver = await startReceiver();
  h = await startHarness({ WEBHOOK_RETRY_SCHEDULE: '100ms', WEBHOOK_SWEEP_INTERVAL: '0', LOG_LEVEL: 'silent' });
});
afterAll(async () => {
  await h?.stop();
  await receiver?.close();
});

it('repairs a replay whose workflow start failed after its row was written', async () => {
  receiver.respond(() => ({ status: 500 }));
  const sub = (await h.admin('POST', '/subscribers', { url: `${receiver.url}/replay`, events: ['crash.replay'] })).json;
  const { event_id } = (await h.admin('POST', '/events', { event: 'crash.replay', data: { n: 1 } })).json;
  const dead = await eventually(async () => {
    const rows = (await h.admin('GET', `/dead-letters?subscriber_id=${sub.id}`)).json.data;
    return rows.length === 1 ? rows[0] : null;
  });
  expect(dead.event_id).toBe(event_id);

  receiver.respond(() => ({ status: 200 }));
  const control = createDeliveryControl({ repos: h.runtime.repos, driver: h.runtime.driver, starter: starter({ startDelivery: () => Promise.reject(new Error('crashed')), wakeOrderedKey: () => Promise.reject(new Error('crashed')) }), dispatcher: h.runtime.dispatcher, logger });
  const { replayed } = await control.replay([dead.id]);
  const [row] = await h.database.db.select().from(deliveries).where(eq(deliveries.id, replayed[0].delivery_id));
  expect(row).toMatchObject({ status: 'pending', workflowStartedAt: null });

  const reconciler = createOrphanDeliveryReconciler({ repos: h.runtime.repos, starter: starter(), logger, intervalMs: 0, minAgeMs: 0 });
  await expect(reconciler.reconcileOnce()).resolves.toMatchObject({ started: 1, failed: 0 });
  await eventually(async () => (await h.admin('GET', `/deliveries/${replayed[0].delivery_id}`)).json.status === 'succeeded');
  expect(receiver.requests.filter((r) => r.headers['x-webhook-replay'] === replayed[0].delivery_id)).toHaveLength(1);
});

it('repairs a dead-letter announcement whose event workflow did not start', async () => {
  const watcher = (await h.admin('POST', '/subscribers', { url: `${receiver.url}/dlq`, events: [DEAD_LETTER_EVENT] })).json;
  const failing = (await h.admin('POST', '/subscribers', { url: `${receiver.url}/failing`, events: ['crash.dead'] })).json;
  const [dead] = await h.database.db
    .insert(events)
    .values({ id: 'evt_crash_dead', source: 'api', externalId: 'crash-dead', type: 'crash.dead', payload: {}, workflowId: 'event/evt_crash_dead', status: 'processed', workflowStartedAt: new Date() })
    .returning();
  await h.database.db.insert(deliveries).values({ id: 'dlv_crash_dead', eventId: dead.id, subscriberId: failing.id, eventType: 'crash.dead', workflowId: 'x', attempts: 2 });

  const events_ = createDispatcher({ repos: h.runtime.repos, driver: crashingDriver, logger, ackAfter: 'start' });
  const activities = createActivities({
    repos: h.runtime.repos,
    http: { post: () => Promise.reject(new Error('unused')), close: async () => undefined },
    transforms: h.runtime.transforms,
    logger,
    admission: createAdmission(1),
    recorder: createAttemptRecorder(h.runtime.repos),
    starter: starter(),
    events: events_,
    config: { retryDelaysMs: [100], timeoutMs: 1000, fastPath: true, batchConcurrency: 1, admissionWaitMs: 100 },
    adminUrl: null,
  });
  await expect(new MockActivityEnvironment().run(activities.finishDelivery, { deliveryId: 'dlv_crash_dead', status: 'dead' as const, reason: 'all 2 attempts failed', announce: true })).rejects.toBeInstanceOf(WorkflowStartFailedError);
  const [announced] = await h.database.db.select().from(events).where(eq(events.externalId, 'dead/dlv_crash_dead'));
  expect(announced.workflowStartedAt).toBeNull();

  await expect(sweep()).resolves.toMatchObject({ started: 1 });
  await eventually(async () => receiver.requests.find((r) => r.url.endsWith('/dlq') && JSON.parse(r.body).data.delivery_id === 'dlv_crash_dead'));
  expect(watcher.id).toEqual(expect.any(String));
});

it('repairs a test send whose event workflow did not start, and still sends it to that subscriber only', async () => {
  const target = (await h.admin('POST', '/subscribers', { url: `${receiver.url}/target`, events: ['crash.test'] })).json;
  await h.admin('POST', '/subscribers', { url: `${receiver.url}/bystander`, events: ['crash.test'] });
  const dispatcher = createDispatcher({ repos: h.runtime.repos, driver: crashingDriver, logger, ackAfter: 'start' });
  const control = createDeliveryControl({ repos: h.runtime.repos, driver: h.runtime.driver, starter: starter(), dispatcher, logger });
  await expect(control.sendTest(target.id, { type: 'crash.test', data: { hello: 'test' } })).rejects.toBeInstanceOf(WorkflowStartFailedError);

  await expect(sweep()).resolves.toMatchObject({ started: 1 });
  await eventually(async () => receiver.requests.find((r) => r.url.endsWith('/target')));
  await new Promise((r) => setTimeout(r, 500));
  expect(receiver.requests.filter((r) => r.url.endsWith('/bystander'))).toHaveLength(0);
});

it("repairs an ordered key whose workflow was ended by hand mid-queue (terminated): its queue goes on, in order", async () => {
  let release = () => undefined as void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const applied: number[] = [];
  const ordered = await startReceiver(async (req) => {
    const { n } = JSON.parse(req.body).data as { n: number };
    if (n === 0) await held;
    if (!applied.includes(n)) applied.push(n);
    return { status: 200 };
  });
  try {
    const sub = (await h.admin('POST', '/subscribers', { url: ordered.url, events: ['crash.ordered'], ordered_delivery: true })).json;
    const dispatch = async (n: number) => expect((await h.admin('POST', '/events', { event: 'crash.ordered', ordering_key: 'k', data: { n } })).status).toBe(202);
    for (let n = 0; n < 3; n++) await dispatch(n);
    // The head is in flight (held by the receiver) when an operator terminates the key's workflow.
    await ordered.waitFor(1);
    await h.runtime.client.workflow.getHandle(orderedKeyWorkflowId(sub.id, 'k')).terminate('ended by hand');
    release();
    await eventually(async () => applied.length === 1);
    await dispatch(3);
    // Nothing wakes the key: its row says its workflow is busy.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(applied).toEqual([0]);

    const reconciler = createOrphanDeliveryReconciler({ repos: h.runtime.repos, starter: starter(), orderedKeys: h.runtime.driver, logger, intervalMs: 0, minAgeMs: 0 });
    await expect(reconciler.reconcileOnce()).resolves.toMatchObject({ keysRestarted: 1, failed: 0 });
    await eventually(async () => applied.length === 4, 30_000);
    expect(applied).toEqual([0, 1, 2, 3]);
  } finally {
    await ordered.close();
  }
});

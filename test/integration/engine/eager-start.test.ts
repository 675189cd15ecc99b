import { eventually, startHarness, type Harness } from '../../helpers/harness';
import { startReceiver, type Receiver } from '../../helpers/receiver';

// A process that runs a worker starts its workflows eagerly (TEMPORAL_EAGER_START, default on):
// the first workflow task comes back with the start's answer to this worker, instead of going
// through the server's task queue and a poll. The metric tells an operator whether it happens
// on their cluster; a process whose worker has stopped starts through the shared client.

let receiver: Receiver;
const tries = new Map<string, number>();

beforeAll(async () => {
  receiver = await startReceiver((req) => {
    const key = String(req.headers['x-webhook-delivery']);
    const n = (tries.get(key) ?? 0) + 1;
    tries.set(key, n);
    // The flaky subscriber fails its first attempt, so its retry gets a delivery workflow.
    return { status: req.url.includes('/flaky') && n === 1 ? 503 : 200 };
  });
});
afterAll(async () => {
  await receiver?.close();
});

async function starts(h: Harness): Promise<Record<string, number>> {
  const text = await h.runtime.metrics.expose();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^webhook_workflow_starts_total\{workflow="(\w+)",eager="(\w+)"\} (\d+)$/gm)) out[`${m[1]}/${m[2]}`] = Number(m[3]);
  return out;
}

async function deliverOne(h: Harness, event: string): Promise<void> {
  for (const path of ['steady', 'flaky']) {
    expect((await h.admin('POST', '/subscribers', { url: `${receiver.url}/${path}/${event}`, events: [event] })).status).toBe(201);
  }
  expect((await h.admin('POST', '/events', { event, data: {} })).status).toBe(202);
  await eventually(async () => (await h.admin('GET', `/deliveries?status=succeeded&limit=10`)).json.data.filter((d: { event: string }) => d.event === event).length === 2, 30_000);
}

describe('eager workflow start', () => {
  let h: Harness;
  afterEach(async () => {
    await h?.stop();
  });

  it('starts event and delivery workflows eagerly through the worker of the same process', async () => {
    h = await startHarness({ WEBHOOK_RETRY_SCHEDULE: '200ms', LOG_LEVEL: 'silent' });
    await deliverOne(h, 'eager.on');
    // (Its 503 may also raise an internal subscriber event, started the same way.)
    expect(Object.keys(await starts(h)).sort()).toEqual(['delivery/true', 'event/true']);
  });

  it('starts through the task queue with TEMPORAL_EAGER_START=false', async () => {
    h = await startHarness({ WEBHOOK_RETRY_SCHEDULE: '200ms', TEMPORAL_EAGER_START: 'false', LOG_LEVEL: 'silent' });
    await deliverOne(h, 'eager.off');
    expect(Object.keys(await starts(h)).sort()).toEqual(['delivery/false', 'event/false']);
  });

  it('starts through the shared client once its worker has stopped', async () => {
    h = await startHarness({ LOG_LEVEL: 'silent' });
    await h.runtime.worker!.stop();
    const res = await h.admin('POST', '/events', { event: 'eager.stopped', data: {} });
    expect(res.status).toBe(202);
    await eventually(async () => (await starts(h))['event/false'] === 1, 10_000);
    const workflowId = res.json.workflow_id as string;
    expect((await h.runtime.client.workflow.getHandle(workflowId).describe()).status.name).toBe('RUNNING');
    expect((await starts(h))['event/true']).toBeUndefined();
  });
});

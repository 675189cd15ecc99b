import { WorkflowNotFoundError } from '@temporalio/client';
import { eq } from 'drizzle-orm';
import { events } from '../../src/db/schema';
import { startHarness, nowSeconds, type Harness } from '../helpers/harness';
import { startReceiver, type Receiver } from '../helpers/receiver';

// The event row and the workflow start never disagree, against a real Postgres and Temporal.

describe('inbound gateway: idempotency against real Postgres and Temporal', () => {
  let h: Harness;

  beforeAll(async () => {
    // Not eager: one test injects a start failure into the shared client, which an eager start would bypass.
    h = await startHarness({ LOG_LEVEL: 'silent', WEBHOOK_ACK_AFTER: 'start', TEMPORAL_EAGER_START: 'false' });
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await h?.stop();
  });

  async function workflowsWithId(workflowId: string) {
    const found = [];
    for await (const wf of h.runtime.client.workflow.list({ query: `WorkflowId = "${workflowId}"` })) found.push(wf);
    return found;
  }

  it('turns a concurrent burst of 50 identical signed events into one event row and one workflow', async () => {
    const body = { event: 'order.created', timestamp: nowSeconds(), data: { order: 50 }, id: 'burst-50' };
    const answers = await Promise.all(Array.from({ length: 50 }, () => h.sendInbound(body)));

    expect(answers.map((a) => a.status)).toEqual(Array(50).fill(200));
    const statuses = answers.map((a) => a.json.status);
    expect(statuses.filter((s) => s === 'received')).toHaveLength(1);
    expect(statuses.filter((s) => s === 'duplicate')).toHaveLength(49);
    expect(new Set(answers.map((a) => a.json.event_id)).size).toBe(1);

    const rows = await h.database.db.select().from(events).where(eq(events.externalId, 'burst-50'));
    expect(rows).toHaveLength(1);
    expect(rows[0].workflowStartedAt).not.toBeNull();
    const workflowId = answers[0].json.workflow_id;
    expect(await workflowsWithId(workflowId)).toHaveLength(1);
    await expect(h.runtime.client.workflow.getHandle(workflowId).result()).resolves.toMatchObject({ deliveries: 0 });
  });

  it('after a failed workflow start, answers the retry "received" and starts the workflow instead of calling it a duplicate', async () => {
    const start = jest.spyOn(h.runtime.client.workflow, 'start').mockRejectedValueOnce(new Error('14 UNAVAILABLE: connection reset'));
    const body = { event: 'invoice.paid', timestamp: nowSeconds(), data: { invoice: 9 }, id: 'start-fails-once' };

    const first = await h.sendInbound(body);
    expect(first.status).toBe(503);
    expect(first.json).toEqual({ error: 'unavailable', message: expect.stringMatching(/retry/) });
    const [recorded] = await h.database.db.select().from(events).where(eq(events.externalId, 'start-fails-once'));
    expect(recorded.workflowStartedAt).toBeNull();
    await expect(h.runtime.client.workflow.getHandle(recorded.workflowId).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);

    const retry = await h.sendInbound(body);
    expect(retry.status).toBe(200);
    expect(retry.json).toMatchObject({ status: 'received', event_id: recorded.id, workflow_id: recorded.workflowId });
    expect(start).toHaveBeenCalledTimes(2);
    await expect(h.runtime.client.workflow.getHandle(recorded.workflowId).result()).resolves.toMatchObject({ eventId: recorded.id });
    const [after] = await h.database.db.select().from(events).where(eq(events.id, recorded.id));
    expect(after.workflowStartedAt).not.toBeNull();

    const third = await h.sendInbound(body);
    expect(third.json.status).toBe('duplicate');
    expect(await workflowsWithId(recorded.workflowId)).toHaveLength(1);
  });

  it('with Prefer: wait, answers "processed" once the fan-out has run', async () => {
    const receiver: Receiver = await startReceiver();
    try {
      const sub = await h.admin('POST', '/subscribers', { url: receiver.url, events: ['sync.*'] });
      expect(sub.status).toBe(201);
      const res = await h.sendInbound({ event: 'sync.check', timestamp: nowSeconds(), data: {}, id: 'sync-wait' }, { headers: { prefer: 'wait=10' } });
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ status: 'processed', event: 'sync.check', deliveries: 1 });
    } finally {
      await receiver.close();
    }
  });
});

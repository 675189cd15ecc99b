import { verify as octokitVerify } from '@octokit/webhooks-methods';
import { WorkflowNotFoundError } from '@temporalio/client';
import { eq } from 'drizzle-orm';
import { deliveries, events, logs } from '../../src/db/schema';
import { eventIdFor, eventWorkflowId } from '../../src/domain/ids';
import { eventually, nowSeconds, startHarness, type Harness } from '../helpers/harness';
import { startReceiver, type Receiver } from '../helpers/receiver';

describe('walking skeleton: gateway → event workflow → delivery workflow → receiver', () => {
  let h: Harness;
  let receiver: Receiver;

  beforeAll(async () => {
    // Temporal fires user timers at one-second resolution, so the scaled schedule is in seconds.
    h = await startHarness({ WEBHOOK_RETRY_SCHEDULE: '1s,2s,1s,1s,1s,1s' });
  });
  afterAll(async () => {
    await h?.stop();
  });
  beforeEach(async () => {
    receiver = await startReceiver();
  });
  afterEach(async () => {
    await receiver.close();
  });

  async function subscribe(events: string[]) {
    const res = await h.admin('POST', '/subscribers', { url: receiver.url, events });
    expect(res.status).toBe(201);
    return res.json as { id: string; secret: string };
  }

  it('delivers a signed inbound event to a subscriber, signed so that @octokit/webhooks-methods verifies it', async () => {
    const sub = await subscribe(['order.created']);
    const res = await h.sendInbound({ event: 'order.created', timestamp: nowSeconds(), data: { order: 42 }, id: 'ord-42' });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ status: 'received', event: 'order.created', event_id: expect.any(String), workflow_id: `event/${res.json.event_id}` });
    expect(Number.isInteger(res.json.received_at)).toBe(true);

    const [req] = await receiver.waitFor(1);
    expect(JSON.parse(req.body)).toEqual({ event: 'order.created', timestamp: expect.any(Number), data: { order: 42 } });
    expect(req.headers['user-agent']).toBe('AI-Agent-Webhook/1.0');
    expect(req.headers['x-webhook-event']).toBe('order.created');
    expect(req.headers['x-webhook-attempt']).toBe('1');
    expect(req.headers['x-webhook-delivery']).toMatch(/^dlv_/);
    await expect(octokitVerify(sub.secret, req.body, String(req.headers['x-agent-signature']))).resolves.toBe(true);
    await expect(octokitVerify('another-secret-entirely', req.body, String(req.headers['x-agent-signature']))).resolves.toBe(false);

    const delivery = await eventually(async () => {
      const [d] = await h.database.db.select().from(deliveries).where(eq(deliveries.eventId, res.json.event_id));
      return d?.status === 'succeeded' ? d : null;
    });
    const rows = await h.database.db.select().from(logs).where(eq(logs.deliveryId, delivery.id));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ outcome: 'success', responseCode: 200, attempts: 1, subscriberId: sub.id, event: 'order.created' });
    // Its fan-out done, the event is `processed`, and its workflow start is on record.
    const event = await eventually(async () => {
      const [e] = await h.database.db.select().from(events).where(eq(events.id, res.json.event_id));
      return e?.status === 'processed' ? e : null;
    });
    expect(event.workflowStartedAt).not.toBeNull();
  });

  it('retries a receiver that answers 500 twice and then 200, on the configured schedule', async () => {
    await subscribe(['payment.*']);
    receiver.respond((_req, i) => (i < 2 ? { status: 500, body: 'boom' } : { status: 200 }));
    const res = await h.sendInbound({ event: 'payment.failed', timestamp: nowSeconds(), data: { p: 1 } });
    expect(res.status).toBe(200);

    const reqs = await receiver.waitFor(3);
    const delivery = await eventually(async () => {
      const [d] = await h.database.db.select().from(deliveries).where(eq(deliveries.eventId, res.json.event_id));
      return d?.status === 'succeeded' ? d : null;
    });
    const rows = await h.database.db.select().from(logs).where(eq(logs.deliveryId, delivery.id)).orderBy(logs.attempts);
    expect(rows.map((r) => [r.attempts, r.outcome, r.responseCode])).toEqual([
      [1, 'failure', 500],
      [2, 'failure', 500],
      [3, 'success', 200],
    ]);
    expect(reqs.map((r) => r.headers['x-webhook-attempt'])).toEqual(['1', '2', '3']);
    expect(new Set(reqs.map((r) => r.headers['x-webhook-delivery'])).size).toBe(1);
    // Schedule 1s, 2s: each gap is at least its step and late by at most about a second.
    const gaps = [reqs[1].at - reqs[0].at, reqs[2].at - reqs[1].at];
    expect(gaps[0]).toBeGreaterThanOrEqual(995);
    expect(gaps[0]).toBeLessThan(1000 + 1100);
    expect(gaps[1]).toBeGreaterThanOrEqual(1995);
    expect(gaps[1]).toBeLessThan(2000 + 1100);
    expect(delivery.attempts).toBe(3);
  });

  it('refuses a body signed with another secret with 401 invalid_signature and records nothing', async () => {
    const body = { event: 'order.created', timestamp: nowSeconds(), data: {}, id: 'forged-1' };
    const res = await h.sendInbound(body, { secret: 'not-the-shared-secret' });
    expect(res.status).toBe(401);
    expect(res.json).toEqual({ error: 'invalid_signature', message: expect.any(String) });

    const eventId = eventIdFor('default', 'forged-1');
    expect(await h.database.db.select().from(events).where(eq(events.id, eventId))).toHaveLength(0);
    await expect(h.runtime.client.workflow.getHandle(eventWorkflowId(eventId)).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
  });

  it('answers a repeat of the same event as a duplicate, with one workflow and one delivery', async () => {
    await subscribe(['user.created']);
    const body = { event: 'user.created', timestamp: nowSeconds(), data: { u: 7 }, id: 'user-7' };
    const first = await h.sendInbound(body);
    const second = await h.sendInbound(body);
    expect(first.json.status).toBe('received');
    expect(second.status).toBe(200);
    expect(second.json).toMatchObject({ status: 'duplicate', event_id: first.json.event_id });

    await receiver.waitFor(1);
    await eventually(async () => {
      const rows = await h.database.db.select().from(deliveries).where(eq(deliveries.eventId, first.json.event_id));
      return rows[0]?.status === 'succeeded';
    });
    const rows = await h.database.db.select().from(deliveries).where(eq(deliveries.eventId, first.json.event_id));
    expect(rows).toHaveLength(1);
    const workflows = [];
    for await (const wf of h.runtime.client.workflow.list({ query: `WorkflowId = "${first.json.workflow_id}"` })) workflows.push(wf);
    expect(workflows).toHaveLength(1);
    // Give a stray second delivery the time to show up before counting requests.
    await new Promise((r) => setTimeout(r, 300));
    expect(receiver.requests).toHaveLength(1);
  });
});

import { count, eq } from 'drizzle-orm';
import { deliveries, subscribers } from '../../src/db/schema';
import { eventually, startHarness, type Harness } from '../helpers/harness';
import { startReceiver, type Receiver } from '../helpers/receiver';

const SUBSCRIBERS = 10_000;

describe('large fan-out', () => {
  let h: Harness;
  let r: Receiver;

  beforeAll(async () => {
    h = await startHarness({ WEBHOOK_CONCURRENCY: '100', TEMPORAL_SEARCH_ATTRIBUTES: 'false', WEBHOOK_TIMEOUT: '10' });
    r = await startReceiver(() => ({ status: 204 }));
  });
  afterAll(async () => {
    await r?.close();
    await h?.stop();
  });

  it(`delivers one event to ${SUBSCRIBERS.toLocaleString('en')} subscribers in batches with continue-as-new`, async () => {
    const rows = Array.from({ length: SUBSCRIBERS }, (_, i) => ({ url: `${r.url}?n=${i}`, events: ['bulk.*'], secret: `secret-${i}-0123456789` }));
    for (let i = 0; i < rows.length; i += 1000) await h.database.db.insert(subscribers).values(rows.slice(i, i + 1000));

    const started = Date.now();
    const { event_id, workflow_id } = (await h.admin('POST', '/events', { event: 'bulk.created', data: { big: true } })).json;
    await r.waitFor(SUBSCRIBERS, 300_000);
    const receivedMs = Date.now() - started;
    await eventually(async () => {
      const [row] = await h.database.db.select({ n: count() }).from(deliveries).where(eq(deliveries.status, 'succeeded'));
      return row.n === SUBSCRIBERS;
    }, 120_000, 500);
    const doneMs = Date.now() - started;

    const unique = new Set(r.requests.map((q) => q.url));
    expect(unique.size).toBe(SUBSCRIBERS);
    const result = await h.runtime.client.workflow.getHandle(workflow_id).result();
    // Under load a few first attempts can time out and go on in delivery workflows; none may be lost.
    expect(result).toMatchObject({ eventId: event_id, deliveries: SUBSCRIBERS, failed: 0 });
    expect(result.succeeded + result.workflows).toBe(SUBSCRIBERS);
    // Several runs: the fan-out continued as new instead of growing one history.
    const runs = [];
    for await (const wf of h.runtime.client.workflow.list({ query: `WorkflowId = "${workflow_id}"` })) runs.push(wf.runId);
    expect(runs.length).toBeGreaterThanOrEqual(SUBSCRIBERS / 1000);
    console.log(`large fan-out: ${SUBSCRIBERS} deliveries received in ${(receivedMs / 1000).toFixed(1)} s, all recorded succeeded in ${(doneMs / 1000).toFixed(1)} s (${Math.round(SUBSCRIBERS / (doneMs / 1000))}/s)`);
  }, 400_000);
});

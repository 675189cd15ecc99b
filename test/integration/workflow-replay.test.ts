import { Worker } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { deliveries } from '../../src/db/schema';
import { eventually, startHarness, type Harness } from '../helpers/harness';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { readTestRuntime } from '../helpers/runtime-file';

describe('workflow determinism', () => {
  let h: Harness;
  let r: Receiver;

  beforeAll(async () => {
    // Every attempt in the delivery workflow, so its history holds all three.
    // Steps over two seconds are durable timers (shorter waits happen inside the attempt).
    h = await startHarness({ WEBHOOK_FAST_PATH: 'false', WEBHOOK_RETRY_SCHEDULE: '2500ms,2500ms' });
    r = await startReceiver((_q, i) => (i < 2 ? { status: 503 } : { status: 200 }));
  });
  afterAll(async () => {
    await r?.close();
    await h?.stop();
  });

  it('replays recorded event and delivery histories without a determinism error', async () => {
    const ev = `replay.${randomUUID().slice(0, 8)}`;
    await h.admin('POST', '/subscribers', { url: r.url, events: [ev] });
    const { event_id, workflow_id } = (await h.admin('POST', '/events', { event: ev })).json;
    const d = await eventually(async () => {
      const [row] = await h.database.db.select().from(deliveries).where(eq(deliveries.eventId, event_id));
      return row?.status === 'succeeded' ? row : null;
    });
    const client = h.runtime.client;
    await client.workflow.getHandle(d.workflowId).result();
    const histories = [await client.workflow.getHandle(workflow_id).fetchHistory(), await client.workflow.getHandle(d.workflowId).fetchHistory()];
    const { workflowBundlePath } = readTestRuntime();
    for (const [i, history] of histories.entries()) {
      await Worker.runReplayHistory({ workflowBundle: { codePath: workflowBundlePath } }, history, i === 0 ? workflow_id : d.workflowId);
    }
    // The recorded delivery went through retries, timers and the success path.
    const kinds = histories[1].events!.map((e) => Object.keys(e).find((k) => k.endsWith('Attributes')));
    expect(kinds.filter((k) => k === 'timerStartedEventAttributes')).toHaveLength(2);
    // The first attempt is a local activity (a marker), the retries regular activities.
    expect(kinds.filter((k) => k === 'markerRecordedEventAttributes').length).toBeGreaterThanOrEqual(2);
    expect(kinds.filter((k) => k === 'activityTaskScheduledEventAttributes')).toHaveLength(2);
  });
});

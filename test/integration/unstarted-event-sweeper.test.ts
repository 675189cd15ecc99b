import { WorkflowNotFoundError } from '@temporalio/client';
import { eq } from 'drizzle-orm';
import { events } from '../../src/db/schema';
import { normalizeEvent, toEventRow } from '../../src/events/normalized-event';
import { createUnstartedEventSweeper } from '../../src/events/unstarted-event-sweeper';
import { createLogger } from '../../src/logger';
import { eventually, startHarness, type Harness } from '../helpers/harness';

// SPEC S3: an event recorded whose workflow never started (a crash between the insert and the
// start) is started by the sweeper, against a real Postgres and Temporal.

/** Records an event as a crashed request leaves it: the row, received a minute ago, and no workflow. */
async function recordWithoutWorkflow(h: Harness, externalId: string, { expectNoWorkflow = true } = {}) {
  const normalized = normalizeEvent({ source: 'default', type: 'order.created', externalId, data: { order: externalId } }, new Date(Date.now() - 60_000));
  const { event } = await h.runtime.repos.events.insertIfAbsent(toEventRow(normalized));
  expect(event.workflowStartedAt).toBeNull();
  if (expectNoWorkflow) await expect(h.runtime.client.workflow.getHandle(event.workflowId).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
  return event;
}

async function storedEvent(h: Harness, id: string) {
  const [row] = await h.database.db.select().from(events).where(eq(events.id, id));
  return row;
}

describe('unstarted-event sweeper against real Postgres and Temporal', () => {
  describe('one sweep', () => {
    let h: Harness;
    beforeAll(async () => {
      h = await startHarness({ LOG_LEVEL: 'silent', WEBHOOK_SWEEP_INTERVAL: '0' });
    });
    afterAll(async () => {
      await h?.stop();
    });

    it('starts the workflow of an event recorded without one and marks the row started', async () => {
      expect(h.runtime.sweeper).toBeNull();
      const event = await recordWithoutWorkflow(h, 'crashed-before-start');
      const fresh = (await h.runtime.repos.events.insertIfAbsent(toEventRow(normalizeEvent({ source: 'default', type: 'order.created', externalId: 'in-flight' })))).event;
      const sweeper = createUnstartedEventSweeper({ events: h.runtime.repos.events, dispatcher: h.runtime.dispatcher, logger: createLogger('silent'), intervalMs: 30_000 });

      await expect(sweeper.sweepOnce()).resolves.toEqual({ started: 1, alreadyStarted: 0, failed: 0, interrupted: false });

      const description = await h.runtime.client.workflow.getHandle(event.workflowId).describe();
      expect(description.type).toBe('eventWorkflow');
      await expect(h.runtime.client.workflow.getHandle(event.workflowId).result()).resolves.toMatchObject({ eventId: event.id });
      const row = await storedEvent(h, event.id);
      expect(row.workflowStartedAt).not.toBeNull();
      expect(row.status).not.toBe('received');
      // A row younger than the minimum age may be a request still on its way to the start.
      expect((await storedEvent(h, fresh.id)).workflowStartedAt).toBeNull();

      // The sender's retry is now a duplicate, and a second sweep finds nothing to do.
      await expect(sweeper.sweepOnce()).resolves.toEqual({ started: 0, alreadyStarted: 0, failed: 0, interrupted: false });
      await sweeper.stop();
    });

    it('marks a row whose workflow had started before the crash without starting a second one', async () => {
      const event = await recordWithoutWorkflow(h, 'crashed-before-mark');
      await h.runtime.dispatcher.startWorkflow(event);
      const sweeper = createUnstartedEventSweeper({ events: h.runtime.repos.events, dispatcher: h.runtime.dispatcher, logger: createLogger('silent'), intervalMs: 30_000 });

      await expect(sweeper.sweepOnce()).resolves.toEqual({ started: 0, alreadyStarted: 1, failed: 0, interrupted: false });
      expect((await storedEvent(h, event.id)).workflowStartedAt).not.toBeNull();
    });
  });

  it('runs in the api process every WEBHOOK_SWEEP_INTERVAL and stops with it', async () => {
    const h = await startHarness({ LOG_LEVEL: 'silent', WEBHOOK_SWEEP_INTERVAL: '1s' }, { worker: false });
    let list: jest.SpyInstance | undefined;
    try {
      expect(h.runtime.sweeper).not.toBeNull();
      // The running sweeper may start it before this test could look.
      const event = await recordWithoutWorkflow(h, 'found-by-the-timer', { expectNoWorkflow: false });
      await eventually(async () => (await storedEvent(h, event.id)).workflowStartedAt, 10_000);
      await expect(h.runtime.client.workflow.getHandle(event.workflowId).describe()).resolves.toMatchObject({ workflowId: event.workflowId });
    } finally {
      await h.stop();
      list = jest.spyOn(h.runtime.repos.events, 'listUnstarted').mockResolvedValue([]);
    }
    await new Promise((r) => setTimeout(r, 1_500));
    expect(list).not.toHaveBeenCalled();
  });
});

import type { QueueDriver } from '../../../src/engine/queue-driver';
import type { EventRow, NewEvent } from '../../../src/db/event-repository';
import type { Repositories } from '../../../src/db/repositories';
import { toHttpError } from '../../../src/errors';
import { StartBacklogFullError } from '../../../src/events/event-errors';
import { createDispatcher } from '../../../src/events/dispatcher';
import { createLogger } from '../../../src/logger';

// WEBHOOK_ACK_AFTER=commit with Temporal slower than the senders: the backlog of accepted events
// waiting for their workflow start is bounded, and the gateway sheds load before writing.

function fakeRepos() {
  const rows = new Map<string, EventRow>();
  const insert = (input: NewEvent) => {
    const existing = rows.get(input.id);
    if (existing) return { event: existing, created: false };
    const row = { payload: null, occurredAt: null, agentId: null, receivedAt: new Date(), workflowStartedAt: null, status: 'received', ...input } as EventRow;
    rows.set(row.id, row);
    return { event: row, created: true };
  };
  const events = {
    insertIfAbsent: jest.fn(async (input: NewEvent) => insert(input)),
    insertManyIfAbsent: jest.fn(async (inputs: NewEvent[]) => inputs.map(insert)),
    markWorkflowStarted: jest.fn(async () => undefined),
    markManyWorkflowStarted: jest.fn(async () => undefined),
  };
  return { rows, repos: { events } as unknown as Repositories };
}

/** A queue driver whose event starts hang until released. */
function hangingDriver() {
  const releases: (() => void)[] = [];
  const start = jest.fn(() => new Promise<boolean>((resolve) => releases.push(() => resolve(true))));
  const driver = { startEvent: start, eventResult: async () => null } as unknown as QueueDriver;
  const releaseAll = () => releases.splice(0).forEach((r) => r());
  return {
    driver,
    start,
    releaseAll,
    /** Lets every start through until the dispatcher has nothing queued or in flight. */
    async drain(dispatcher: { drained(): Promise<void> }) {
      let done = false;
      const drained = dispatcher.drained().then(() => (done = true));
      while (!done) {
        releaseAll();
        await new Promise((r) => setImmediate(r));
      }
      await drained;
    },
  };
}

describe('dispatcher in commit mode: bounded start backlog', () => {
  it('answers 503 with Retry-After once the backlog is full, without writing the refused event', async () => {
    const { rows, repos } = fakeRepos();
    const temporal = hangingDriver();
    const dispatcher = createDispatcher({ repos, driver: temporal.driver, logger: createLogger('silent'), ackAfter: 'commit', maxStartBacklog: 2, startConcurrency: 1 });

    await expect(dispatcher.dispatch({ source: 'default', type: 'a', externalId: '1' })).resolves.toMatchObject({ status: 'received' });
    await expect(dispatcher.dispatch({ source: 'default', type: 'a', externalId: '2' })).resolves.toMatchObject({ status: 'received' });
    const refused = await dispatcher.dispatch({ source: 'default', type: 'a', externalId: '3' }).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(StartBacklogFullError);
    // Mapped to HTTP in one place: 503 with Retry-After.
    expect(toHttpError(refused)).toMatchObject({ statusCode: 503, headers: { 'retry-after': '2' } });
    expect(rows.size).toBe(2);
    expect(dispatcher.startBacklog()).toBe(2);

    // Both accepted events are the dispatcher's to start: the sweeper leaves them alone.
    const [first, second] = [...rows.values()];
    expect(dispatcher.isStarting(first!.id) && dispatcher.isStarting(second!.id)).toBe(true);

    // Once Temporal catches up, the sender's retry is accepted.
    for (let i = 0; i < 50 && rows.size < 3; i++) {
      temporal.releaseAll();
      await new Promise((r) => setImmediate(r));
      await dispatcher.dispatch({ source: 'default', type: 'a', externalId: '3' }).catch(() => undefined);
    }
    expect(rows.size).toBe(3);
    await temporal.drain(dispatcher);
    expect(temporal.start).toHaveBeenCalledTimes(3);
    expect([...rows.values()].some((r) => dispatcher.isStarting(r.id))).toBe(false);
  });

  it('queues a repeat of an event it is still starting only once', async () => {
    const { repos } = fakeRepos();
    const temporal = hangingDriver();
    const dispatcher = createDispatcher({ repos, driver: temporal.driver, logger: createLogger('silent'), ackAfter: 'commit', startConcurrency: 1 });
    const answers = await Promise.all([1, 2, 3].map(() => dispatcher.dispatch({ source: 'default', type: 'a', externalId: 'same' })));
    expect(answers.map((a) => a.status).sort()).toEqual(['duplicate', 'duplicate', 'received']);
    await temporal.drain(dispatcher);
    expect(temporal.start).toHaveBeenCalledTimes(1);
  });

  it('while Temporal is down keeps accepting into the database, and leaves the unstarted rows to the sweeper', async () => {
    const { rows, repos } = fakeRepos();
    const start = jest.fn(async () => {
      throw new Error('14 UNAVAILABLE: Temporal is down');
    });
    const driver = { startEvent: start, eventResult: async () => null } as unknown as QueueDriver;
    const dispatcher = createDispatcher({ repos, driver, logger: createLogger('silent'), ackAfter: 'commit' });
    const answers = await Promise.all(['a', 'b', 'c'].map((externalId) => dispatcher.dispatch({ source: 'default', type: 'a', externalId })));
    expect(answers.map((a) => a.status)).toEqual(['received', 'received', 'received']);
    await dispatcher.drained();
    expect(start).toHaveBeenCalledTimes(3);
    // Nothing marked started, nothing held: the sweeper's next pass starts them.
    expect([...rows.values()].map((r) => r.workflowStartedAt)).toEqual([null, null, null]);
    expect([...rows.values()].some((r) => dispatcher.isStarting(r.id))).toBe(false);
    expect(repos.events.markManyWorkflowStarted).not.toHaveBeenCalled();
    expect(repos.events.markWorkflowStarted).not.toHaveBeenCalled();
  });
});

describe('dispatcher: how long a workflow start may take', () => {
  it('gives a background start (commit mode) a longer deadline than a start a sender waits on', async () => {
    const deadlines: Record<string, number> = {};
    const driver = {
      startEvent: jest.fn(async (event: { externalId: string }, deadlineMs: number) => {
        deadlines[event.externalId] = deadlineMs;
        return true;
      }),
      eventResult: async () => null,
    } as unknown as QueueDriver;
    const committed = createDispatcher({ repos: fakeRepos().repos, driver, logger: createLogger('silent'), ackAfter: 'commit' });
    await committed.dispatch({ source: 'default', type: 'a', externalId: 'behind-the-answer' });
    await committed.drained();
    const started = createDispatcher({ repos: fakeRepos().repos, driver, logger: createLogger('silent'), ackAfter: 'start' });
    await started.dispatch({ source: 'default', type: 'a', externalId: 'sender-waits' });
    // A loaded server may take longer than 5 s; nobody waits on a background start, and giving
    // up early only leaves the event to the sweeper's next pass.
    expect(deadlines['sender-waits']).toBe(5_000);
    expect(deadlines['behind-the-answer']).toBeGreaterThanOrEqual(30_000);
  });
});

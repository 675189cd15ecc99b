import type { EventRow } from '../../../src/db/event-repository';
import type { StartableEvent } from '../../../src/events/dispatcher';
import { createUnstartedEventSweeper } from '../../../src/events/unstarted-event-sweeper';

const NOW = Date.UTC(2027, 0, 15, 8, 0, 0);

function eventRow(overrides: Partial<EventRow> = {}): EventRow {
  const id = overrides.id ?? `evt_${Math.random().toString(36).slice(2)}`;
  return {
    id,
    source: 'default',
    externalId: id,
    type: 'order.created',
    payload: {},
    occurredAt: new Date(NOW - 60_000),
    agentId: null,
    receivedAt: new Date(NOW - 60_000),
    workflowId: `event/${id}`,
    workflowStartedAt: null,
    status: 'received',
    payloadExpiredAt: null,
    vetoReason: null,
    orderingKey: null,
    sequence: 1,
    ...overrides,
  };
}

/** Event rows in memory, with the repository's listUnstarted / markManyWorkflowStarted semantics. */
function fakeEvents(rows: EventRow[]) {
  return {
    rows,
    cutoffs: [] as Date[],
    async listUnstarted(olderThan: Date, limit = 100, after?: { at: Date; id: string }) {
      this.cutoffs.push(olderThan);
      const key = (r: Pick<EventRow, 'receivedAt' | 'id'>) => `${r.receivedAt.toISOString()} ${r.id}`;
      return rows
        .filter((r) => r.workflowStartedAt === null && r.receivedAt < olderThan && (!after || key(r) > key({ receivedAt: after.at, id: after.id })))
        .sort((x, y) => key(x).localeCompare(key(y)))
        .slice(0, limit);
    },
    async markManyWorkflowStarted(ids: string[]) {
      for (const row of rows) if (ids.includes(row.id) && !row.workflowStartedAt) row.workflowStartedAt = new Date(NOW);
    },
  };
}

const logger = { info: jest.fn(), warn: jest.fn(), error: jest.fn() };

describe('unstarted-event sweeper', () => {
  it('starts and marks every unstarted row older than the minimum age, page by page', async () => {
    const rows = Array.from({ length: 5 }, () => eventRow());
    const young = eventRow({ receivedAt: new Date(NOW - 2_000) });
    const done = eventRow({ workflowStartedAt: new Date(NOW - 50_000) });
    const events = fakeEvents([...rows, young, done]);
    const startWorkflow = jest.fn(async (_event: StartableEvent) => true);
    const sweeper = createUnstartedEventSweeper({ events, dispatcher: { startWorkflow }, logger, intervalMs: 30_000, batchSize: 2, now: () => NOW });

    await expect(sweeper.sweepOnce()).resolves.toEqual({ started: 5, alreadyStarted: 0, failed: 0, interrupted: false });

    expect(startWorkflow.mock.calls.map(([e]) => e.id).sort()).toEqual(rows.map((r) => r.id).sort());
    expect(rows.every((r) => r.workflowStartedAt)).toBe(true);
    expect(young.workflowStartedAt).toBeNull();
    expect(events.cutoffs[0]).toEqual(new Date(NOW - 10_000));
  });

  it('marks a row whose workflow had already started without counting it as started', async () => {
    const row = eventRow();
    const sweeper = createUnstartedEventSweeper({ events: fakeEvents([row]), dispatcher: { startWorkflow: async () => false }, logger, intervalMs: 30_000, now: () => NOW });
    await expect(sweeper.sweepOnce()).resolves.toEqual({ started: 0, alreadyStarted: 1, failed: 0, interrupted: false });
    expect(row.workflowStartedAt).not.toBeNull();
  });

  it('stops when a whole chunk of starts fails (Temporal is down) and leaves those rows for the next sweep', async () => {
    const [a, b] = [eventRow(), eventRow()];
    const startWorkflow = jest.fn(async () => {
      throw new Error('14 UNAVAILABLE');
    });
    const sweeper = createUnstartedEventSweeper({ events: fakeEvents([a, b]), dispatcher: { startWorkflow }, logger, intervalMs: 30_000, concurrency: 1, now: () => NOW });
    await expect(sweeper.sweepOnce()).resolves.toEqual({ started: 0, alreadyStarted: 0, failed: 1, interrupted: true });
    expect(startWorkflow).toHaveBeenCalledTimes(1);
    expect([a.workflowStartedAt, b.workflowStartedAt]).toEqual([null, null]);
  });

  it('does not stop at one bad row: marks the starts that succeeded and leaves the failed row unmarked', async () => {
    const rows = Array.from({ length: 4 }, () => eventRow());
    const failing = rows[2]!.id;
    const startWorkflow = jest.fn(async (event: StartableEvent) => {
      if (event.id === failing) throw new Error('14 UNAVAILABLE');
      return true;
    });
    const sweeper = createUnstartedEventSweeper({ events: fakeEvents(rows), dispatcher: { startWorkflow }, logger, intervalMs: 30_000, now: () => NOW });
    await expect(sweeper.sweepOnce()).resolves.toEqual({ started: 3, alreadyStarted: 0, failed: 1, interrupted: false });
    expect(rows.filter((r) => r.workflowStartedAt === null).map((r) => r.id)).toEqual([failing]);
  });

  it('leaves the rows this process is starting already, and pages past them', async () => {
    const rows = Array.from({ length: 7 }, (_, i) => eventRow({ id: `evt_${i}` }));
    const busy = new Set(['evt_0', 'evt_1', 'evt_2', 'evt_5']);
    const startWorkflow = jest.fn(async (_event: StartableEvent) => true);
    const events = fakeEvents(rows);
    const sweeper = createUnstartedEventSweeper({ events, dispatcher: { startWorkflow, isStarting: (id) => busy.has(id) }, logger, intervalMs: 30_000, batchSize: 3, now: () => NOW });
    await expect(sweeper.sweepOnce()).resolves.toEqual({ started: 3, alreadyStarted: 0, failed: 0, interrupted: false });
    expect(startWorkflow.mock.calls.map(([e]) => e.id)).toEqual(['evt_3', 'evt_4', 'evt_6']);
    expect(events.cutoffs).toHaveLength(3);
  });

  it('sweeps at start, then again each interval, until stopped', async () => {
    jest.useFakeTimers({ now: NOW });
    try {
      const events = fakeEvents([]);
      const sweeper = createUnstartedEventSweeper({ events, dispatcher: { startWorkflow: async () => true }, logger, intervalMs: 30_000 });
      sweeper.start();
      await jest.advanceTimersByTimeAsync(0);
      expect(events.cutoffs).toHaveLength(1);
      await jest.advanceTimersByTimeAsync(29_000);
      expect(events.cutoffs).toHaveLength(1);
      await jest.advanceTimersByTimeAsync(1_000);
      expect(events.cutoffs).toHaveLength(2);
      await sweeper.stop();
      await jest.advanceTimersByTimeAsync(120_000);
      expect(events.cutoffs).toHaveLength(2);
    } finally {
      jest.useRealTimers();
    }
  });

  it('keeps sweeping after a sweep that threw, and never sweeps with an interval of 0', async () => {
    jest.useFakeTimers({ now: NOW });
    try {
      let calls = 0;
      const events = {
        listUnstarted: async () => {
          calls++;
          throw new Error('database restarting');
        },
        markManyWorkflowStarted: async () => undefined,
      };
      const sweeper = createUnstartedEventSweeper({ events, dispatcher: { startWorkflow: async () => true }, logger, intervalMs: 1_000 });
      sweeper.start();
      await jest.advanceTimersByTimeAsync(2_500);
      expect(calls).toBe(3);
      expect(logger.error).toHaveBeenCalled();
      await sweeper.stop();

      const off = createUnstartedEventSweeper({ events, dispatcher: { startWorkflow: async () => true }, logger, intervalMs: 0 });
      off.start();
      await jest.advanceTimersByTimeAsync(60_000);
      expect(calls).toBe(3);
      await off.stop();
    } finally {
      jest.useRealTimers();
    }
  });

  it('lets a sweep in progress finish before stop resolves', async () => {
    let release!: () => void;
    const events = fakeEvents([eventRow()]);
    const startWorkflow = jest.fn(() => new Promise<boolean>((resolve) => (release = () => resolve(true))));
    const sweeper = createUnstartedEventSweeper({ events, dispatcher: { startWorkflow }, logger, intervalMs: 30_000, now: () => NOW });
    sweeper.start();
    await new Promise((r) => setTimeout(r, 20));
    expect(startWorkflow).toHaveBeenCalledTimes(1);
    let stopped = false;
    const stopping = sweeper.stop().then(() => (stopped = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(events.rows[0].workflowStartedAt).not.toBeNull();
  });
});

import { eq, inArray } from 'drizzle-orm';
import { deliveries, events } from '../../src/db/schema';
import { normalizeEvent, toEventRow } from '../../src/events/normalized-event';
import { eventually, nowSeconds, startHarness, type Harness } from '../helpers/harness';
import { startReceiver, type Receiver } from '../helpers/receiver';

describe('WEBHOOK_ACK_AFTER=commit', () => {
  let h: Harness;
  let r: Receiver;

  beforeAll(async () => {
    h = await startHarness({ WEBHOOK_ACK_AFTER: 'commit' });
    r = await startReceiver();
  });
  afterAll(async () => {
    await r?.close();
    await h?.stop();
  });

  it('answers once the event row is committed and still starts its workflow and delivers it', async () => {
    await h.admin('POST', '/subscribers', { url: r.url, events: ['commit.mode'] });
    const res = await h.sendInbound({ event: 'commit.mode', timestamp: nowSeconds(), data: { x: 1 }, id: 'commit-1' });
    expect(res.status).toBe(200);
    expect(res.json.status).toBe('received');
    const [row] = await h.database.db.select().from(events).where(eq(events.id, res.json.event_id));
    expect(row).toBeDefined();

    await r.waitFor(1);
    await eventually(async () => {
      const [e] = await h.database.db.select().from(events).where(eq(events.id, res.json.event_id));
      const [d] = await h.database.db.select().from(deliveries).where(eq(deliveries.eventId, res.json.event_id));
      return e.workflowStartedAt !== null && d?.status === 'succeeded';
    });
    const again = await h.sendInbound({ event: 'commit.mode', timestamp: nowSeconds(), data: { x: 1 }, id: 'commit-1' });
    expect(again.json.status).toBe('duplicate');
    await new Promise((res2) => setTimeout(res2, 300));
    expect(r.requests).toHaveLength(1);
  });

  it('with Prefer: wait, waits for the workflow to exist and answers "processed", and a too-short wait gets the plain answer, never a 500', async () => {
    // A receiver of its own: the slow delivery below must not land in another test's receiver.
    const slow = await startReceiver();
    try {
      await h.admin('POST', '/subscribers', { url: slow.url, events: ['commit.wait'] });
      const res = await h.sendInbound({ event: 'commit.wait', timestamp: nowSeconds(), data: {}, id: 'commit-wait' }, { headers: { prefer: 'wait=15' } });
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ status: 'processed', deliveries: 1 });

      slow.respond(async () => {
        await new Promise((done) => setTimeout(done, 2_500));
        return { status: 200 };
      });
      const short = await h.sendInbound({ event: 'commit.wait', timestamp: nowSeconds(), data: {}, id: 'commit-wait-short' }, { headers: { prefer: 'wait=1' } });
      expect(short.status).toBe(200);
      expect(short.json.status).toBe('received');
      await slow.waitFor(2);
    } finally {
      await slow.close();
    }
  });

  it('a burst shares its inserts (group commit) and loses nothing: every id once received, once delivered', async () => {
    await h.admin('POST', '/subscribers', { url: r.url, events: ['commit.burst'] });
    const before = r.requests.length;
    const unique = Array.from({ length: 150 }, (_, i) => `commit-burst-${i}`);
    const repeated = ['commit-burst-rep-a', 'commit-burst-rep-b', 'commit-burst-rep-c'];
    const ids = [...unique, ...repeated.flatMap((id) => Array.from({ length: 10 }, () => id))];
    const answers = await Promise.all(ids.map((id) => h.sendInbound({ event: 'commit.burst', timestamp: nowSeconds(), data: { id }, id })));
    expect(answers.map((a) => a.status)).toEqual(ids.map(() => 200));
    const received = answers.filter((a) => a.json.status === 'received').map((a) => a.json.event_id as string);
    expect(received).toHaveLength(unique.length + repeated.length);
    expect(new Set(received).size).toBe(received.length);

    await r.waitFor(before + received.length, 60_000);
    await eventually(async () => {
      const rows = await h.database.db.select().from(events).where(inArray(events.id, received));
      return rows.length === received.length && rows.every((row) => row.workflowStartedAt !== null);
    });
    await new Promise((res2) => setTimeout(res2, 300));
    const deliveredIds = r.requests.slice(before).map((req) => JSON.parse(req.body).data.id as string);
    expect(deliveredIds.sort()).toEqual([...unique, ...repeated].sort());
  });

  it('insertManyIfAbsent: one statement for many events, results in order, one creator per key', async () => {
    const row = (externalId: string) => toEventRow(normalizeEvent({ source: 'batch-test', type: 'batch.insert', externalId, data: { externalId } }));
    const [existing] = await h.runtime.repos.events.insertManyIfAbsent([row('old')]);
    const results = await h.runtime.repos.events.insertManyIfAbsent([row('new-1'), row('old'), row('new-2'), row('new-1')]);
    expect(results.map((x) => [x.event.externalId, x.created])).toEqual([
      ['new-1', true],
      ['old', false],
      ['new-2', true],
      ['new-1', false],
    ]);
    expect(results[1]!.event.id).toBe(existing!.event.id);
    expect(results[3]!.event.id).toBe(results[0]!.event.id);
  });
});

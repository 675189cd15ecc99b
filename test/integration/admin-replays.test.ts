import { eq } from 'drizzle-orm';
import { createReplayRunner } from '../../src/replays/replay-runner';
import { deliveries, replayJobs } from '../../src/db/schema';
import { seedDelivery, seedEvent, seedSubscriber } from '../helpers/admin-seed';
import { ADMIN_TOKEN, eventually, startHarness, type Harness } from '../helpers/harness';
import { startReceiver, type Receiver } from '../helpers/receiver';

// Bulk replay as a background job (issue 12): POST/GET /admin/api/replays, cancel, and the runner's lease.

describe('admin API: replay jobs', () => {
  let h: Harness;
  let receiver: Receiver;

  beforeAll(async () => {
    receiver = await startReceiver();
    h = await startHarness({ LOG_LEVEL: 'silent' });
  });
  afterAll(async () => {
    await h?.stop();
    await receiver?.close();
  });

  const db = () => h.database.db;

  async function deadLetters(n: number, overrides: { event?: string; createdAt?: Date } = {}) {
    const sub = await seedSubscriber(db(), { url: receiver.url });
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const event = await seedEvent(db(), { type: overrides.event ?? 'replay.job' });
      ids.push((await seedDelivery(db(), event, sub.id, { createdAt: overrides.createdAt })).id);
    }
    return { sub, ids };
  }

  it('replays every dead delivery a filter matches in the background and reports its progress', async () => {
    const { sub, ids } = await deadLetters(5);
    await deadLetters(2); // another subscriber's: outside the filter
    const before = receiver.requests.length;

    const dry = await h.admin('POST', '/replays', { filter: { subscriber_id: sub.id }, dry_run: true });
    expect(dry).toEqual({ status: 200, json: { matched: 5 } });

    const created = await h.admin('POST', '/replays', { filter: { subscriber_id: sub.id } });
    expect(created.status).toBe(202);
    expect(created.json).toMatchObject({ status: 'running', total: 5, filter: { subscriber_id: sub.id, status: 'dead' } });

    const done = await eventually(async () => {
      const job = (await h.admin('GET', `/replays/${created.json.id}`)).json;
      return job.status === 'completed' && job;
    });
    expect(done).toMatchObject({ total: 5, processed: 5, replayed: 5, skipped: 0 });
    // Each replay is a new delivery linked to its original, and reaches the receiver.
    const replays = await db().select().from(deliveries).where(eq(deliveries.subscriberId, sub.id));
    expect(replays.filter((d) => d.replayOf !== null).map((d) => d.replayOf).sort()).toEqual([...ids].sort());
    await eventually(async () => receiver.requests.length - before >= 5);

    const list = await h.admin('GET', '/replays?limit=1');
    expect(list.json.data[0].id).toBe(created.json.id);
    expect(list.json.next_cursor).toBeNull();
  });

  it('skips a dead delivery whose payload expired (retention or an expunge) and replays the rest of the job', async () => {
    const { sub, ids } = await deadLetters(3);
    const [expired] = await db().select().from(deliveries).where(eq(deliveries.id, ids[1]));
    expect((await h.admin('DELETE', `/events/${expired.eventId}/payload`)).status).toBe(200);
    // Asked by id, alone, the replay is refused with a clear code.
    expect((await h.admin('POST', '/dead-letters/replay', { ids: [ids[1]] })).json.error).toBe('payload_expired');

    const created = await h.admin('POST', '/replays', { filter: { subscriber_id: sub.id } });
    expect(created.status).toBe(202);
    const done = await eventually(async () => {
      const job = (await h.admin('GET', `/replays/${created.json.id}`)).json;
      return job.status !== 'running' && job;
    });
    expect(done).toMatchObject({ status: 'completed', total: 3, processed: 3, replayed: 2, skipped: 1 });
    const replayed = await db().select().from(deliveries).where(eq(deliveries.subscriberId, sub.id));
    expect(replayed.filter((d) => d.replayOf !== null).map((d) => d.replayOf).sort()).toEqual([ids[0], ids[2]].sort());
  });

  it('replays listed ids as a job too, and counts what it could not replay', async () => {
    const { ids } = await deadLetters(2);
    const created = await h.admin('POST', '/replays', { ids: [...ids, 'no-such-delivery'] });
    expect(created.status).toBe(202);
    expect(created.json).toMatchObject({ total: 3, filter: { ids: [...ids, 'no-such-delivery'], ids_count: 3 } });
    const listed = (await h.admin('GET', '/replays?limit=1')).json.data[0];
    expect(listed).toMatchObject({ id: created.json.id, filter: { ids_count: 3 } });
    expect(listed.filter).not.toHaveProperty('ids');
    const done = await eventually(async () => {
      const job = (await h.admin('GET', `/replays/${created.json.id}`)).json;
      return job.status === 'completed' && job;
    });
    expect(done).toMatchObject({ total: 3, processed: 3, replayed: 2, skipped: 1 });
    // A dry run counts only what can be replayed.
    expect((await h.admin('POST', '/replays', { ids: [...ids, 'no-such-delivery'], dry_run: true })).json).toEqual({ matched: 2 });
  });

  it('turns a dead-letter replay by subscriber and time range into a job', async () => {
    const { sub } = await deadLetters(3);
    const res = await h.admin('POST', '/dead-letters/replay', { subscriber_id: sub.id, from: new Date(Date.now() - 3600_000).toISOString(), to: new Date(Date.now() + 1000).toISOString() });
    expect(res.status).toBe(202);
    expect(res.json).toMatchObject({ status: 'running', total: 3, filter: { subscriber_id: sub.id, status: 'dead' } });
    await eventually(async () => (await h.admin('GET', `/replays/${res.json.id}`)).json.replayed === 3);
  });

  it('cancels a running job, and refuses to cancel a finished one', async () => {
    // A job no runner can reach: its lease belongs to a live holder elsewhere.
    const [job] = await db()
      .insert(replayJobs)
      .values({ filter: { status: 'dead', event: 'nothing.matches' }, total: 1, leaseOwner: 'elsewhere', leaseExpiresAt: new Date(Date.now() + 3600_000) })
      .returning();
    const cancelled = await h.admin('POST', `/replays/${job!.id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.json).toMatchObject({ id: job!.id, status: 'cancelled' });
    const again = await h.admin('POST', `/replays/${job!.id}/cancel`);
    expect(again.status).toBe(409);
  });

  it('counts the batch in flight when a job is cancelled, and starts no other', async () => {
    const event = 'replay.cancel';
    await deadLetters(5, { event });
    // Held by this test's runner, so the app's own runner leaves it alone.
    const [job] = await db()
      .insert(replayJobs)
      .values({ filter: { status: 'dead', event }, total: 5, leaseOwner: 'tester', leaseExpiresAt: new Date(Date.now() + 60_000) })
      .returning();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const batches: string[][] = [];
    const runner = createReplayRunner({
      jobs: h.runtime.repos.replayJobs,
      replay: async (ids) => {
        batches.push(ids);
        await gate;
        return h.runtime.control.replay(ids);
      },
      logger: h.runtime.app!.log as never,
      owner: 'tester',
      batchSize: 2,
    });
    const running = runner.runOnce();
    await eventually(async () => batches.length === 1);
    expect((await h.admin('POST', `/replays/${job!.id}/cancel`)).json.status).toBe('cancelled');
    release();
    await running;
    expect(batches).toHaveLength(1);
    expect((await h.admin('GET', `/replays/${job!.id}`)).json).toMatchObject({ status: 'cancelled', processed: 2, replayed: 2 });
  });

  it('refuses a bad body with 400 that names the field, and answers 404 for an unknown job', async () => {
    const neither = await h.admin('POST', '/replays', {});
    expect(neither.status).toBe(400);
    expect(neither.json).toMatchObject({ error: 'validation_failed', details: [{ field: 'filter', message: 'send either ids or filter' }] });
    const badSubscriber = await h.admin('POST', '/replays', { filter: { subscriber_id: 'nope' } });
    expect(badSubscriber.status).toBe(400);
    expect(badSubscriber.json.details[0].field).toBe('filter.subscriber_id');
    const backwards = await h.admin('POST', '/replays', { filter: { from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' } });
    expect(backwards.status).toBe(400);
    expect(backwards.json.details[0].field).toBe('filter.from');
    expect((await h.admin('GET', '/replays/0b7c7c3e-8a57-4cf4-9a39-4b4f3f1c1a11')).status).toBe(404);
    expect((await h.admin('GET', '/replays/not-a-uuid')).status).toBe(404);
    expect((await h.admin('POST', '/replays/0b7c7c3e-8a57-4cf4-9a39-4b4f3f1c1a11/cancel')).status).toBe(404);
    expect((await h.admin('GET', '/replays?limit=0')).status).toBe(400);
  });

  it('requires the admin token on every replay route', async () => {
    for (const [method, url] of [
      ['GET', '/admin/api/replays'],
      ['POST', '/admin/api/replays'],
      ['GET', '/admin/api/replays/0b7c7c3e-8a57-4cf4-9a39-4b4f3f1c1a11'],
      ['POST', '/admin/api/replays/0b7c7c3e-8a57-4cf4-9a39-4b4f3f1c1a11/cancel'],
    ] as const) {
      const res = await h.app.inject({ method, url, payload: method === 'POST' ? {} : undefined });
      expect(res.statusCode).toBe(401);
    }
    expect((await h.app.inject({ method: 'GET', url: '/admin/api/replays', headers: { authorization: `Bearer ${ADMIN_TOKEN}x` } })).statusCode).toBe(401);
  });

  it('never replays a delivery twice when several runners share a job, and resumes from the cursor after a crash', async () => {
    const event = 'replay.lease';
    await deadLetters(12, { event });
    const ordered = (await db().select().from(deliveries).where(eq(deliveries.eventType, event))).sort((a, b) => +a.createdAt - +b.createdAt || (a.id < b.id ? -1 : 1));
    const fourth = ordered[3]!;
    // A holder crashed after the first 4 deliveries; its lease lapses in 1.5 s.
    const [job] = await db()
      .insert(replayJobs)
      .values({
        filter: { status: 'dead', event },
        total: 12,
        processed: 4,
        replayed: 4,
        cursor: { at: fourth.createdAt.toISOString(), id: fourth.id },
        leaseOwner: 'crashed',
        leaseExpiresAt: new Date(Date.now() + 1500),
      })
      .returning();
    // Two more runners beside the app's own, with small batches, all claiming at once.
    const replay = (batch: string[]) => h.runtime.control.replay(batch);
    const logger = h.runtime.app!.log as never;
    const runners = ['a', 'b'].map((owner) => createReplayRunner({ jobs: h.runtime.repos.replayJobs, replay, logger, owner, batchSize: 3 }));
    await Promise.all(runners.map((r) => r.runOnce()));
    const replaysOf = async () => (await db().select().from(deliveries).where(eq(deliveries.eventType, event))).filter((d) => d.replayOf !== null);
    expect(await replaysOf()).toEqual([]); // the lease is live: nobody took the job
    await eventually(async () => {
      await Promise.all(runners.map((r) => r.runOnce()));
      return (await h.runtime.repos.replayJobs.get(job!.id))?.status === 'completed';
    });
    const originals = (await replaysOf()).map((d) => d.replayOf!);
    expect(originals.sort()).toEqual(ordered.slice(4).map((d) => d.id).sort());
    expect(await h.runtime.repos.replayJobs.get(job!.id)).toMatchObject({ processed: 12, replayed: 12, skipped: 0 });
  });
});

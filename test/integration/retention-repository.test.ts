import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import type { Database } from '../../src/db/database';
import { deliveries, events, logs, orderingKeys, subscribers } from '../../src/db/schema';
import { createRetentionRepository } from '../../src/retention/retention-repository';
import { freshDatabase } from '../helpers/database';

// The pruner's statements against a real PostgreSQL, with rows dated by hand.

describe('retention statements', () => {
  let database: Database;
  let subscriberId: string;

  beforeAll(async () => {
    database = await freshDatabase();
    const [s] = await database.db.insert(subscribers).values({ url: 'http://127.0.0.1:9/x', secret: 'secret-0123456789', events: ['x'] }).returning();
    subscriberId = s.id;
  });
  afterAll(async () => {
    await database?.close();
  });

  const ago = (ms: number) => new Date(Date.now() - ms);

  async function eventWithDelivery(opts: { receivedAgo: number; status: 'pending' | 'succeeded' | 'dead' | 'held'; completedAgo?: number; eventStatus?: 'dispatched' | 'processed' }) {
    const id = `evt_${randomUUID()}`;
    await database.db.insert(events).values({
      id,
      source: 'api',
      externalId: id,
      type: 'x',
      payload: { secret: id },
      receivedAt: ago(opts.receivedAgo),
      workflowId: `event/${id}`,
      workflowStartedAt: ago(opts.receivedAgo),
      status: opts.eventStatus ?? 'processed',
    });
    const deliveryId = `dlv_${randomUUID()}`;
    await database.db.insert(deliveries).values({
      id: deliveryId,
      eventId: id,
      subscriberId,
      eventType: 'x',
      status: opts.status,
      attempts: 1,
      requestBody: '{"secret":true}',
      workflowId: `event/${id}/sub/${subscriberId}`,
      createdAt: ago(opts.receivedAgo),
      completedAt: opts.completedAgo === undefined ? null : ago(opts.completedAgo),
    });
    await database.db.insert(logs).values({
      deliveryId,
      eventId: id,
      subscriberId,
      event: 'x',
      requestBody: { secret: true },
      responseBody: 'response',
      attempts: 1,
      outcome: opts.status === 'succeeded' ? 'success' : 'failure',
      createdAt: ago(opts.receivedAgo),
    });
    return { eventId: id, deliveryId };
  }

  const deliveryRow = async (id: string) => (await database.db.select().from(deliveries).where(eq(deliveries.id, id)))[0];
  const logRows = (deliveryId: string) => database.db.select().from(logs).where(eq(logs.deliveryId, deliveryId));
  const eventRow = async (id: string) => (await database.db.select().from(events).where(eq(events.id, id)))[0];

  it("keeps a dead letter's delivery row until its own age, counted from when it died", async () => {
    const retention = createRetentionRepository(database.db);
    // Its only attempt is 100 s old, but it died 1 s ago.
    const dead = await eventWithDelivery({ receivedAgo: 100_000, status: 'dead', completedAgo: 1_000 });
    await retention.deleteLogs(ago(10_000), 1000);
    await retention.deleteDeliveries(ago(10_000), 1000);
    await retention.deleteEvents(ago(10_000), 1000);
    expect(await logRows(dead.deliveryId)).toHaveLength(0);
    expect((await deliveryRow(dead.deliveryId))?.status).toBe('dead');
    expect(await eventRow(dead.eventId)).toBeDefined();

    await retention.deleteDeliveries(ago(0), 1000);
    await retention.deleteEvents(ago(0), 1000);
    expect(await deliveryRow(dead.deliveryId)).toBeUndefined();
    expect(await eventRow(dead.eventId)).toBeUndefined();
  });

  it('leaves the data of a pending delivery and of an event whose fan-out is unfinished alone', async () => {
    const retention = createRetentionRepository(database.db);
    const live = await eventWithDelivery({ receivedAgo: 100_000, status: 'pending' });
    const fanningOut = await eventWithDelivery({ receivedAgo: 100_000, status: 'succeeded', completedAgo: 90_000, eventStatus: 'dispatched' });
    const done = await eventWithDelivery({ receivedAgo: 100_000, status: 'succeeded', completedAgo: 90_000 });
    while ((await retention.expirePayloads(ago(10_000), 1000)) > 0);
    while ((await retention.clearResponses(ago(10_000), 1000)) > 0);

    expect((await eventRow(live.eventId)).payload).toEqual({ secret: live.eventId });
    expect((await logRows(live.deliveryId))[0]).toMatchObject({ requestBody: { secret: true }, responseBody: 'response' });
    expect((await eventRow(fanningOut.eventId)).payload).toEqual({ secret: fanningOut.eventId });

    expect(await eventRow(done.eventId)).toMatchObject({ payload: null });
    expect((await eventRow(done.eventId)).payloadExpiredAt).toBeInstanceOf(Date);
    expect((await deliveryRow(done.deliveryId)).requestBody).toBeNull();
    expect((await logRows(done.deliveryId))[0]).toMatchObject({ requestBody: null, responseBody: null });

    await retention.deleteLogs(ago(0), 1000);
    expect(await logRows(live.deliveryId)).toHaveLength(1);
    expect(await logRows(done.deliveryId)).toHaveLength(0);
  });

  it('keeps a held delivery (its subscriber disabled or its circuit open) and everything its replay needs, until it is replayed', async () => {
    const retention = createRetentionRepository(database.db);
    const held = await eventWithDelivery({ receivedAgo: 100_000, status: 'held', completedAgo: 90_000 });
    const prune = async () => {
      while ((await retention.expirePayloads(ago(0), 1000)) > 0);
      while ((await retention.clearResponses(ago(0), 1000)) > 0);
      await retention.deleteLogs(ago(0), 1000);
      await retention.deleteDeliveries(ago(0), 1000);
      await retention.deleteEvents(ago(0), 1000);
    };
    await prune();
    expect(await deliveryRow(held.deliveryId)).toMatchObject({ status: 'held', requestBody: '{"secret":true}' });
    expect((await eventRow(held.eventId)).payload).toEqual({ secret: held.eventId });
    expect(await logRows(held.deliveryId)).toHaveLength(1);

    // Replayed (and the replay done): the held row is ordinary history again.
    await database.db.insert(deliveries).values({
      id: `${held.deliveryId}-r1`,
      eventId: held.eventId,
      subscriberId,
      eventType: 'x',
      status: 'succeeded',
      attempts: 1,
      replayOf: held.deliveryId,
      workflowId: `replay/${held.deliveryId}`,
      completedAt: ago(50_000),
    });
    await prune();
    expect(await deliveryRow(held.deliveryId)).toBeUndefined();
    expect(await eventRow(held.eventId)).toBeUndefined();
  });

  it("deletes an ordered key's state row once unused for the age, but never a blocked key's, nor one with a delivery queued", async () => {
    const retention = createRetentionRepository(database.db);
    const key = (name: string) => `ret-key-${name}-${randomUUID().slice(0, 8)}`;
    const idle = key('idle');
    const busy = key('busy');
    const blocked = key('blocked');
    const recent = key('recent');
    await database.db.insert(orderingKeys).values([
      { subscriberId, orderingKey: idle, idle: true, updatedAt: ago(100_000) },
      { subscriberId, orderingKey: busy, idle: false, updatedAt: ago(100_000) },
      { subscriberId, orderingKey: blocked, idle: false, blockedBy: 'dlv_dead', blockedAt: ago(100_000), updatedAt: ago(100_000) },
      { subscriberId, orderingKey: recent, idle: true, updatedAt: ago(1_000) },
    ]);
    // The busy key has a delivery in its queue.
    const queued = await eventWithDelivery({ receivedAgo: 100_000, status: 'pending' });
    await database.db.update(deliveries).set({ orderingKey: busy, sequence: 1 }).where(eq(deliveries.id, queued.deliveryId));
    const keyRow = async (orderingKey: string) =>
      (await database.db.select().from(orderingKeys).where(and(eq(orderingKeys.subscriberId, subscriberId), eq(orderingKeys.orderingKey, orderingKey))))[0];

    expect(await retention.deleteOrderingKeys(ago(10_000), 1000)).toBe(1);
    expect(await keyRow(idle)).toBeUndefined();
    expect(await keyRow(busy)).toBeDefined();
    expect(await keyRow(blocked)).toMatchObject({ blockedBy: 'dlv_dead' });
    expect(await keyRow(recent)).toBeDefined();

    // Its queue drained, the busy key's row goes too; the blocked key's stays until an operator acts.
    await database.db.update(deliveries).set({ status: 'succeeded', completedAt: new Date() }).where(eq(deliveries.id, queued.deliveryId));
    expect(await retention.deleteOrderingKeys(ago(10_000), 1000)).toBe(1);
    expect(await keyRow(busy)).toBeUndefined();
    expect(await keyRow(blocked)).toBeDefined();
    expect(await retention.deleteOrderingKeys(ago(0), 1)).toBe(1);
    expect(await keyRow(recent)).toBeUndefined();
    expect(await retention.deleteOrderingKeys(ago(0), 1)).toBe(0);
  });

  it('works in batches of the size it is given, oldest first', async () => {
    const retention = createRetentionRepository(database.db);
    const rows = [];
    for (let i = 0; i < 5; i++) rows.push(await eventWithDelivery({ receivedAgo: 200_000 - i * 1000, status: 'succeeded', completedAgo: 150_000 }));
    // The earlier tests' rows are younger than 160 s: only these five are past the cutoff.
    expect(await retention.deleteLogs(ago(160_000), 2)).toBe(2);
    expect(await logRows(rows[0].deliveryId)).toHaveLength(0);
    expect(await logRows(rows[1].deliveryId)).toHaveLength(0);
    expect(await logRows(rows[2].deliveryId)).toHaveLength(1);
    expect(await retention.deleteLogs(ago(160_000), 2)).toBe(2);
    expect(await retention.deleteLogs(ago(160_000), 2)).toBe(1);
    expect(await retention.deleteLogs(ago(160_000), 2)).toBe(0);
  });
});

import postgres from 'postgres';
import { eq } from 'drizzle-orm';
import { createRepositories } from '../../src/db/repositories';
import { deliveries, logs } from '../../src/db/schema';
import { bodyHash } from '../../src/db/frozen-bodies';
import { normalizeEvent, toEventRow } from '../../src/events/normalized-event';
import { freshDatabase } from '../helpers/database';

// An attempt batch is one statement, whose snapshot is taken when it begins. When another worker
// is writing the same event's body (same hash) at that moment, the batch waits on the conflict
// and must still freeze the body on its delivery: a delivery left without its frozen body would
// rebuild it through the transform at its next attempt.

it('freezes the body on the delivery when another worker commits the same body while the batch waits on it', async () => {
  const db = await freshDatabase();
  const other = postgres(db.url, { max: 1, onnotice: () => undefined });
  try {
    const repos = createRepositories(db.db);
    const subscriber = await repos.subscribers.create({ url: 'https://receiver.example/hook', secret: 'whsec_cmFjZQ==', events: ['race.*'] });
    const { event } = await repos.events.insertIfAbsent(toEventRow(normalizeEvent({ source: 'api', type: 'race.test', data: { n: 1 } })));
    await repos.deliveries.createMany([{ id: 'dlv_race', eventId: event.id, subscriberId: subscriber.id, eventType: event.type, workflowId: 'race/dlv_race' }]);
    const body = JSON.stringify({ type: 'race.test', data: { n: 1 } });

    // The other worker's transaction has written the body and not committed yet.
    const reserved = await other.reserve();
    await reserved`begin`;
    await reserved`insert into webhook_request_bodies (event_id, hash, body) values (${event.id}, ${bodyHash(body)}, ${body})`;

    const recording = repos.deliveries.recordAttempts([
      {
        log: { deliveryId: 'dlv_race', eventId: event.id, subscriberId: subscriber.id, event: event.type, attempts: 1, outcome: 'success', responseCode: 200, durationMs: 5, requestBodyFrozen: true },
        update: { status: 'succeeded', attempts: 1, lastResponseCode: 200, requestBody: body },
      },
    ]);
    await new Promise((r) => setTimeout(r, 300));
    await reserved`commit`;
    reserved.release();
    await recording;

    const [row] = await db.db.select().from(deliveries).where(eq(deliveries.id, 'dlv_race'));
    expect(row.status).toBe('succeeded');
    expect(row.requestBody).toBe(body);
    expect(await db.db.select().from(logs).where(eq(logs.deliveryId, 'dlv_race'))).toHaveLength(1);
  } finally {
    await other.end();
    await db.close();
  }
});

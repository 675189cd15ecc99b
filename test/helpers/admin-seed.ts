import { randomBytes } from 'node:crypto';
import type { Db } from '../../src/db/database';
import { deliveries, events, logs, subscribers, type AttemptOutcome, type DeliveryStatus } from '../../src/db/schema';

// Rows written straight to the database, for admin API tests that need history without waiting for it.

const rid = () => randomBytes(6).toString('hex');

export async function seedSubscriber(db: Db, overrides: Partial<typeof subscribers.$inferInsert> = {}) {
  const [row] = await db
    .insert(subscribers)
    .values({ url: 'http://127.0.0.1:9/hook', secret: `whsec_${randomBytes(24).toString('base64')}`, events: ['*'], ...overrides })
    .returning();
  return row!;
}

export async function seedEvent(db: Db, overrides: Partial<typeof events.$inferInsert> = {}) {
  const id = overrides.id ?? `evt_${rid()}`;
  const [row] = await db
    .insert(events)
    .values({ id, source: 'api', externalId: id, type: 'seed.event', payload: { seeded: true }, workflowId: `event/${id}`, workflowStartedAt: new Date(), status: 'processed', ...overrides })
    .returning();
  return row!;
}

export async function seedDelivery(db: Db, event: { id: string; type: string }, subscriberId: string, overrides: Partial<typeof deliveries.$inferInsert> & { status?: DeliveryStatus } = {}) {
  const id = overrides.id ?? `dlv_${rid()}`;
  const [row] = await db
    .insert(deliveries)
    .values({ id, eventId: event.id, subscriberId, eventType: event.type, status: 'dead', attempts: 3, requestBody: JSON.stringify({ seeded: id }), workflowId: `seed/${id}`, ...overrides })
    .returning();
  return row!;
}

export interface SeedAttempt {
  deliveryId: string;
  eventId: string;
  subscriberId: string;
  event: string;
  attempts: number;
  outcome: AttemptOutcome;
  durationMs: number;
  responseCode?: number | null;
  error?: string | null;
  createdAt: Date;
}

export async function seedAttempts(db: Db, rows: SeedAttempt[]) {
  for (let i = 0; i < rows.length; i += 1000) {
    await db.insert(logs).values(rows.slice(i, i + 1000).map((r) => ({ responseCode: null, error: null, ...r })));
  }
}

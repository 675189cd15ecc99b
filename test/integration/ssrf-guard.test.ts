import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { deliveries, logs } from '../../src/db/schema';
import { eventually, startHarness, type Harness } from '../helpers/harness';
import { startReceiver, type Receiver } from '../helpers/receiver';

describe('SSRF guard on outbound targets', () => {
  let h: Harness;
  let r: Receiver;

  beforeAll(async () => {
    h = await startHarness({ WEBHOOK_ALLOW_PRIVATE_TARGETS: 'false' });
    r = await startReceiver();
  });
  afterAll(async () => {
    await r?.close();
    await h?.stop();
  });

  const port = () => new URL(r.url).port;

  it.each([
    ['127.0.0.1', () => `http://127.0.0.1:${port()}/hook`],
    ['[::1]', () => `http://[::1]:${port()}/hook`],
    ['10/8', () => 'http://10.0.0.1/hook'],
    ['the metadata address', () => 'http://169.254.169.254/latest/meta-data'],
    ['IPv4-mapped loopback', () => `http://[::ffff:127.0.0.1]:${port()}/hook`],
    ['IPv4-compatible loopback', () => `http://[::127.0.0.1]:${port()}/hook`],
    ['the NAT64 local-use block', () => 'http://[64:ff9b:1::808:808]/hook'],
    ['a hostname that resolves to loopback', () => `http://localhost:${port()}/hook`],
  ])('refuses %s without retrying, with a logged reason', async (_label, url) => {
    const ev = `ssrf.${randomUUID().slice(0, 8)}`;
    const sub = await h.admin('POST', '/subscribers', { url: url(), events: [ev] });
    expect(sub.status).toBe(201);
    const { event_id } = (await h.admin('POST', '/events', { event: ev })).json;
    const d = await eventually(async () => {
      const [row] = await h.database.db.select().from(deliveries).where(eq(deliveries.eventId, event_id));
      return row?.status === 'failed' ? row : null;
    });
    const rows = await h.database.db.select().from(logs).where(eq(logs.deliveryId, d.id));
    expect(rows).toHaveLength(1);
    expect(rows[0].outcome).toBe('refused');
    expect(rows[0].error).toMatch(/refused to connect/);
    // A name's resolved addresses go to the process log only, never to stored errors.
    if (url().includes('localhost')) expect(`${rows[0].error} ${d.lastError}`).not.toMatch(/127\.0\.0\.1|::1\b/);
    expect(d.attempts).toBe(1);
    expect(r.requests).toHaveLength(0);
  });
});

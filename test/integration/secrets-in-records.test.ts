import { randomUUID } from 'node:crypto';
import { temporal as proto } from '@temporalio/proto';
import { eq } from 'drizzle-orm';
import { deliveries, logs } from '../../src/db/schema';
import { eventually, startHarness, type Harness } from '../helpers/harness';
import { startReceiver, type Receiver } from '../helpers/receiver';

// Issue 11, item 4, end to end: what a delivery records about its subscriber's secrets. The
// receiver gets the configured headers whole; the attempt log keeps only masks, and Temporal's
// histories (inputs, results, summaries, details) never see the URL's path or query or a header value.

const CAPABILITY = 'T0001/B0001/capability-path-secret';
const QUERY_SECRET = 'query-token-secret';
const HEADERS = { Authorization: 'Bearer receiver-credential-0123456789', 'X-Tenant': 'tenant-value-0123456789' };

describe('secrets in what a delivery records', () => {
  let h: Harness;
  let r: Receiver;

  beforeAll(async () => {
    h = await startHarness({ LOG_LEVEL: 'silent' });
    // The first attempt fails, so the delivery gets a workflow of its own as well.
    r = await startReceiver((_req, i) => (i === 0 ? { status: 503 } : { status: 200 }));
  });
  afterAll(async () => {
    await r?.close();
    await h?.stop();
  });

  it('sends configured headers whole, logs them masked, and keeps them and the URL path out of Temporal', async () => {
    const ev = `secrets.${randomUUID().slice(0, 8)}`;
    const url = `${r.url}/${CAPABILITY}?token=${QUERY_SECRET}`;
    expect((await h.admin('POST', '/subscribers', { url, events: [ev], headers: HEADERS })).status).toBe(201);
    const { event_id, workflow_id } = (await h.admin('POST', '/events', { event: ev })).json;
    const delivery = await eventually(async () => {
      const [row] = await h.database.db.select().from(deliveries).where(eq(deliveries.eventId, event_id));
      return row?.status === 'succeeded' ? row : null;
    });

    // The receiver needs them whole.
    expect(r.requests).toHaveLength(2);
    expect(r.requests[1].headers.authorization).toBe(HEADERS.Authorization);
    expect(r.requests[1].headers['x-tenant']).toBe(HEADERS['X-Tenant']);

    // The log keeps masks of at most 4 characters, and our own signature headers as sent.
    const rows = await h.database.db.select().from(logs).where(eq(logs.deliveryId, delivery.id));
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      const logged = Object.fromEntries(Object.entries(row.requestHeaders!).map(([k, v]) => [k.toLowerCase(), v]));
      expect(logged.authorization).toMatch(/^.{0,4}…$/);
      expect(logged['x-tenant']).toMatch(/^.{0,4}…$/);
      expect(logged['x-agent-signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
    }
    const view = await h.admin('GET', `/deliveries/${delivery.id}`);
    expect(JSON.stringify(view.json)).not.toMatch(/receiver-credential|tenant-value/);

    // Every byte of both workflows' histories: no path, query or header value.
    const client = h.runtime.client;
    for (const workflowId of [workflow_id, delivery.workflowId]) {
      const history = await client.workflow.getHandle(workflowId).fetchHistory();
      const bytes = Buffer.from(proto.api.history.v1.History.encode(history).finish()).toString('latin1');
      expect(bytes).toContain(new URL(r.url).host);
      for (const secret of ['capability-path-secret', QUERY_SECRET, 'receiver-credential', 'tenant-value']) {
        expect({ workflowId, leaks: bytes.includes(secret) ? secret : null }).toEqual({ workflowId, leaks: null });
      }
    }
  });
});

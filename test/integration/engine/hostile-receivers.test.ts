import { createServer, type Server } from 'node:http';
import { eventually, startHarness, type Harness } from '../../helpers/harness';

// One event's page holds healthy subscribers beside hostile receivers and a throwing transform.
// Each hostile delivery must cost only itself: every healthy subscriber gets attempt 1 exactly
// once, each hostile delivery ends with a logged reason, and the event becomes `processed`.

type Behaviour = 'ok' | 'nul' | 'bad-utf8' | 'huge-headers' | 'reset' | 'huge-body';

let h: Harness;
let server: Server;
let base: string;
const seen = new Map<string, string[]>();

beforeAll(async () => {
  server = createServer({ maxHeaderSize: 2 * 1024 * 1024 }, (req, res) => {
    const kind = (req.url ?? '').split('/')[1] as Behaviour;
    const key = `${req.url}`;
    seen.set(key, [...(seen.get(key) ?? []), `${req.headers['x-webhook-delivery']}#${req.headers['x-webhook-attempt']}`]);
    req.resume();
    req.on('end', () => {
      switch (kind) {
        case 'nul':
          return res.writeHead(200).end('ok\u0000');
        case 'bad-utf8':
          return res.writeHead(200).end(Buffer.from([0x6f, 0x6b, 0xc3, 0x28, 0xff, 0xfe]));
        case 'huge-headers':
          res.writeHead(200, { 'x-huge': 'a'.repeat(1024 * 1024) });
          return res.end('ok');
        case 'reset':
          res.writeHead(200, { 'content-length': '100' });
          res.write('partial');
          setTimeout(() => res.socket?.destroy(), 20);
          return;
        case 'huge-body':
          res.writeHead(200, { 'content-type': 'text/plain' });
          return res.end(Buffer.alloc(10 * 1024 * 1024, 'x'));
        default:
          return res.writeHead(200).end('ok');
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  h = await startHarness({ WEBHOOK_RETRY_SCHEDULE: '200ms,300ms' });
  h.runtime.transforms.register('explode', () => {
    throw new Error('the transform blew up');
  });
});

afterAll(async () => {
  await h?.stop();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

it('gives every healthy subscriber each attempt exactly once, however hostile its page neighbours are', async () => {
  const subscribers: Record<string, string> = {};
  const add = async (name: string, path: string, extra: Record<string, unknown> = {}) => {
    const res = await h.admin('POST', '/subscribers', { url: `${base}/${path}`, events: ['hostile.*'], ...extra });
    expect(res.status).toBe(201);
    subscribers[name] = res.json.id;
  };
  for (let i = 0; i < 4; i++) await add(`ok${i}`, `ok/${i}`);
  for (const kind of ['nul', 'bad-utf8', 'huge-headers', 'reset', 'huge-body']) await add(kind, `${kind}/x`);
  await add('transform', 'ok/transform', { transform: 'explode' });

  const sent = await h.admin('POST', '/events', { event: 'hostile.test', data: { n: 1 } });
  expect(sent.status).toBe(202);
  const eventId: string = sent.json.event_id;

  // Every delivery ends: succeeded, failed or dead.
  const deliveries = await eventually(async () => {
    const res = await h.admin('GET', `/deliveries?event_id=${eventId}&limit=50`);
    const rows = res.json.data as { subscriber_id: string; status: string; id: string }[];
    return rows.length === 10 && rows.every((d) => d.status !== 'pending') ? rows : null;
  }, 60_000);
  const status = (name: string) => deliveries.find((d) => d.subscriber_id === subscribers[name])!;

  for (let i = 0; i < 4; i++) {
    expect(status(`ok${i}`).status).toBe('succeeded');
    expect(seen.get(`/ok/${i}`)).toEqual([`${status(`ok${i}`).id}#1`]);
  }
  // Bodies PostgreSQL cannot hold as they came are stored sanitised; the delivery succeeded once.
  for (const kind of ['nul', 'bad-utf8', 'huge-body']) {
    expect(status(kind).status).toBe('succeeded');
    expect(seen.get(`/${kind}/x`)).toHaveLength(1);
  }
  const nul = await h.admin('GET', `/deliveries/${status('nul').id}`);
  expect(nul.json.attempts[0].response_body).toBe('ok\ufffd');
  const big = await h.admin('GET', `/deliveries/${status('huge-body').id}`);
  expect(big.json.attempts[0].response_body.length).toBe(64 * 1024);

  // Headers too large and a reset mid-body are retried on schedule, then dead, each attempt logged with its reason.
  for (const kind of ['huge-headers', 'reset']) {
    expect(status(kind).status).toBe('dead');
    const detail = await h.admin('GET', `/deliveries/${status(kind).id}`);
    expect(detail.json.attempts).toHaveLength(3);
    for (const a of detail.json.attempts) expect(a.error).toEqual(expect.any(String));
    expect(seen.get(`/${kind}/x`)).toEqual([1, 2, 3].map((n) => `${status(kind).id}#${n}`));
  }
  // The throwing transform fails its own delivery, once, without a request.
  expect(status('transform').status).toBe('failed');
  expect(seen.get('/ok/transform')).toBeUndefined();
  const transformed = await h.admin('GET', `/deliveries/${status('transform').id}`);
  expect(transformed.json.attempts[0].error).toMatch(/the transform blew up/);

  await eventually(async () => (await h.admin('GET', `/events/${eventId}`)).json.status === 'processed', 20_000);
});

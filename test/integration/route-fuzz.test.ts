import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { signV1 } from '../../src/domain/signature';
import { ADMIN_TOKEN, INBOUND_SECRET, startHarness, type Harness } from '../helpers/harness';
import { registeredRoutes } from '../helpers/registered-routes';

// Every route, with generated bad bodies, queries and ids, against the real PostgreSQL: never a
// 5xx, every error in the {error, message} shape, and nothing written for a refused request.

const HOSTILE = ['', ' ', '\u0000', 'a\u0000b', '\ud800', 'x\udc00y', '订单.创建', '😀', '`\n[x](http://e/)', 'webhook.delivery.dead_lettered', '%00', '../..', 'x'.repeat(3000), '-1', '1e400', 'NaN', 'null', '0000-00-00', '275760-09-14', '99999-01-01T00:00:00Z', '-271821-04-19'];
const text = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...HOSTILE) },
  { weight: 2, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
);
const value = fc.oneof({ weight: 3, arbitrary: text }, { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 2 }) }, { weight: 1, arbitrary: fc.integer() }, { weight: 1, arbitrary: fc.constant(undefined) });

/** encodeURIComponent, except that a lone surrogate is sent as the bytes a client would send (not valid UTF-8). */
const encode = (s: string) => Array.from(s, (c) => (/[\ud800-\udfff]/.test(c) ? '%ED%A0%80' : encodeURIComponent(c))).join('');

const subscriberBody = fc.record(
  {
    url: fc.oneof(fc.constantFrom('https://example.com/hook', 'http://user:pw@example.com/', 'ftp://example.com/', 'https://[::1]/x'), value),
    events: fc.oneof(fc.constant(['order.*']), fc.array(text, { maxLength: 3 }), value),
    name: value,
    description: value,
    secret: fc.oneof(fc.constantFrom(' '.repeat(20), 'a-long-enough-secret-0123', '\t'.repeat(16)), value),
    active: value,
    signature_version: fc.oneof(fc.constantFrom('v1', 'v2', 'both'), value),
    transform: value,
    headers: fc.oneof(fc.dictionary(text, text, { maxKeys: 3 }), value),
    client_id: value,
    reason: value,
    grace_seconds: value,
    event: fc.oneof(fc.constantFrom('order.created', 'webhook.test'), value),
    data: value,
  },
  { requiredKeys: [] },
);
const eventBody = fc.record({ event: fc.oneof(fc.constant('order.created'), value), data: value, agent_id: value, id: value }, { requiredKeys: [] });
const sourceBody = fc.record(
  {
    name: fc.oneof(fc.constantFrom('internal', 'api', 'default', 'fz-new'), text),
    verifier: fc.oneof(fc.constantFrom('generic', 'github', 'meta', 'stripe', 'standard-webhooks'), value),
    secrets: fc.oneof(fc.constant(['a-good-secret']), fc.array(text, { maxLength: 3 }), value),
    verify_token: value,
    ip_whitelist: fc.oneof(fc.array(text, { maxLength: 3 }), value),
    max_clock_skew: value,
    active: value,
  },
  { requiredKeys: [] },
);
const replayBody = fc.record({ ids: fc.oneof(fc.array(text, { maxLength: 3 }), value), subscriber_id: value, from: value, to: value }, { requiredKeys: [] });
// The bodies of replay jobs, enable, rotate-signing-key, the sandbox and the transform preview.
const otherBody = fc.record(
  {
    ids: fc.oneof(fc.array(text, { maxLength: 3 }), value),
    filter: fc.oneof(fc.record({ subscriber_id: value, event: value, status: fc.oneof(fc.constantFrom('dead', 'failed', 'held'), value), from: value, to: value }, { requiredKeys: [] }), value),
    dry_run: fc.oneof(fc.boolean(), value),
    replay_held: fc.oneof(fc.boolean(), value),
    signing_key: fc.oneof(fc.constantFrom('whsk_' + 'A'.repeat(43) + '=', 'whsk_'), value),
    grace_seconds: value,
    transform: fc.oneof(fc.constantFrom(null, 'none'), value),
    event: fc.oneof(fc.constantFrom('order.created', 'webhook.test'), value),
    data: value,
    id: value,
    agent_id: value,
    timestamp: value,
  },
  { requiredKeys: [] },
);
const anyBody = fc.oneof(
  { weight: 4, arbitrary: fc.oneof(subscriberBody, eventBody, sourceBody, replayBody, otherBody).map((b) => JSON.stringify(b)) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }) },
  { weight: 1, arbitrary: fc.constant(undefined) },
);
const query = fc
  .dictionary(
    fc.constantFrom('limit', 'cursor', 'from', 'to', 'status', 'event', 'source', 'event_id', 'subscriber_id', 'active', 'deliveries_limit', 'deliveries_cursor', 'search', 'bucket', 'hours', 'hub.mode', 'hub.verify_token', 'hub.challenge', 'x'),
    fc.oneof(text, fc.constantFrom('10', '0', '501', 'dead', 'true', '2026-01-01', '1h', 'subscribe', 'fuzz-verify-token', 'MjAyNi0wMS0wMVQwMDowMDowMC4wMDBafGlk', 'OTk5OTktMDEtMDF8eA')),
    { maxKeys: 4 },
  )
  .map((q) => {
    const s = Object.entries(q)
      .map(([k, v]) => `${k}=${encode(v)}`)
      .join('&');
    return s ? `?${s}` : '';
  });

interface Route {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  /** Takes an id or a name. */
  param?: 'subscriber' | 'event' | 'delivery' | 'source' | 'replay';
}
const ROUTES: Route[] = [
  { method: 'GET', path: '/admin/api/subscribers' },
  { method: 'POST', path: '/admin/api/subscribers' },
  { method: 'GET', path: '/admin/api/subscribers/:id', param: 'subscriber' },
  { method: 'PATCH', path: '/admin/api/subscribers/:id', param: 'subscriber' },
  { method: 'DELETE', path: '/admin/api/subscribers/:id', param: 'subscriber' },
  { method: 'POST', path: '/admin/api/subscribers/:id/activate', param: 'subscriber' },
  { method: 'POST', path: '/admin/api/subscribers/:id/deactivate', param: 'subscriber' },
  { method: 'POST', path: '/admin/api/subscribers/:id/rotate-secret', param: 'subscriber' },
  { method: 'POST', path: '/admin/api/subscribers/:id/test', param: 'subscriber' },
  { method: 'GET', path: '/admin/api/subscribers/:id/ordering', param: 'subscriber' },
  { method: 'GET', path: '/admin/api/subscribers/:id/health', param: 'subscriber' },
  { method: 'GET', path: '/admin/api/subscribers/:id/protection', param: 'subscriber' },
  { method: 'POST', path: '/admin/api/subscribers/:id/enable', param: 'subscriber' },
  { method: 'POST', path: '/admin/api/subscribers/:id/rotate-signing-key', param: 'subscriber' },
  { method: 'POST', path: '/admin/api/subscribers/:id/ordering/skip', param: 'subscriber' },
  { method: 'GET', path: '/admin/api/events' },
  { method: 'POST', path: '/admin/api/events' },
  { method: 'GET', path: '/admin/api/events/:id', param: 'event' },
  { method: 'DELETE', path: '/admin/api/events/:id/payload', param: 'event' },
  { method: 'DELETE', path: '/admin/api/events/:id/data', param: 'event' },
  { method: 'GET', path: '/admin/api/event-types' },
  { method: 'GET', path: '/admin/api/deliveries' },
  { method: 'GET', path: '/admin/api/deliveries/:id', param: 'delivery' },
  { method: 'POST', path: '/admin/api/deliveries/:id/retry', param: 'delivery' },
  { method: 'POST', path: '/admin/api/deliveries/:id/cancel', param: 'delivery' },
  { method: 'GET', path: '/admin/api/dead-letters' },
  { method: 'POST', path: '/admin/api/dead-letters/replay' },
  { method: 'GET', path: '/admin/api/replays' },
  { method: 'POST', path: '/admin/api/replays' },
  { method: 'GET', path: '/admin/api/replays/:id', param: 'replay' },
  { method: 'POST', path: '/admin/api/replays/:id/cancel', param: 'replay' },
  { method: 'GET', path: '/admin/api/stats' },
  { method: 'POST', path: '/admin/api/sandbox/send' },
  { method: 'GET', path: '/admin/api/transforms' },
  { method: 'POST', path: '/admin/api/transforms/preview' },
  { method: 'GET', path: '/admin/api/in-flight' },
  { method: 'GET', path: '/admin/api/openapi.json' },
  { method: 'GET', path: '/admin/api/sources' },
  { method: 'POST', path: '/admin/api/sources' },
  { method: 'GET', path: '/admin/api/sources/:id', param: 'source' },
  { method: 'PATCH', path: '/admin/api/sources/:id', param: 'source' },
  { method: 'DELETE', path: '/admin/api/sources/:id', param: 'source' },
  { method: 'POST', path: '/webhook/inbound' },
  { method: 'GET', path: '/webhook/inbound' },
  { method: 'POST', path: '/webhook/inbound/:id', param: 'source' },
  // The Meta handshake.
  { method: 'GET', path: '/webhook/inbound/:id', param: 'source' },
  { method: 'GET', path: '/health' },
];

describe('every route, fuzzed against the real database', () => {
  let h: Harness;
  const known = { subscriber: [] as string[], event: [] as string[], delivery: [] as string[], source: ['fz-src', 'fz-meta'], replay: [] as string[] };

  // Every row inserted, updated or deleted in any table bumps one sequence (row-level triggers,
  // set up in this test's own database), so "nothing written" is one cheap read.
  const TABLES = ['webhook_events', 'webhook_deliveries', 'webhook_logs', 'webhook_subscribers', 'webhook_sources'];
  const fingerprint = async () => {
    const result = await h.database.db.execute(sql`select last_value::text as n from fuzz_writes`);
    return (result as unknown as { rows: { n: string }[] }).rows[0].n;
  };

  beforeAll(async () => {
    h = await startHarness({ LOG_LEVEL: 'silent', WEBHOOK_SWEEP_INTERVAL: '0', WEBHOOK_MAX_CLOCK_SKEW: '100000000', WEBHOOK_ACK_AFTER: 'start' }, { worker: false });
    await h.database.db.execute(sql`create sequence fuzz_writes`);
    await h.database.db.execute(sql`select nextval('fuzz_writes')`);
    await h.database.db.execute(sql`create function fuzz_count_write() returns trigger language plpgsql as $$ begin perform nextval('fuzz_writes'); return null; end $$`);
    for (const table of TABLES) {
      await h.database.db.execute(sql.raw(`create trigger fuzz_count after insert or update or delete on ${table} for each row execute function fuzz_count_write()`));
    }
    // The replay runner updates its jobs in the background; a refused request must not create one.
    await h.database.db.execute(sql.raw('create trigger fuzz_count after insert on webhook_replay_jobs for each row execute function fuzz_count_write()'));
    expect((await h.admin('POST', '/sources', { name: 'fz-src', verifier: 'generic', secrets: ['fuzz-source-secret'] })).status).toBe(201);
    expect((await h.admin('POST', '/sources', { name: 'fz-meta', verifier: 'meta', secrets: ['fuzz-source-secret'], verify_token: 'fuzz-verify-token' })).status).toBe(201);
    const sub = await h.admin('POST', '/subscribers', { url: 'https://example.com/hook', events: ['order.*'] });
    known.subscriber.push(sub.json.id);
    const ev = await h.admin('POST', '/events', { event: 'order.created', id: 'fuzz-seed' });
    known.event.push(ev.json.event_id);
    const job = await h.admin('POST', '/replays', { ids: ['fuzz-none'] });
    expect(job.status).toBe(202);
    known.replay.push(job.json.id);
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('lists every route the app serves', async () => {
    await h.app.ready();
    const fuzzed = new Set(ROUTES.map((r) => `${r.method} ${r.path}`));
    const missing = registeredRoutes(h.app.printRoutes({ commonPrefix: false }))
      // Static files (the admin UI and the API's docs page) and the metrics take no input that reaches the database.
      .filter((r) => !/^\/admin(\*|\/\*)?$|^\/admin\/api\/docs|^\/metrics$/.test(r.path))
      .flatMap((r) => r.methods.map((m) => `${m} ${r.path.replace(/:\w+/g, ':id')}`))
      // HEAD is GET without a body; on the inbound paths every method but GET and POST is a 405 before anything is read.
      .filter((route) => !/^(HEAD|OPTIONS) /.test(route) && !/^(PUT|PATCH|DELETE) \/webhook\//.test(route))
      .filter((route) => !fuzzed.has(route));
    expect(missing).toEqual([]);
  });

  it('never answers 5xx, answers every error as {error, message}, and writes nothing it refuses (10,000 requests)', async () => {
    const statuses = new Map<string, number>();
    let state = await fingerprint();
    const started = Date.now();
    const request = fc.record({
      route: fc.constantFrom(...ROUTES),
      id: fc.oneof({ weight: 2, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.uuid() }, { weight: 3, arbitrary: text }),
      pick: fc.nat(),
      query,
      body: anyBody,
      contentType: fc.oneof({ weight: 8, arbitrary: fc.constant('application/json') }, { weight: 1, arbitrary: fc.constantFrom('text/plain', 'application/x-www-form-urlencoded') }),
      sign: fc.boolean(),
      auth: fc.oneof({ weight: 19, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
    });
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const ids = r.route.param ? known[r.route.param] : [];
        const id = r.route.param ? (r.id ?? ids[r.pick % Math.max(ids.length, 1)] ?? 'none') : '';
        const url = r.route.path.replace(':id', encode(id)) + r.query;
        const inbound = r.route.path.startsWith('/webhook');
        let payload = r.body;
        if (inbound && payload !== undefined && r.sign) {
          // Mostly well-formed events, so the gateway's later checks and the insert see traffic.
          payload = JSON.stringify({ event: 'order.created', timestamp: Math.floor(Date.now() / 1000), id: `fz-${Math.random()}`, ...JSON.parse(JSON.stringify(JSON.parse(payload.startsWith('{') ? payload : '{}'))) });
        }
        const headers: Record<string, string> = { 'content-type': r.contentType };
        if (r.auth) headers.authorization = `Bearer ${ADMIN_TOKEN}`;
        if (inbound && r.sign && payload !== undefined) {
          const signature = signV1(payload, r.route.param ? 'fuzz-source-secret' : INBOUND_SECRET);
          headers[id === 'fz-meta' ? 'x-hub-signature-256' : 'x-signature'] = signature;
        }
        const writes = r.route.method !== 'GET';

        const res = await h.app.inject({ method: r.route.method, url, payload, headers });
        const key = `${r.route.method} ${r.route.path} ${res.statusCode}`;
        statuses.set(key, (statuses.get(key) ?? 0) + 1);

        expect({ key, body: res.statusCode >= 500 ? res.body : '' }).toEqual({ key: expect.not.stringMatching(/ 5\d\d$/), body: '' });
        if (res.statusCode >= 400) {
          const json = res.json();
          expect(Object.keys(json).filter((k) => k !== 'details').sort()).toEqual(['error', 'message']);
          expect(json.error).toMatch(/^[a-z_]+$/);
          expect(typeof json.message).toBe('string');
          // The database is as the last accepted write (or the start) left it: one query per refusal.
          if (writes) expect({ key, after: await fingerprint() }).toEqual({ key, after: state });
        } else if (res.statusCode < 300 && res.body) {
          const json = res.json();
          if (r.route.path === '/admin/api/subscribers' && r.route.method === 'POST') known.subscriber.push(json.id);
          if (json.event_id) known.event.push(json.event_id);
          if (r.route.path === '/admin/api/replays' && r.route.method === 'POST' && json.id) known.replay.push(json.id);
        }
        if (res.statusCode < 400 && writes) state = await fingerprint();
      }),
      // A fixed seed: the same 10,000 requests every run, so a failure reproduces and the coverage check below cannot flake.
      { numRuns: 10_000, seed: 20261204 },
    );
    // The fuzzer reached every route, and past its validation on most of them.
    for (const route of ROUTES) expect([...statuses.keys()].some((k) => k.startsWith(`${route.method} ${route.path} `))).toBe(true);
    const accepted = new Set([...statuses.keys()].filter((k) => / 2\d\d$/.test(k)).map((k) => k.replace(/ \d+$/, '')));
    expect(accepted.size).toBeGreaterThanOrEqual(20);
    console.log(`route fuzz: 10,000 requests in ${Date.now() - started} ms; ${accepted.size} routes accepted some`);
  }, 180_000);
});

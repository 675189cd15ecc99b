import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { signV1, signV2 } from '../../../src/domain/signature';
import { buildTestGateway, envelope, NOW_S, SECRET, sourceRow, type TestGateway } from '../../helpers/inbound-app';

// Whatever arrives, the gateway answers with a documented status and the JSON error shape, and
// nothing it refuses reaches the dispatcher.

const WHSEC = `whsec_${Buffer.from('fuzz-standard-webhooks-key-0123').toString('base64')}`;
const SOURCES = {
  default: '/webhook/inbound',
  openai: '/webhook/inbound/openai',
  github: '/webhook/inbound/github',
  whatsapp: '/webhook/inbound/whatsapp',
  stripe: '/webhook/inbound/stripe',
  partner: '/webhook/inbound/partner',
  unknown: '/webhook/inbound/unknown',
} as const;
type Target = keyof typeof SOURCES;

const printable = (maxLength = 40) => fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength });
const field = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant(undefined));
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });

const body = fc.oneof(
  { weight: 2, arbitrary: fc.string({ maxLength: 200 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 4000 }) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a).toString('latin1')) },
  { weight: 2, arbitrary: fc.json({ maxDepth: 3 }) },
  // Well-formed generic bodies, so the whitelist, clock, signature and rate-limit checks see traffic.
  {
    weight: 3,
    arbitrary: fc
      .record({ timestamp: fc.constantFrom(NOW_S, NOW_S - 120, NOW_S - 121, NOW_S + 500), id: printable(20) })
      .map((o) => JSON.stringify(envelope(o))),
  },
  {
    weight: 4,
    arbitrary: fc
      .record({
        event: fc.oneof(fc.constantFrom('order.created', '', ' ', 'e'.repeat(201)), field),
        timestamp: fc.oneof(fc.constantFrom(NOW_S, NOW_S - 120, NOW_S - 121, NOW_S + 121, 0, -1, 1.5), field),
        data: fc.oneof(fc.constant({ a: 1 }), field),
        id: fc.oneof(printable(20), field),
        signature: maybe(printable(70)),
      })
      .map((o) => JSON.stringify(envelope(o))),
  },
  {
    weight: 3,
    arbitrary: fc
      .record({
        type: fc.oneof(fc.constantFrom('payment_intent.succeeded', 'response.completed'), field),
        id: fc.oneof(fc.constantFrom('evt_1'), field),
        object: fc.oneof(fc.constantFrom('event', 'whatsapp_business_account'), field),
        entry: fc.oneof(fc.constant([{ changes: [{ field: 'messages' }] }]), field),
        created: fc.oneof(fc.constant(NOW_S), field),
        data: field,
      })
      .map((o) => JSON.stringify(o)),
  },
);

const request = fc.record({
  target: fc.constantFrom(...(Object.keys(SOURCES) as Target[])),
  method: fc.oneof({ weight: 8, arbitrary: fc.constant('POST' as const) }, { weight: 2, arbitrary: fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD') }),
  query: fc.oneof(fc.constant(''), fc.constant('?hub.mode=subscribe&hub.verify_token=meta-verify-token&hub.challenge=42'), printable(30).map((q) => `?${encodeURI(q)}`)),
  contentType: fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom('application/json', 'application/json; charset=utf-8', 'application/vnd.api+json') },
    { weight: 2, arbitrary: fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonp', 'json') },
    { weight: 1, arbitrary: printable(30) },
    { weight: 1, arbitrary: fc.constant(undefined) },
  ),
  body,
  pad: fc.oneof({ weight: 9, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 5000 }) }),
  sign: fc.boolean(),
  headers: fc.record(
    {
      'x-signature': printable(80),
      'x-agent-signature': printable(80),
      'x-hub-signature-256': printable(80),
      // Mostly types in the alphabet, so GitHub requests reach the checks behind the type.
      'x-github-event': fc.oneof(printable(30), fc.constantFrom('push', 'pull_request', 'webhook.delivery.dead_lettered')),
      'x-github-delivery': printable(40),
      'webhook-id': printable(30),
      'webhook-timestamp': fc.oneof(printable(12), fc.constant(String(NOW_S))),
      'webhook-signature': printable(80),
      'stripe-signature': printable(80),
      prefer: fc.oneof(printable(20), fc.constant('wait=1')),
      'x-forwarded-for': fc.oneof(printable(40), fc.constantFrom('203.0.113.9', '198.51.100.1, 203.0.113.9')),
      'x-agent-id': fc.oneof(printable(30), fc.constant('agent-1')),
    },
    { requiredKeys: [] },
  ),
  remoteAddress: fc.constantFrom('127.0.0.1', '203.0.113.9', '198.51.100.1', '::1', '2001:db8::1'),
});

/** Valid signature headers for the target, so the fuzzer also reaches the checks behind the signature. */
function signedHeaders(target: Target, raw: string, headers: Record<string, string>): Record<string, string> {
  switch (target) {
    case 'default':
      return { 'x-signature': signV1(raw, SECRET) };
    case 'partner':
      return { 'x-signature': signV1(raw, 'partner-secret') };
    case 'github':
      return { 'x-hub-signature-256': signV1(raw, 'github-secret') };
    case 'whatsapp':
      return { 'x-hub-signature-256': signV1(raw, 'meta-app-secret') };
    case 'stripe':
      return { 'stripe-signature': `t=${NOW_S},v1=${createHmac('sha256', 'whsec_stripe_fuzz').update(`${NOW_S}.${raw}`).digest('hex')}` };
    case 'openai': {
      const id = headers['webhook-id'] || 'msg_fuzz';
      return { 'webhook-id': id, 'webhook-timestamp': String(NOW_S), 'webhook-signature': signV2(id, NOW_S, raw, WHSEC) };
    }
    default:
      return {};
  }
}

describe('inbound gateway: fuzzing with malformed requests', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await buildTestGateway({ WEBHOOK_BODY_LIMIT: '4kb', WEBHOOK_IP_WHITELIST: '127.0.0.1,::1,203.0.113.0/24', WEBHOOK_RATE_LIMIT: '8' }, [
      sourceRow({ name: 'openai', verifier: 'standard-webhooks', secrets: [WHSEC] }),
      sourceRow({ name: 'github', verifier: 'github', secrets: ['github-secret'] }),
      sourceRow({ name: 'whatsapp', verifier: 'meta', secrets: ['meta-app-secret'], verifyToken: 'meta-verify-token' }),
      sourceRow({ name: 'stripe', verifier: 'stripe', secrets: ['whsec_stripe_fuzz'] }),
      sourceRow({ name: 'partner', verifier: 'generic', secrets: ['partner-secret'], ipWhitelist: ['2001:db8::/32', '127.0.0.1'] }),
    ]);
  });
  afterAll(() => gw.close());

  it('never answers 5xx, always answers errors as {error, message}, and dispatches nothing it refuses (10,000 requests)', async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const raw = r.pad ? r.body + ' '.repeat(r.pad) : r.body;
        const headers: Record<string, string> = { ...r.headers };
        if (r.contentType !== undefined) headers['content-type'] = r.contentType;
        if (r.sign) Object.assign(headers, signedHeaders(r.target, raw, headers));
        const before = gw.dispatcher.drafts.length;

        const res = await gw.inject({ method: r.method, url: SOURCES[r.target] + r.query, payload: raw, headers, remoteAddress: r.remoteAddress });
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        const dispatched = gw.dispatcher.drafts.length - before;

        expect(res.status).toBeLessThan(500);
        if (r.method === 'HEAD') {
          // A HEAD answer has no body to check.
          expect(res.status).toBe(r.target === 'unknown' ? 404 : 405);
          expect(dispatched).toBe(0);
          return;
        }
        if (r.method === 'GET' && res.status === 200) {
          // Only the Meta handshake answers a GET, with its challenge as text.
          expect([r.target, res.body]).toEqual(['whatsapp', '42']);
          expect(dispatched).toBe(0);
          return;
        }
        expect(res.json).toBeDefined();
        if (res.status === 200) {
          expect(r.method).toBe('POST');
          expect(['received', 'duplicate', 'processed']).toContain(res.json.status);
          expect(dispatched).toBe(1);
        } else {
          expect(Object.keys(res.json).filter((k) => k !== 'details').sort()).toEqual(['error', 'message']);
          expect(res.json.error).toMatch(/^[a-z_]+$/);
          expect(typeof res.json.message).toBe('string');
          expect(res.json.message.length).toBeGreaterThan(0);
          expect(dispatched).toBe(0);
        }
      }),
      { numRuns: 10_000 },
    );
    // The fuzzer reached every row of the table, not just the first checks.
    for (const status of [200, 400, 401, 403, 404, 405, 413, 415, 422, 429]) expect(statuses.get(status) ?? 0).toBeGreaterThan(0);
    // Still serving after all of that.
    expect((await gw.send(envelope({ id: 'after-fuzz' }), { remoteAddress: '203.0.113.200' })).status).toBe(200);
  }, 180_000);
});

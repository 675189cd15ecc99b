import { parseConfig } from '../../../src/config';
import { signV1 } from '../../../src/domain/signature';
import { buildTestGateway, envelope, NOW_S, SECRET, type TestGateway } from '../../helpers/inbound-app';

// One test per row of the SPEC S3 table, then the order between rows.

const errorShape = (code: string) => ({ error: code, message: expect.any(String) });

describe('inbound gateway: the SPEC S3 checks, statuses and codes', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await buildTestGateway({ WEBHOOK_BODY_LIMIT: '1kb', WEBHOOK_IP_WHITELIST: '127.0.0.1,203.0.113.0/24' });
  });
  afterAll(() => gw.close());

  const post = (payload: string, headers: Record<string, string> = {}, remoteAddress?: string) =>
    gw.inject({ method: 'POST', url: '/webhook/inbound', payload, remoteAddress, headers: { 'content-type': 'application/json', 'x-signature': signV1(payload, SECRET), ...headers } });

  it('accepts a signed event with 200 "received", its id, workflow id and an integer received_at', async () => {
    const before = gw.dispatcher.drafts.length;
    const res = await gw.send(envelope({ id: 'accepted-1' }), { headers: { 'x-agent-id': 'agent-7' } });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      status: 'received',
      event: 'order.created',
      event_id: expect.stringMatching(/^evt_/),
      workflow_id: `event/${res.json.event_id}`,
      received_at: NOW_S,
    });
    expect(gw.dispatcher.drafts.slice(before)).toEqual([
      { source: 'default', type: 'order.created', externalId: 'accepted-1', occurredAt: new Date(NOW_S * 1000), data: { order: 42 }, agentId: 'agent-7' },
    ]);
  });

  it.each(['GET', 'PUT', 'DELETE', 'PATCH'] as const)('answers %s with 405 method_not_allowed and Allow: POST', async (method) => {
    const res = await gw.inject({ method, url: '/webhook/inbound', headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('POST');
    expect(res.json).toEqual(errorShape('method_not_allowed'));
  });

  it.each(['text/plain', 'application/x-www-form-urlencoded', 'application/jsonp', ''])('answers Content-Type %p with 415 unsupported_media_type', async (type) => {
    const payload = JSON.stringify(envelope());
    const res = await gw.inject({ method: 'POST', url: '/webhook/inbound', payload, headers: { 'content-type': type, 'x-signature': signV1(payload, SECRET) } });
    expect(res.status).toBe(415);
    expect(res.json).toEqual(errorShape('unsupported_media_type'));
  });

  it('accepts application/json with a charset and +json media types', async () => {
    expect((await post(JSON.stringify(envelope({ id: 'charset' })), { 'content-type': 'application/json; charset=utf-8' })).status).toBe(200);
    expect((await post(JSON.stringify(envelope({ id: 'plus-json' })), { 'content-type': 'application/cloudevents+json' })).status).toBe(200);
  });

  it('answers a body over WEBHOOK_BODY_LIMIT with 413 payload_too_large', async () => {
    const res = await post(JSON.stringify(envelope({ data: { pad: 'x'.repeat(2000) } })));
    expect(res.status).toBe(413);
    expect(res.json).toEqual(errorShape('payload_too_large'));
  });

  it.each(['', '   ', '\n\t '])('answers the empty or blank body %p with 400 empty_body', async (payload) => {
    const res = await post(payload);
    expect(res.status).toBe(400);
    expect(res.json).toEqual(errorShape('empty_body'));
  });

  it.each(['{', 'not json', '[1,2]', '"text"', '42', 'null', '{"event":"a",}'])('answers the body %p, which is not a JSON object, with 400 invalid_json', async (payload) => {
    const res = await post(payload);
    expect(res.status).toBe(400);
    expect(res.json).toEqual(errorShape('invalid_json'));
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['blank', '   '],
    ['a number', 7],
    ['201 characters', 'e'.repeat(201)],
  ])('answers an event that is %s with 400 invalid_event', async (_label, event) => {
    const res = await post(JSON.stringify(envelope({ event })));
    expect(res.status).toBe(400);
    expect(res.json).toEqual(errorShape('invalid_event'));
  });

  it('accepts an event name of exactly 200 characters', async () => {
    expect((await post(JSON.stringify(envelope({ event: 'e'.repeat(200), id: 'long-name' })))).status).toBe(200);
  });

  it.each([
    ['missing', undefined],
    ['a string', String(NOW_S)],
    ['zero', 0],
    ['negative', -NOW_S],
    ['fractional', NOW_S + 0.5],
    ['in milliseconds beyond a safe integer', 2 ** 60],
  ])('answers a timestamp that is %s with 400 invalid_timestamp', async (_label, timestamp) => {
    const res = await post(JSON.stringify(envelope({ timestamp })));
    expect(res.status).toBe(400);
    expect(res.json).toEqual(errorShape('invalid_timestamp'));
  });

  it.each([
    ['a string', 'text'],
    ['a number', 5],
    ['a boolean', true],
    ['null', null],
  ])('answers data that is %s with 400 invalid_data', async (_label, data) => {
    const res = await post(JSON.stringify(envelope({ data })));
    expect(res.status).toBe(400);
    expect(res.json).toEqual(errorShape('invalid_data'));
  });

  it('accepts data that is an array, or absent', async () => {
    expect((await post(JSON.stringify(envelope({ data: [1, 2], id: 'array-data' })))).status).toBe(200);
    expect((await post(JSON.stringify({ event: 'ping', timestamp: NOW_S, id: 'no-data' }))).status).toBe(200);
  });

  it('answers a client outside the whitelist with 403 ip_not_whitelisted', async () => {
    const res = await post(JSON.stringify(envelope()), {}, '198.51.100.1');
    expect(res.status).toBe(403);
    expect(res.json).toEqual(errorShape('ip_not_whitelisted'));
  });

  it('answers a timestamp more than WEBHOOK_MAX_CLOCK_SKEW away with 422 invalid_timestamp', async () => {
    const res = await post(JSON.stringify(envelope({ timestamp: NOW_S - 600 })));
    expect(res.status).toBe(422);
    expect(res.json).toEqual(errorShape('invalid_timestamp'));
    expect(res.json.message).toMatch(/600 s in the past/);
  });

  it('answers a request without a signature header with 401 missing_signature', async () => {
    const res = await post(JSON.stringify(envelope()), { 'x-signature': '' });
    expect(res.status).toBe(401);
    expect(res.json).toEqual(errorShape('missing_signature'));
  });

  it('answers a signature sent only inside the body with 401 missing_signature and points to the header', async () => {
    const unsigned = JSON.stringify(envelope());
    const payload = JSON.stringify(envelope({ signature: signV1(unsigned, SECRET) }));
    const res = await post(payload, { 'x-signature': '' });
    expect(res.status).toBe(401);
    expect(res.json).toEqual(errorShape('missing_signature'));
    expect(res.json.message).toMatch(/X-Signature header/);
  });

  it('answers a body signed with another secret with 401 invalid_signature', async () => {
    const res = await gw.send(envelope(), { secret: 'another-secret' });
    expect(res.status).toBe(401);
    expect(res.json).toEqual(errorShape('invalid_signature'));
  });

  it('verifies the raw bytes: the same JSON re-serialized differently is refused', async () => {
    const raw = JSON.stringify(envelope({ id: 'raw-bytes' }));
    const spaced = JSON.stringify(envelope({ id: 'raw-bytes' }), null, 2);
    const res = await post(spaced, { 'x-signature': signV1(raw, SECRET) });
    expect(res.status).toBe(401);
    expect(res.json.error).toBe('invalid_signature');
    expect((await post(spaced)).status).toBe(200);
  });

  it('accepts X-Agent-Signature in place of X-Signature, and upper-case hex', async () => {
    const payload = JSON.stringify(envelope({ id: 'agent-sig' }));
    const signature = signV1(payload, SECRET);
    expect((await post(payload, { 'x-signature': '', 'x-agent-signature': signature })).status).toBe(200);
    expect((await post(payload, { 'x-signature': `sha256=${signature.slice(7).toUpperCase()}` })).json.status).toBe('duplicate');
  });

  describe('the first failing check answers', () => {
    it('a wrong method wins over a wrong media type and an oversized body', async () => {
      const res = await gw.inject({ method: 'PUT', url: '/webhook/inbound', payload: 'x'.repeat(5000), headers: { 'content-type': 'text/plain' } });
      expect([res.status, res.json.error]).toEqual([405, 'method_not_allowed']);
    });

    it('a wrong media type wins over an oversized body', async () => {
      const res = await gw.inject({ method: 'POST', url: '/webhook/inbound', payload: 'x'.repeat(5000), headers: { 'content-type': 'text/plain' } });
      expect([res.status, res.json.error]).toEqual([415, 'unsupported_media_type']);
    });

    it('an invalid body wins over the whitelist, the clock and the signature', async () => {
      const res = await post(JSON.stringify(envelope({ event: '', timestamp: 1 })), { 'x-signature': 'sha256=00' }, '198.51.100.1');
      expect([res.status, res.json.error]).toEqual([400, 'invalid_event']);
    });

    it('the whitelist wins over the clock and the signature', async () => {
      const res = await post(JSON.stringify(envelope({ timestamp: 1 })), { 'x-signature': 'sha256=00' }, '198.51.100.1');
      expect([res.status, res.json.error]).toEqual([403, 'ip_not_whitelisted']);
    });

    it('the clock wins over the signature', async () => {
      const res = await post(JSON.stringify(envelope({ timestamp: NOW_S - 121 })), { 'x-signature': 'sha256=00' });
      expect([res.status, res.json.error]).toEqual([422, 'invalid_timestamp']);
    });
  });

  it('answers a repeat of an id with 200 "duplicate" and the same event id', async () => {
    const first = await gw.send(envelope({ id: 'dup-1' }));
    const second = await gw.send(envelope({ id: 'dup-1', data: { changed: true } }));
    expect(second.status).toBe(200);
    expect(second.json).toEqual({ status: 'duplicate', event_id: first.json.event_id, workflow_id: first.json.workflow_id });
  });

  it('keys an event without an id on (event, timestamp, data), whatever the key order of data', async () => {
    const first = await post(JSON.stringify({ event: 'cart.updated', timestamp: NOW_S, data: { a: 1, b: 2 } }));
    const reordered = await post(JSON.stringify({ data: { b: 2, a: 1 }, timestamp: NOW_S, event: 'cart.updated' }));
    const other = await post(JSON.stringify({ event: 'cart.updated', timestamp: NOW_S, data: { a: 1, b: 3 } }));
    expect(first.json.status).toBe('received');
    expect(reordered.json).toMatchObject({ status: 'duplicate', event_id: first.json.event_id });
    expect(other.json.status).toBe('received');
  });

  it('with Prefer: wait, answers "processed" with the fan-out result when the workflow finishes in time', async () => {
    gw.dispatcher.waitResult = { eventId: 'x', deliveries: 3 };
    try {
      const res = await gw.send(envelope({ id: 'sync-1' }), { headers: { prefer: 'respond-async, wait=5' } });
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ status: 'processed', deliveries: 3, event: 'order.created' });
    } finally {
      gw.dispatcher.waitResult = null;
    }
    const still = await gw.send(envelope({ id: 'sync-2' }), { headers: { prefer: 'wait=5' } });
    expect(still.json.status).toBe('received');
  });
});

describe('inbound gateway: rate limiting per source and client address', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await buildTestGateway({ WEBHOOK_RATE_LIMIT: '3', WEBHOOK_RATE_LIMIT_WINDOW: '1m' });
  });
  afterAll(() => gw.close());

  const post = (payload: string, headers: Record<string, string> = {}, remoteAddress?: string) =>
    gw.inject({ method: 'POST', url: '/webhook/inbound', payload, remoteAddress, headers: { 'content-type': 'application/json', 'x-signature': signV1(payload, SECRET), ...headers } });

  it('answers a client over WEBHOOK_RATE_LIMIT with 429 rate_limited and Retry-After', async () => {
    const from = '203.0.113.50';
    for (let i = 0; i < 3; i++) expect((await post(JSON.stringify(envelope({ id: `rl-${i}` })), {}, from)).status).toBe(200);
    const before = gw.dispatcher.drafts.length;
    const res = await post(JSON.stringify(envelope({ id: 'rl-4' })), {}, from);
    expect(res.status).toBe(429);
    expect(res.json).toEqual(errorShape('rate_limited'));
    const retryAfter = Number(res.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(gw.dispatcher.drafts.length).toBe(before);
    // Another client address has its own allowance.
    expect((await post(JSON.stringify(envelope({ id: 'rl-5' })), {}, '203.0.113.51')).status).toBe(200);
  });

  it('checks the signature before the rate limit, so refused requests use up no allowance', async () => {
    const from = '203.0.113.60';
    for (let i = 0; i < 5; i++) {
      const res = await gw.send(envelope({ id: `sig-rl-${i}` }), { secret: 'wrong', remoteAddress: from });
      expect([res.status, res.json.error]).toEqual([401, 'invalid_signature']);
    }
    expect((await gw.send(envelope({ id: 'sig-rl-ok' }), { remoteAddress: from })).status).toBe(200);
  });
});

describe('inbound gateway: configuration', () => {
  it('refuses to start with WEBHOOK_VALIDATE_SIGNATURE=true and no secret, naming WEBHOOK_INBOUND_SECRET', () => {
    expect(() => parseConfig({ WEBHOOK_VALIDATE_SIGNATURE: 'true' })).toThrow(/WEBHOOK_INBOUND_SECRET/);
  });

  it('accepts unsigned events only when WEBHOOK_VALIDATE_SIGNATURE=false', async () => {
    const gw = await buildTestGateway({ WEBHOOK_VALIDATE_SIGNATURE: 'false', WEBHOOK_INBOUND_SECRET: '' });
    try {
      expect((await gw.send(envelope(), { secret: null })).status).toBe(200);
    } finally {
      await gw.close();
    }
  });

  it('serves the gateway on WEBHOOK_INBOUND_PATH and not on the default path', async () => {
    const gw = await buildTestGateway({ WEBHOOK_INBOUND_PATH: '/hooks/in' });
    try {
      expect((await gw.send(envelope())).status).toBe(200);
      const payload = JSON.stringify(envelope());
      const res = await gw.inject({ method: 'POST', url: '/webhook/inbound', payload, headers: { 'content-type': 'application/json', 'x-signature': signV1(payload, SECRET) } });
      expect(res.status).toBe(404);
    } finally {
      await gw.close();
    }
  });

  it('turns the public gateway off with WEBHOOK_INBOUND_ENABLED=false', async () => {
    const gw = await buildTestGateway({ WEBHOOK_INBOUND_ENABLED: 'false' });
    try {
      const res = await gw.send(envelope());
      expect(res.status).toBe(404);
      expect(gw.dispatcher.drafts).toHaveLength(0);
    } finally {
      await gw.close();
    }
  });

  it('accepts any of several comma-separated secrets during a rotation', async () => {
    const gw = await buildTestGateway({ WEBHOOK_INBOUND_SECRET: 'new-secret,old-secret' });
    try {
      expect((await gw.send(envelope({ id: 'r1' }), { secret: 'new-secret' })).status).toBe(200);
      expect((await gw.send(envelope({ id: 'r2' }), { secret: 'old-secret' })).status).toBe(200);
      expect((await gw.send(envelope({ id: 'r3' }), { secret: 'retired-secret' })).status).toBe(401);
    } finally {
      await gw.close();
    }
  });
});

import { createHash, createHmac, randomUUID } from 'node:crypto';
import { sign as octokitSign } from '@octokit/webhooks-methods';
import { Webhook } from 'standardwebhooks';
import Stripe from 'stripe';
import { buildTestGateway, NOW_MS, NOW_S, sourceRow, type TestGateway } from '../../helpers/inbound-app';

// Signatures made by the libraries senders use are accepted; tampered ones are refused.

const OPENAI_SECRET = `whsec_${Buffer.from('openai-signing-key-0123456789abcdef').toString('base64')}`;
const OPENAI_OLD_SECRET = `whsec_${Buffer.from('openai-retired-key-0123456789abcdef').toString('base64')}`;
const GITHUB_SECRET = 'github-webhook-secret';
const META_APP_SECRET = 'meta-app-secret-0123';
const META_VERIFY_TOKEN = 'meta-verify-token';
const STRIPE_SECRET = 'whsec_stripe_endpoint_secret_0123';
const stripe = new Stripe('sk_test_unused');

describe('inbound gateway: provider formats on named sources', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await buildTestGateway({}, [
      sourceRow({ name: 'openai', verifier: 'standard-webhooks', secrets: [OPENAI_SECRET, OPENAI_OLD_SECRET], maxClockSkew: 300 }),
      sourceRow({ name: 'github', verifier: 'github', secrets: [GITHUB_SECRET] }),
      sourceRow({ name: 'whatsapp', verifier: 'meta', secrets: [META_APP_SECRET], verifyToken: META_VERIFY_TOKEN }),
      sourceRow({ name: 'stripe', verifier: 'stripe', secrets: [STRIPE_SECRET] }),
      sourceRow({ name: 'partner', verifier: 'generic', secrets: ['partner-secret'], ipWhitelist: ['203.0.113.0/24'], maxClockSkew: 10 }),
      sourceRow({ name: 'retired', verifier: 'github', secrets: [GITHUB_SECRET], active: false }),
    ]);
  });
  afterAll(() => gw.close());

  const post = (source: string, payload: string, headers: Record<string, string>, remoteAddress?: string) =>
    gw.inject({ method: 'POST', url: `/webhook/inbound/${source}`, payload, remoteAddress, headers: { 'content-type': 'application/json', ...headers } });
  const lastDraft = () => gw.dispatcher.drafts[gw.dispatcher.drafts.length - 1];

  describe('standard-webhooks (OpenAI)', () => {
    const body = (id = 'evt_openai_1') => JSON.stringify({ object: 'event', id, type: 'response.completed', created_at: NOW_S, data: { id: 'resp_1' } });
    const signed = (payload: string, secret = OPENAI_SECRET, msgId = `msg_${randomUUID()}`, at = NOW_MS) => ({
      'webhook-id': msgId,
      'webhook-timestamp': String(Math.floor(at / 1000)),
      'webhook-signature': new Webhook(secret).sign(msgId, new Date(at), payload),
    });

    it('accepts a body signed by standardwebhooks Webhook.sign, keyed on webhook-id, typed from "type"', async () => {
      const payload = body();
      const headers = signed(payload, OPENAI_SECRET, 'msg_fixed_1');
      const res = await post('openai', payload, headers);
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ status: 'received', event: 'response.completed' });
      expect(lastDraft()).toEqual({
        source: 'openai',
        type: 'response.completed',
        externalId: 'msg_fixed_1',
        occurredAt: new Date(NOW_S * 1000),
        data: JSON.parse(payload),
        agentId: null,
      });
      expect((await post('openai', payload, headers)).json.status).toBe('duplicate');
    });

    it('accepts the retired secret during a rotation, and a header that carries several signatures', async () => {
      const payload = body('evt_rot');
      expect((await post('openai', payload, signed(payload, OPENAI_OLD_SECRET))).status).toBe(200);
      const msgId = 'msg_two_sigs';
      const both = `${new Webhook(`whsec_${Buffer.from('some-other-key-0123456789').toString('base64')}`).sign(msgId, new Date(NOW_MS), payload)} ${new Webhook(OPENAI_SECRET).sign(msgId, new Date(NOW_MS), payload)}`;
      expect((await post('openai', payload, { ...signed(payload, OPENAI_SECRET, msgId), 'webhook-signature': both })).status).toBe(200);
    });

    it('refuses a tampered body, a tampered webhook-id and another secret with 401 invalid_signature', async () => {
      const payload = body('evt_tamper');
      const headers = signed(payload);
      expect((await post('openai', payload.replace('resp_1', 'resp_2'), headers)).json.error).toBe('invalid_signature');
      expect((await post('openai', payload, { ...headers, 'webhook-id': 'msg_other' })).json.error).toBe('invalid_signature');
      const foreign = `whsec_${Buffer.from('not-the-key-0123456789abcdef').toString('base64')}`;
      const res = await post('openai', payload, signed(payload, foreign));
      expect([res.status, res.json.error]).toEqual([401, 'invalid_signature']);
    });

    it('refuses a missing webhook-signature with 401 missing_signature, and a stale webhook-timestamp with 422', async () => {
      const payload = body('evt_missing');
      const { 'webhook-signature': _, ...unsigned } = signed(payload);
      expect((await post('openai', payload, unsigned)).json.error).toBe('missing_signature');
      const stale = await post('openai', payload, signed(payload, OPENAI_SECRET, 'msg_stale', NOW_MS - 301_000));
      expect([stale.status, stale.json.error]).toEqual([422, 'invalid_timestamp']);
      expect((await post('openai', payload, signed(payload, OPENAI_SECRET, 'msg_edge', NOW_MS - 300_000))).status).toBe(200);
    });

    it('answers a body without "type" with 400 invalid_event and without webhook-id with 400 invalid_id', async () => {
      const untyped = JSON.stringify({ data: {} });
      expect((await post('openai', untyped, signed(untyped))).json.error).toBe('invalid_event');
      const payload = body('evt_noid');
      const { 'webhook-id': _, ...headers } = signed(payload);
      expect((await post('openai', payload, headers)).json.error).toBe('invalid_id');
    });
  });

  describe('github', () => {
    const payload = JSON.stringify({ action: 'opened', issue: { number: 7 }, repository: { full_name: 'acme/app' } });

    const bodyKey = (raw: string) => `sha256:${createHash('sha256').update(raw).digest('base64url')}`;

    it('accepts a body signed by @octokit/webhooks-methods sign, typed from X-GitHub-Event, keyed on the hash of the signed body', async () => {
      const body = JSON.stringify({ action: 'opened', issue: { number: 1 } });
      const headers = { 'x-hub-signature-256': await octokitSign(GITHUB_SECRET, body), 'x-github-event': 'issues', 'x-github-delivery': randomUUID() };
      const res = await post('github', body, headers);
      expect(res.status).toBe(200);
      expect(res.json.event).toBe('issues');
      expect(lastDraft()).toMatchObject({ source: 'github', type: 'issues', externalId: bodyKey(body), data: JSON.parse(body) });
    });

    it('answers a redelivery with the same X-GitHub-Delivery as a duplicate', async () => {
      const body = JSON.stringify({ action: 'opened', issue: { number: 2 } });
      const headers = { 'x-hub-signature-256': await octokitSign(GITHUB_SECRET, body), 'x-github-event': 'issues', 'x-github-delivery': 'redelivered-guid' };
      const first = await post('github', body, headers);
      const again = await post('github', body, headers);
      expect(first.json.status).toBe('received');
      expect(again.json).toMatchObject({ status: 'duplicate', event_id: first.json.event_id });
    });

    it('answers a captured body replayed under a new X-GitHub-Delivery or another X-GitHub-Event (both unsigned) as a duplicate', async () => {
      const body = JSON.stringify({ action: 'opened', issue: { number: 3 } });
      const signature = await octokitSign(GITHUB_SECRET, body);
      const first = await post('github', body, { 'x-hub-signature-256': signature, 'x-github-event': 'issues', 'x-github-delivery': randomUUID() });
      expect(first.json.status).toBe('received');
      for (const event of ['issues', 'release']) {
        const replay = await post('github', body, { 'x-hub-signature-256': signature, 'x-github-event': event, 'x-github-delivery': randomUUID() });
        expect(replay.json).toMatchObject({ status: 'duplicate', event_id: first.json.event_id });
      }
    });

    it('refuses a tampered body or another secret with 401 invalid_signature', async () => {
      const headers = { 'x-hub-signature-256': await octokitSign(GITHUB_SECRET, payload), 'x-github-event': 'issues', 'x-github-delivery': randomUUID() };
      expect((await post('github', payload.replace('opened', 'closed'), headers)).json.error).toBe('invalid_signature');
      const res = await post('github', payload, { ...headers, 'x-hub-signature-256': await octokitSign('wrong-secret', payload) });
      expect([res.status, res.json.error]).toEqual([401, 'invalid_signature']);
    });

    it('refuses a request with only the SHA-1 X-Hub-Signature with 401 missing_signature', async () => {
      const res = await post('github', payload, { 'x-hub-signature': 'sha1=abc', 'x-github-event': 'issues', 'x-github-delivery': randomUUID() });
      expect([res.status, res.json.error]).toEqual([401, 'missing_signature']);
      expect(res.json.message).toMatch(/X-Hub-Signature-256/);
    });

    it('answers a request without X-GitHub-Event with 400 invalid_event', async () => {
      const res = await post('github', payload, { 'x-hub-signature-256': await octokitSign(GITHUB_SECRET, payload), 'x-github-delivery': randomUUID() });
      expect([res.status, res.json.error]).toEqual([400, 'invalid_event']);
    });
  });

  describe('meta (WhatsApp)', () => {
    const payload = JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [{ id: '1029', changes: [{ field: 'messages', value: { messages: [{ id: 'wamid.1', from: '15550001', timestamp: String(NOW_S), type: 'text' }] } }] }],
    });
    const hmac = (body: string, secret = META_APP_SECRET) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

    it('accepts a body with a plain HMAC-SHA256 X-Hub-Signature-256 of the app secret, typed from object and field', async () => {
      const res = await post('whatsapp', payload, { 'x-hub-signature-256': hmac(payload) });
      expect(res.status).toBe(200);
      expect(res.json.event).toBe('whatsapp_business_account.messages');
      expect(lastDraft()).toMatchObject({ source: 'whatsapp', type: 'whatsapp_business_account.messages', data: JSON.parse(payload) });
      expect((await post('whatsapp', payload, { 'x-hub-signature-256': hmac(payload) })).json.status).toBe('duplicate');
    });

    it('refuses a tampered body or another secret with 401 invalid_signature', async () => {
      expect((await post('whatsapp', payload.replace('wamid.1', 'wamid.2'), { 'x-hub-signature-256': hmac(payload) })).json.error).toBe('invalid_signature');
      expect((await post('whatsapp', payload, { 'x-hub-signature-256': hmac(payload, 'other-app-secret') })).json.error).toBe('invalid_signature');
      expect((await post('whatsapp', payload, {})).json.error).toBe('missing_signature');
    });

    it('answers the GET hub.challenge handshake with the challenge when the verify token matches', async () => {
      const res = await gw.inject({ method: 'GET', url: `/webhook/inbound/whatsapp?hub.mode=subscribe&hub.verify_token=${META_VERIFY_TOKEN}&hub.challenge=1158201444` });
      expect(res.status).toBe(200);
      expect(res.body).toBe('1158201444');
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
    });

    it('refuses the handshake with a wrong verify token (403) or without a challenge (400)', async () => {
      const wrong = await gw.inject({ method: 'GET', url: '/webhook/inbound/whatsapp?hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1' });
      expect([wrong.status, wrong.json.error]).toEqual([403, 'invalid_verify_token']);
      const bare = await gw.inject({ method: 'GET', url: `/webhook/inbound/whatsapp?hub.mode=subscribe&hub.verify_token=${META_VERIFY_TOKEN}` });
      expect([bare.status, bare.json.error]).toEqual([400, 'invalid_handshake']);
    });

    it('answers GET on a source that is not meta with 405 and Allow: POST', async () => {
      const res = await gw.inject({ method: 'GET', url: '/webhook/inbound/github?hub.mode=subscribe&hub.challenge=1' });
      expect([res.status, res.json.error, res.headers.allow]).toEqual([405, 'method_not_allowed', 'POST']);
      const put = await gw.inject({ method: 'PUT', url: '/webhook/inbound/whatsapp' });
      expect([put.status, put.headers.allow]).toEqual([405, 'GET, POST']);
    });
  });

  describe('stripe', () => {
    const event = (id = 'evt_1Stripe') => JSON.stringify({ id, object: 'event', type: 'payment_intent.succeeded', created: NOW_S - 2, data: { object: { id: 'pi_1', amount: 2000 } } });
    const header = (payload: string, secret = STRIPE_SECRET, timestamp = NOW_S) => stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp });

    it('accepts a body signed by stripe.webhooks.generateTestHeaderString, typed and keyed from the event', async () => {
      const payload = event();
      const res = await post('stripe', payload, { 'stripe-signature': header(payload) });
      expect(res.status).toBe(200);
      expect(res.json.event).toBe('payment_intent.succeeded');
      expect(lastDraft()).toMatchObject({ source: 'stripe', type: 'payment_intent.succeeded', externalId: 'evt_1Stripe', occurredAt: new Date((NOW_S - 2) * 1000) });
      // Stripe re-signs a retry with a new timestamp; the event id still makes it a duplicate.
      expect((await post('stripe', payload, { 'stripe-signature': header(payload, STRIPE_SECRET, NOW_S - 30) })).json.status).toBe('duplicate');
    });

    it('refuses a tampered body or another secret with 401 invalid_signature', async () => {
      const payload = event('evt_tampered');
      expect((await post('stripe', payload.replace('2000', '1'), { 'stripe-signature': header(payload) })).json.error).toBe('invalid_signature');
      const res = await post('stripe', payload, { 'stripe-signature': header(payload, 'whsec_another_endpoint') });
      expect([res.status, res.json.error]).toEqual([401, 'invalid_signature']);
      expect((await post('stripe', payload, {})).json.error).toBe('missing_signature');
    });

    it('refuses a signature whose t is outside the tolerance with 422 invalid_timestamp', async () => {
      const payload = event('evt_old');
      const res = await post('stripe', payload, { 'stripe-signature': header(payload, STRIPE_SECRET, NOW_S - 121) });
      expect([res.status, res.json.error]).toEqual([422, 'invalid_timestamp']);
      expect((await post('stripe', payload, { 'stripe-signature': header(payload, STRIPE_SECRET, NOW_S + 121) })).status).toBe(422);
    });
  });

  describe('generic named source', () => {
    const payload = (timestamp = NOW_S, id: string = randomUUID()) => JSON.stringify({ event: 'invoice.paid', timestamp, data: { n: 1 }, id });
    const sig = (body: string, secret = 'partner-secret') => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

    it('uses its own secret, whitelist and clock skew', async () => {
      const ok = payload();
      expect((await post('partner', ok, { 'x-signature': sig(ok) }, '203.0.113.9')).json).toMatchObject({ status: 'received' });
      expect(lastDraft().source).toBe('partner');
      expect((await post('partner', ok, { 'x-signature': sig(ok, 'unit-inbound-secret') }, '203.0.113.9')).json.error).toBe('invalid_signature');
      expect((await post('partner', ok, { 'x-signature': sig(ok) }, '198.51.100.9')).json.error).toBe('ip_not_whitelisted');
      const edge = payload(NOW_S - 10);
      expect((await post('partner', edge, { 'x-signature': sig(edge) }, '203.0.113.9')).status).toBe(200);
      const late = payload(NOW_S - 11);
      expect((await post('partner', late, { 'x-signature': sig(late) }, '203.0.113.9')).json.error).toBe('invalid_timestamp');
    });

    it('keys events per source: the same id on two sources is two events', async () => {
      const body = payload(NOW_S, 'shared-id');
      const partner = await post('partner', body, { 'x-signature': sig(body) }, '203.0.113.9');
      const unnamed = await gw.send(JSON.parse(body));
      expect(partner.json.status).toBe('received');
      expect(unnamed.json.status).toBe('received');
      expect(unnamed.json.event_id).not.toBe(partner.json.event_id);
    });
  });

  // Issue 11: no sender, through any source, may emit the platform's own webhook.* events.
  it.each([
    ['generic', async () => {
      const body = JSON.stringify({ event: 'webhook.delivery.dead_lettered', timestamp: NOW_S, data: {} });
      return post('partner', body, { 'x-signature': `sha256=${createHmac('sha256', 'partner-secret').update(body).digest('hex')}` }, '203.0.113.9');
    }],
    ['standard-webhooks', async () => {
      const body = JSON.stringify({ type: 'webhook.delivery.dead_lettered', data: {} });
      const id = `msg_${randomUUID()}`;
      return post('openai', body, { 'webhook-id': id, 'webhook-timestamp': String(NOW_S), 'webhook-signature': new Webhook(OPENAI_SECRET).sign(id, new Date(NOW_MS), body) });
    }],
    ['github', async () => {
      const body = JSON.stringify({ action: 'forged' });
      return post('github', body, { 'x-hub-signature-256': await octokitSign(GITHUB_SECRET, body), 'x-github-event': 'webhook.delivery.dead_lettered', 'x-github-delivery': randomUUID() });
    }],
    ['stripe', async () => {
      const body = JSON.stringify({ id: `evt_${randomUUID()}`, type: 'webhook.delivery.dead_lettered', created: NOW_S, data: { object: {} } });
      return post('stripe', body, { 'stripe-signature': stripe.webhooks.generateTestHeaderString({ payload: body, secret: STRIPE_SECRET, timestamp: NOW_S }) });
    }],
    // Meta's type is the body's object and the change's field, joined: each harmless alone.
    ['meta', async () => {
      const body = JSON.stringify({ object: 'webhook', entry: [{ id: '1', changes: [{ field: 'delivery.dead_lettered', value: {} }] }] });
      return post('whatsapp', body, { 'x-hub-signature-256': `sha256=${createHmac('sha256', META_APP_SECRET).update(body).digest('hex')}` });
    }],
  ])('refuses a webhook.* event type from a %s source with 400 invalid_event, dispatching nothing', async (_verifier, send) => {
    const before = gw.dispatcher.drafts.length;
    const res = await send();
    expect([res.status, res.json.error]).toEqual([400, 'invalid_event']);
    expect(res.json.message).toContain('reserved');
    expect(gw.dispatcher.drafts.length).toBe(before);
  });

  it('answers an unknown or inactive source with 404 unknown_source and dispatches nothing', async () => {
    const before = gw.dispatcher.drafts.length;
    const payload = JSON.stringify({ action: 'opened' });
    const headers = { 'x-hub-signature-256': await octokitSign(GITHUB_SECRET, payload), 'x-github-event': 'issues', 'x-github-delivery': randomUUID() };
    for (const name of ['nope', 'retired', 'UPPER', '-dash', 'a%2Fb']) {
      const res = await post(name, payload, headers);
      expect([res.status, res.json.error]).toEqual([404, 'unknown_source']);
    }
    expect(gw.dispatcher.drafts.length).toBe(before);
  });

  it('applies the media type and size checks to named sources too', async () => {
    const payload = JSON.stringify({ action: 'opened' });
    const headers = { 'x-hub-signature-256': await octokitSign(GITHUB_SECRET, payload), 'x-github-event': 'issues', 'x-github-delivery': randomUUID() };
    const form = await gw.inject({ method: 'POST', url: '/webhook/inbound/github', payload, headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' } });
    expect([form.status, form.json.error]).toEqual([415, 'unsupported_media_type']);
    const big = JSON.stringify({ pad: 'x'.repeat(2 * 1024 * 1024) });
    const large = await post('github', big, headers);
    expect([large.status, large.json.error]).toEqual([413, 'payload_too_large']);
    const empty = await post('github', ' ', headers);
    expect([empty.status, empty.json.error]).toEqual([400, 'empty_body']);
  });
});

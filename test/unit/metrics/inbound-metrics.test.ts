import { randomUUID } from 'node:crypto';
import { signV1 } from '../../../src/domain/signature';
import { buildTestGateway, envelope, sourceRow, type TestGateway } from '../../helpers/inbound-app';

// Every answer of the inbound routes is counted, including those given before the gateway runs.

describe('webhook_inbound_requests_total', () => {
  let gw: TestGateway;

  beforeEach(async () => {
    gw = await buildTestGateway({ WEBHOOK_BODY_LIMIT: '1kb', WEBHOOK_RATE_LIMIT: '3' }, [
      sourceRow({ name: 'github', verifier: 'github', secrets: ['github-secret'] }),
      sourceRow({ name: 'whatsapp', verifier: 'meta', secrets: ['meta-secret'], verifyToken: 'meta-token' }),
    ]);
  });
  afterEach(() => gw.close());

  /** The counter's samples as `{source,outcome} -> value`. */
  async function inboundCounts(): Promise<Record<string, number>> {
    const res = await gw.inject({ method: 'GET', url: '/metrics' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const counts: Record<string, number> = {};
    for (const m of res.body.matchAll(/^webhook_inbound_requests_total\{source="([^"]*)",outcome="([^"]*)"\} (\d+)$/gm)) {
      counts[`${m[1]} ${m[2]}`] = Number(m[3]);
    }
    return counts;
  }

  it('counts received, duplicate and each refusal of the S3 table under its error code', async () => {
    expect(await inboundCounts()).toEqual({});

    await gw.send(envelope());
    await gw.send(envelope());
    await gw.send(envelope({ id: 'other' }), { secret: 'wrong' });
    await gw.send(envelope({ id: 'unsigned' }), { secret: null });
    await gw.send('[1,2]');
    await gw.inject({ method: 'GET', url: '/webhook/inbound' });
    await gw.inject({ method: 'POST', url: '/webhook/inbound', payload: 'x=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    await gw.inject({ method: 'POST', url: '/webhook/inbound', payload: JSON.stringify({ pad: 'x'.repeat(2048) }), headers: { 'content-type': 'application/json' } });

    expect(await inboundCounts()).toEqual({
      'default received': 1,
      'default duplicate': 1,
      'default invalid_signature': 1,
      'default missing_signature': 1,
      'default invalid_json': 1,
      'default method_not_allowed': 1,
      'default unsupported_media_type': 1,
      'default payload_too_large': 1,
    });
  });

  it('labels named sources by name, folds unknown names into (unknown), and counts the Meta handshake', async () => {
    const payload = JSON.stringify({ action: 'opened' });
    const github = { 'content-type': 'application/json', 'x-hub-signature-256': signV1(payload, 'github-secret'), 'x-github-event': 'issues' };
    await gw.inject({ method: 'POST', url: '/webhook/inbound/github', payload, headers: { ...github, 'x-github-delivery': randomUUID() } });
    await gw.inject({ method: 'POST', url: '/webhook/inbound/nope-1', payload, headers: github });
    await gw.inject({ method: 'POST', url: '/webhook/inbound/nope-2', payload, headers: github });
    await gw.inject({ method: 'GET', url: '/webhook/inbound/whatsapp?hub.mode=subscribe&hub.verify_token=meta-token&hub.challenge=7' });
    await gw.inject({ method: 'GET', url: '/webhook/inbound/whatsapp?hub.mode=subscribe&hub.verify_token=guess&hub.challenge=7' });

    expect(await inboundCounts()).toEqual({
      'github received': 1,
      '(unknown) unknown_source': 2,
      'whatsapp challenge': 1,
      'whatsapp invalid_verify_token': 1,
    });
  });

  it('counts sync-mode answers as received and rate-limited ones as rate_limited', async () => {
    gw.dispatcher.waitResult = { eventId: 'e', deliveries: 1 };
    expect((await gw.send(envelope({ id: 'sync' }), { headers: { prefer: 'wait=1' } })).json.status).toBe('processed');
    for (const id of ['r1', 'r2', 'r3']) await gw.send(envelope({ id }));

    expect(await inboundCounts()).toEqual({ 'default received': 3, 'default rate_limited': 1 });
  });

  it('does not count scrapes of /metrics or admin calls', async () => {
    await gw.inject({ method: 'GET', url: '/metrics' });
    await gw.inject({ method: 'GET', url: '/admin/api/subscribers' });
    expect(await inboundCounts()).toEqual({});
  });
});

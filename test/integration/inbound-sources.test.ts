import { createHash, randomUUID } from 'node:crypto';
import { sign as octokitSign } from '@octokit/webhooks-methods';
import { eq } from 'drizzle-orm';
import { Webhook } from 'standardwebhooks';
import { events } from '../../src/db/schema';
import { signV1 } from '../../src/domain/signature';
import { ASN_SAMPLE } from '../helpers/inbound-app';
import { nowSeconds, startHarness, type Harness } from '../helpers/harness';

// Named sources managed through /admin/api/sources and used on /webhook/inbound/:source.

describe('named inbound sources: admin API and gateway, against real Postgres and Temporal', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ WEBHOOK_ASN_DB: ASN_SAMPLE, WEBHOOK_ACK_AFTER: 'start' });
  });
  afterAll(async () => {
    await h?.stop();
  });

  const post = (name: string, payload: string, headers: Record<string, string>) =>
    h.app.inject({ method: 'POST', url: `/webhook/inbound/${name}`, payload, headers: { 'content-type': 'application/json', ...headers } });

  it('creates a source with 201 and shows its secrets once; reads mask them', async () => {
    const created = await h.admin('POST', '/sources', { name: 'gh-main', verifier: 'github', secrets: ['github-secret-one'], ip_whitelist: ['AS36459', '127.0.0.1'] });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ name: 'gh-main', verifier: 'github', secrets: ['github-secret-one'], ip_whitelist: ['AS36459', '127.0.0.1'], max_clock_skew: null, active: true });

    const read = await h.admin('GET', '/sources/gh-main');
    expect(read.status).toBe(200);
    expect(read.json.secrets).toHaveLength(1);
    expect(read.json.secrets[0]).not.toContain('github-secret-one');
    expect(JSON.stringify(read.json)).not.toContain('github-secret-one');

    const list = await h.admin('GET', '/sources');
    expect(list.json.data.map((s: { name: string }) => s.name)).toContain('gh-main');
    expect(JSON.stringify(list.json)).not.toContain('github-secret-one');
  });

  it('generates a whsec_ secret for a standard-webhooks source created without one', async () => {
    const created = await h.admin('POST', '/sources', { name: 'openai', verifier: 'standard-webhooks' });
    expect(created.status).toBe(201);
    expect(created.json.secrets).toEqual([expect.stringMatching(/^whsec_[A-Za-z0-9+/]+=*$/)]);

    const payload = JSON.stringify({ type: 'response.completed', data: { id: 'resp_9' } });
    const msgId = `msg_${randomUUID()}`;
    const now = new Date();
    const res = await post('openai', payload, {
      'webhook-id': msgId,
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': new Webhook(created.json.secrets[0]).sign(msgId, now, payload),
    });
    expect(res.statusCode).toBe(200);
    const [row] = await h.database.db.select().from(events).where(eq(events.id, res.json().event_id));
    expect(row).toMatchObject({ source: 'openai', externalId: msgId, type: 'response.completed' });
  });

  it.each([
    ['a reserved name', { name: 'default', verifier: 'generic' }, 'name'],
    ['a name with capitals', { name: 'GitHub', verifier: 'github' }, 'name'],
    ['an unknown verifier', { name: 'svc', verifier: 'hmac' }, 'verifier'],
    ['a stripe source without its signing secret', { name: 'pay', verifier: 'stripe' }, 'secrets'],
    ['a meta source without a verify token', { name: 'wa', verifier: 'meta', secrets: ['meta-app-secret'] }, 'verify_token'],
    ['a standard-webhooks secret that is not base64', { name: 'sw', verifier: 'standard-webhooks', secrets: ['whsec_not base64!'] }, 'secrets.0'],
    ['a whitelist entry that is not an address, range or ASN', { name: 'wl', verifier: 'generic', secrets: ['generic-secret'], ip_whitelist: ['10.0.0.0/40'] }, 'ip_whitelist'],
    ['a negative clock skew', { name: 'sk', verifier: 'generic', secrets: ['generic-secret'], max_clock_skew: -1 }, 'max_clock_skew'],
  ])('refuses %s with 400 naming the field', async (_label, body, field) => {
    const res = await h.admin('POST', '/sources', body);
    expect(res.status).toBe(400);
    expect(res.json.error).toBe('validation_failed');
    expect(res.json.details.map((d: { field: string }) => d.field)).toContain(field);
  });

  it('refuses a second source of the same name with 409', async () => {
    await h.admin('POST', '/sources', { name: 'twice', verifier: 'generic', secrets: ['generic-secret'] });
    const again = await h.admin('POST', '/sources', { name: 'twice', verifier: 'generic', secrets: ['generic-secret'] });
    expect([again.status, again.json.error]).toEqual([409, 'conflict']);
  });

  it('records a GitHub delivery as an event of that source and answers its redelivery as a duplicate', async () => {
    const payload = JSON.stringify({ ref: 'refs/heads/main', commits: [] });
    const delivery = randomUUID();
    const headers = { 'x-hub-signature-256': await octokitSign('github-secret-one', payload), 'x-github-event': 'push', 'x-github-delivery': delivery };
    const first = await post('gh-main', payload, headers);
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ status: 'received', event: 'push' });
    const again = await post('gh-main', payload, headers);
    expect(again.json()).toMatchObject({ status: 'duplicate', event_id: first.json().event_id });

    // Keyed on the signed body: GitHub's delivery id is not signed.
    const rows = await h.database.db.select().from(events).where(eq(events.externalId, `sha256:${createHash('sha256').update(payload).digest('base64url')}`));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ source: 'gh-main', type: 'push', payload: JSON.parse(payload) });
    await expect(h.runtime.client.workflow.getHandle(rows[0].workflowId).result()).resolves.toMatchObject({ eventId: rows[0].id });
  });

  it('rotates secrets with PATCH: both are accepted during the rotation, then only the new one', async () => {
    const payload = JSON.stringify({ zen: 'Keep it logically awesome.' });
    const send = async (secret: string) =>
      (await post('gh-main', payload, { 'x-hub-signature-256': await octokitSign(secret, payload), 'x-github-event': 'ping', 'x-github-delivery': randomUUID() })).statusCode;

    const rotating = await h.admin('PATCH', '/sources/gh-main', { secrets: ['github-secret-two', 'github-secret-one'] });
    expect(rotating.status).toBe(200);
    expect(JSON.stringify(rotating.json)).not.toContain('github-secret-two');
    expect(await send('github-secret-one')).toBe(200);
    expect(await send('github-secret-two')).toBe(200);

    await h.admin('PATCH', '/sources/gh-main', { secrets: ['github-secret-two'] });
    expect(await send('github-secret-one')).toBe(401);
    expect(await send('github-secret-two')).toBe(200);
  });

  it('applies the source whitelist through the ASN table', async () => {
    const payload = JSON.stringify({ zen: 'ok' });
    const headers = { 'x-hub-signature-256': await octokitSign('github-secret-two', payload), 'x-github-event': 'ping', 'content-type': 'application/json' };
    const inject = (remoteAddress: string) =>
      h.app.inject({ method: 'POST', url: '/webhook/inbound/gh-main', payload, remoteAddress, headers: { ...headers, 'x-github-delivery': randomUUID() } });
    expect((await inject('140.82.115.4')).statusCode).toBe(200);
    const foreign = await inject('31.13.64.1');
    expect([foreign.statusCode, foreign.json().error]).toEqual([403, 'ip_not_whitelisted']);
  });

  it('answers the Meta handshake for a meta source with its verify token', async () => {
    const created = await h.admin('POST', '/sources', { name: 'whatsapp', verifier: 'meta', secrets: ['meta-app-secret'], verify_token: 'verify-me-please' });
    expect(created.status).toBe(201);
    expect(created.json.verify_token).toBe('verify-me-please');
    expect((await h.admin('GET', '/sources/whatsapp')).json.verify_token).not.toBe('verify-me-please');

    const ok = await h.app.inject({ method: 'GET', url: '/webhook/inbound/whatsapp?hub.mode=subscribe&hub.verify_token=verify-me-please&hub.challenge=8675309' });
    expect([ok.statusCode, ok.body]).toEqual([200, '8675309']);
    const wrong = await h.app.inject({ method: 'GET', url: '/webhook/inbound/whatsapp?hub.mode=subscribe&hub.verify_token=nope-nope&hub.challenge=8675309' });
    expect(wrong.statusCode).toBe(403);
  });

  it('stops accepting events for a deactivated source, and for a deleted one', async () => {
    await h.admin('POST', '/sources', { name: 'partner', verifier: 'generic', secrets: ['partner-secret'] });
    const body = () => JSON.stringify({ event: 'invoice.paid', timestamp: nowSeconds(), data: {}, id: randomUUID() });
    const send = async () => {
      const payload = body();
      return post('partner', payload, { 'x-signature': signV1(payload, 'partner-secret') });
    };
    expect((await send()).statusCode).toBe(200);

    expect((await h.admin('PATCH', '/sources/partner', { active: false })).json.active).toBe(false);
    const inactive = await send();
    expect([inactive.statusCode, inactive.json().error]).toEqual([404, 'unknown_source']);

    await h.admin('PATCH', '/sources/partner', { active: true });
    expect((await send()).statusCode).toBe(200);
    expect((await h.admin('DELETE', '/sources/partner')).status).toBe(204);
    expect((await send()).statusCode).toBe(404);
    expect((await h.admin('GET', '/sources/partner')).status).toBe(404);
    expect((await h.admin('DELETE', '/sources/partner')).status).toBe(404);
  });

  it('requires the admin token', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/admin/api/sources' });
    expect(res.statusCode).toBe(401);
  });
});

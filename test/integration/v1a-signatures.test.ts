import { randomUUID } from 'node:crypto';
import { generateSigningKey, publicKeyOf } from '../../src/domain/signature';
import { startHarness, type Harness } from '../helpers/harness';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { verifiesV1a } from '../helpers/v1a-verify';

describe('v1a (ed25519) signatures end to end', () => {
  let h: Harness;
  let r: Receiver;

  beforeAll(async () => {
    h = await startHarness();
    r = await startReceiver();
  });
  afterAll(async () => {
    await r?.close();
    await h?.stop();
  });

  const name = (base: string) => `${base}.${randomUUID().slice(0, 8)}`;

  async function dispatch(event: string, data: Record<string, unknown>) {
    const res = await h.admin('POST', '/events', { event, data });
    expect(res.status).toBe(202);
  }

  it('shows the public key, reveals the signing key only at create, and delivers what the public key verifies', async () => {
    const ev = name('v1a');
    const created = await h.admin('POST', '/subscribers', { url: r.url, events: [ev], signature_version: 'v1a' });
    expect(created.status).toBe(201);
    expect(created.json.signing_key).toMatch(/^whsk_/);
    expect(created.json.public_key).toBe(publicKeyOf(created.json.signing_key));

    const got = await h.admin('GET', `/subscribers/${created.json.id}`);
    expect(got.json.public_key).toBe(created.json.public_key);
    expect(got.json.signing_key).not.toBe(created.json.signing_key);
    // Masked like every secret: at most 4 characters shown.
    expect(got.json.signing_key).toMatch(/^.{0,4}…$/);
    const listed = await h.admin('GET', '/subscribers');
    expect(JSON.stringify(listed.json)).not.toContain(created.json.signing_key);

    await dispatch(ev, { n: 1 });
    const [req] = await r.waitFor(1);
    expect(String(req.headers['webhook-signature'])).toMatch(/^v1a,[^ ]+$/);
    expect(req.headers['x-agent-signature']).toBeUndefined();
    expect(verifiesV1a(created.json.public_key, req.headers, req.body)).toBe(true);
    expect(verifiesV1a(created.json.public_key, req.headers, req.body.replace('"n":1', '"n":2'))).toBe(false);
  });

  it('signs with the old and the new key during a rotation, and with the new key only after the grace period', async () => {
    const ev = name('v1a-rotate');
    const oldKey = generateSigningKey();
    const created = await h.admin('POST', '/subscribers', { url: r.url, events: [ev], signature_version: 'v2+v1a', signing_key: oldKey });
    expect(created.status).toBe(201);
    expect(created.json.public_key).toBe(publicKeyOf(oldKey));

    const rotated = await h.admin('POST', `/subscribers/${created.json.id}/rotate-signing-key`, { grace_seconds: 2 });
    expect(rotated.status).toBe(200);
    expect(rotated.json.signing_key).toMatch(/^whsk_/);
    expect(rotated.json.public_key).toBe(publicKeyOf(rotated.json.signing_key));
    expect(rotated.json.previous_public_key).toBe(publicKeyOf(oldKey));
    const newPublic = rotated.json.public_key as string;

    const before = r.requests.length;
    await dispatch(ev, { during: true });
    const [during] = (await r.waitFor(before + 1)).slice(before);
    expect(String(during.headers['webhook-signature']).split(' ').map((e) => e.split(',')[0])).toEqual(['v1', 'v1a', 'v1a']);
    expect(verifiesV1a(publicKeyOf(oldKey), during.headers, during.body)).toBe(true);
    expect(verifiesV1a(newPublic, during.headers, during.body)).toBe(true);

    await new Promise((resolve) => setTimeout(resolve, 2_200));
    await dispatch(ev, { after: true });
    const [after] = (await r.waitFor(before + 2)).slice(before + 1);
    expect(verifiesV1a(publicKeyOf(oldKey), after.headers, after.body)).toBe(false);
    expect(verifiesV1a(newPublic, after.headers, after.body)).toBe(true);
    const got = await h.admin('GET', `/subscribers/${created.json.id}`);
    expect(got.json.previous_public_key).toBeNull();
  });

  it('rejects a signing key that is not whsk_ ed25519', async () => {
    const res = await h.admin('POST', '/subscribers', { url: r.url, events: ['x'], signing_key: 'whsk_bm90LWEta2V5' });
    expect(res.status).toBe(400);
  });
});

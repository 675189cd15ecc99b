import { Webhook } from 'standardwebhooks';
import { generateSigningKey, publicKeyOf, signatureHeaders, signingKeysAt } from '../../../src/domain/signature';
import { verifiesV1a } from '../../helpers/v1a-verify';

const receiverVerifies = verifiesV1a;

const body = JSON.stringify({ event: 'order.created', timestamp: 1731602712, data: { id: 1 } });
const base = { deliveryId: 'dlv_1', body, secrets: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'], timestampSeconds: 1731602712 };

describe('v1a (ed25519) signatures', () => {
  it('makes whsk_ signing keys whose whpk_ public key is the raw 32 bytes in base64', () => {
    const key = generateSigningKey();
    expect(key).toMatch(/^whsk_[A-Za-z0-9+/]+=*$/);
    const pub = publicKeyOf(key);
    expect(pub).toMatch(/^whpk_/);
    expect(Buffer.from(pub.slice(5), 'base64')).toHaveLength(32);
    expect(publicKeyOf(generateSigningKey())).not.toBe(pub);
  });

  it('signs id.timestamp.body so that crypto.verify with the public key accepts it', () => {
    const key = generateSigningKey();
    const headers = signatureHeaders({ ...base, versions: 'v1a', signingKeys: [key] });
    expect(headers['webhook-id']).toBe('dlv_1');
    expect(headers['webhook-timestamp']).toBe('1731602712');
    expect(headers['webhook-signature']).toMatch(/^v1a,[A-Za-z0-9+/]+=*$/);
    expect(headers['x-agent-signature']).toBeUndefined();
    expect(receiverVerifies(publicKeyOf(key), headers, body)).toBe(true);
  });

  it('rejects a tampered body', () => {
    const key = generateSigningKey();
    const headers = signatureHeaders({ ...base, versions: 'v1a', signingKeys: [key] });
    expect(receiverVerifies(publicKeyOf(key), headers, body.replace('"id":1', '"id":2'))).toBe(false);
    expect(receiverVerifies(publicKeyOf(key), { ...headers, 'webhook-timestamp': '1731602713' }, body)).toBe(false);
  });

  it('rejects a signature checked with another key', () => {
    const headers = signatureHeaders({ ...base, versions: 'v1a', signingKeys: [generateSigningKey()] });
    expect(receiverVerifies(publicKeyOf(generateSigningKey()), headers, body)).toBe(false);
  });

  it('carries v1 HMAC entries beside v1a when both are on, and standardwebhooks still verifies the HMAC one', () => {
    const key = generateSigningKey();
    const headers = signatureHeaders({ ...base, versions: 'v2+v1a', signingKeys: [key] });
    const entries = headers['webhook-signature'].split(' ');
    expect(entries.map((e) => e.split(',')[0]).sort()).toEqual(['v1', 'v1a']);
    expect(receiverVerifies(publicKeyOf(key), headers, body)).toBe(true);
    const wh = new Webhook(base.secrets[0]);
    // standardwebhooks holds the timestamp to 5 minutes of now: check with a fresh one.
    const fresh = signatureHeaders({ ...base, versions: 'v2+v1a', signingKeys: [key], timestampSeconds: Math.floor(Date.now() / 1000) });
    expect(() => wh.verify(body, fresh)).not.toThrow();
  });

  it('sends every scheme with `all`: X-Agent-Signature, v1 and v1a', () => {
    const headers = signatureHeaders({ ...base, versions: 'all', signingKeys: [generateSigningKey()] });
    expect(headers['x-agent-signature']).toMatch(/^sha256=/);
    expect(headers['webhook-signature'].split(' ').map((e) => e.split(',')[0]).sort()).toEqual(['v1', 'v1a']);
  });

  it('signs with the old key beside the new one during the grace period, and drops it after', () => {
    const oldKey = generateSigningKey();
    const newKey = generateSigningKey();
    const subscriber = { signingKey: newKey, previousSigningKey: oldKey, previousSigningKeyExpiresAt: new Date(Date.now() + 60_000) };
    const during = signatureHeaders({ ...base, versions: 'v1a', signingKeys: signingKeysAt(subscriber, new Date()) });
    expect(during['webhook-signature'].split(' ')).toHaveLength(2);
    expect(receiverVerifies(publicKeyOf(oldKey), during, body)).toBe(true);
    expect(receiverVerifies(publicKeyOf(newKey), during, body)).toBe(true);

    const after = signatureHeaders({ ...base, versions: 'v1a', signingKeys: signingKeysAt(subscriber, new Date(Date.now() + 120_000)) });
    expect(after['webhook-signature'].split(' ')).toHaveLength(1);
    expect(receiverVerifies(publicKeyOf(oldKey), after, body)).toBe(false);
    expect(receiverVerifies(publicKeyOf(newKey), after, body)).toBe(true);
  });

  it('refuses to send v1a without a signing key rather than send it unsigned', () => {
    expect(() => signatureHeaders({ ...base, versions: 'v1a' })).toThrow(/signing key/);
  });

  it('keeps the HMAC-only call shape working', () => {
    const headers = signatureHeaders({ ...base, versions: 'both' });
    expect(headers['x-agent-signature']).toMatch(/^sha256=/);
    expect(headers['webhook-signature']).toMatch(/^v1,/);
  });
});

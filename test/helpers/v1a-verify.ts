import { createPublicKey, verify } from 'node:crypto';

// A receiver's v1a check, written from the Standard Webhooks spec with Node's crypto only:
// ed25519 over `webhook-id.webhook-timestamp.body`, against a `whpk_` key (base64 of the raw
// 32-byte public key). Any `v1a,` entry of the space-separated header may match.

const SPKI_ED25519 = Buffer.from('302a300506032b6570032100', 'hex');

export function verifiesV1a(publicKey: string, headers: Record<string, string | string[] | undefined>, body: string): boolean {
  const raw = Buffer.from(publicKey.replace(/^whpk_/, ''), 'base64');
  const key = createPublicKey({ key: Buffer.concat([SPKI_ED25519, raw]), format: 'der', type: 'spki' });
  const signed = Buffer.from(`${String(headers['webhook-id'])}.${String(headers['webhook-timestamp'])}.${body}`);
  return String(headers['webhook-signature'] ?? '')
    .split(' ')
    .filter((entry) => entry.startsWith('v1a,'))
    .some((entry) => verify(null, signed, key, Buffer.from(entry.slice(4), 'base64')));
}

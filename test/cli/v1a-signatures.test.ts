import { generateSigningKey, publicKeyOf } from '../../src/domain/signature';
import { verifiesV1a } from '../helpers/v1a-verify';
import { runCli } from './cli-process';

// v1a (Standard Webhooks ed25519) in sign and verify: offline, just the CLI. A receiver checks
// the signature with the whpk_ public key; here also with Node's crypto.verify directly.

const SIGNING_KEY = generateSigningKey();
const PUBLIC_KEY = publicKeyOf(SIGNING_KEY);
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const BODY = JSON.stringify({ event: 'order.created', timestamp: 1767225600, data: { id: 42, total: 1999 } });

const headerArgs = (headers: Record<string, string>) => Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]);

async function sign(args: string[]): Promise<Record<string, string>> {
  const res = await runCli(['sign', ...args, '--body', BODY, '--output', 'json']);
  expect(res).toMatchObject({ code: 0, stderr: '' });
  return JSON.parse(res.stdout);
}

describe('webhookctl sign and verify with v1a', () => {
  it('signs v1a with a whsk_ key as the Standard Webhooks spec defines it, and verifies it with the whpk_ key', async () => {
    const headers = await sign(['--signing-key', SIGNING_KEY, '--version', 'v1a']);
    expect(Object.keys(headers)).toEqual(['webhook-id', 'webhook-timestamp', 'webhook-signature']);
    expect(headers['webhook-signature']).toMatch(/^v1a,[A-Za-z0-9+/]+={0,2}$/);
    expect(verifiesV1a(PUBLIC_KEY, headers, BODY)).toBe(true);

    const res = await runCli(['verify', '--public-key', PUBLIC_KEY, ...headerArgs(headers), '--body', BODY]);
    expect(res).toMatchObject({ code: 0, stderr: '', stdout: 'v1a: verified\n' });
  });

  it('refuses a tampered body and another key', async () => {
    const headers = await sign(['--signing-key', SIGNING_KEY, '--version', 'v1a']);
    const tampered = await runCli(['verify', '--public-key', PUBLIC_KEY, ...headerArgs(headers), '--body', BODY.replace('1999', '1')]);
    expect(tampered.code).toBe(1);
    expect(tampered.stderr).toMatch(/^webhookctl: v1a: wrong key: /);
    const pretty = await runCli(['verify', '--public-key', PUBLIC_KEY, ...headerArgs(headers), '--body', JSON.stringify(JSON.parse(BODY), null, 2)]);
    expect(pretty.stderr).toMatch(/^webhookctl: v1a: body changed after signing: it verifies only when re-serialized as compact JSON/);
    const other = await runCli(['verify', '--public-key', publicKeyOf(generateSigningKey()), ...headerArgs(headers), '--body', BODY]);
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/^webhookctl: v1a: wrong key: /);
  });

  it('signs v2 and v1a into one header and verifies each with its own key', async () => {
    const headers = await sign(['--secret', SECRET, '--signing-key', SIGNING_KEY, '--version', 'v2+v1a']);
    const entries = headers['webhook-signature'].split(' ');
    expect(entries.map((e) => e.split(',')[0])).toEqual(['v1', 'v1a']);
    const both = await runCli(['verify', '--secret', SECRET, '--public-key', PUBLIC_KEY, ...headerArgs(headers), '--body', BODY]);
    expect(both).toMatchObject({ code: 0, stdout: 'v2: verified\nv1a: verified\n' });
    // With only the public key, only v1a can be checked: the receiver holds no secret.
    const onlyPublic = await runCli(['verify', '--public-key', PUBLIC_KEY, ...headerArgs(headers), '--body', BODY]);
    expect(onlyPublic).toMatchObject({ code: 0, stdout: 'v1a: verified\n' });
  });

  it('accepts the whsk_ key for verify too, and says which key each version needs', async () => {
    const headers = await sign(['--signing-key', SIGNING_KEY, '--version', 'v1a']);
    expect(await runCli(['verify', '--public-key', SIGNING_KEY, ...headerArgs(headers), '--body', BODY])).toMatchObject({ code: 0, stdout: 'v1a: verified\n' });
    const noKey = await runCli(['sign', '--secret', SECRET, '--version', 'v1a', '--body', BODY]);
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toMatch(/--signing-key/);
    const noSecret = await runCli(['sign', '--signing-key', SIGNING_KEY, '--version', 'v1', '--body', BODY]);
    expect(noSecret.stderr).toMatch(/--secret/);
    const noPublic = await runCli(['verify', '--secret', SECRET, ...headerArgs(headers), '--body', BODY]);
    expect(noPublic.code).toBe(1);
    expect(noPublic.stderr).toMatch(/--public-key/);
  });
});

import { runCli } from './cli-process';

// sign and verify are offline: no app, just the CLI.

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const BODY = JSON.stringify({ event: 'order.created', timestamp: 1767225600, data: { id: 42, total: 1999 } });

async function sign(version: string, extra: string[] = []): Promise<Record<string, string>> {
  const res = await runCli(['sign', '--secret', SECRET, '--version', version, '--body', BODY, '--output', 'json', ...extra]);
  expect(res).toMatchObject({ code: 0, stderr: '' });
  return JSON.parse(res.stdout);
}

const headerArgs = (headers: Record<string, string>) => Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]);

describe('webhookctl sign and verify', () => {
  it.each(['v1', 'v2'])('round-trips a %s signature', async (version) => {
    const headers = await sign(version);
    expect(Object.keys(headers)).toEqual(version === 'v1' ? ['x-agent-signature'] : ['webhook-id', 'webhook-timestamp', 'webhook-signature']);
    const res = await runCli(['verify', '--secret', SECRET, ...headerArgs(headers), '--body', BODY]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toBe(`${version}: verified\n`);
  });

  it('verifies both versions at once, from a body on stdin', async () => {
    const headers = await sign('both');
    const res = await runCli(['verify', '--secret', SECRET, '--headers', JSON.stringify(headers)], {}, BODY);
    expect(res).toMatchObject({ code: 0, stdout: 'v1: verified\nv2: verified\n' });
  });

  it('says the body changed when it was re-serialized after signing', async () => {
    const headers = await sign('both');
    const pretty = JSON.stringify(JSON.parse(BODY), null, 2);
    const res = await runCli(['verify', '--secret', SECRET, ...headerArgs(headers), '--body', pretty]);
    expect(res.code).toBe(1);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toMatch(/^webhookctl: v1: body changed after signing: it verifies only when re-serialized as compact JSON.*; v2: body changed after signing/);
    const padded = await runCli(['verify', '--secret', SECRET, ...headerArgs(headers), '--body', `${BODY}\r\n`]);
    expect(padded.stderr).toMatch(/^webhookctl: v1: body changed after signing: it verifies only without surrounding whitespace/);
  });

  it('says the body changed when its length differs from the Content-Length that came with it', async () => {
    const headers = await sign('v1');
    const tampered = BODY.replace('1999', '1');
    const res = await runCli(['verify', '--secret', SECRET, ...headerArgs(headers), '-H', `content-length: ${Buffer.byteLength(BODY)}`, '--body', tampered]);
    expect(res.code).toBe(1);
    expect(res.stderr).toBe(`webhookctl: v1: body changed: it is ${Buffer.byteLength(tampered)} bytes but Content-Length says ${Buffer.byteLength(BODY)}\n`);
  });

  it('rejects a stale v2 timestamp even though the signature matches', async () => {
    const signedAt = Math.floor(Date.now() / 1000) - 3600;
    const headers = await sign('v2', ['--timestamp', String(signedAt)]);
    const res = await runCli(['verify', '--secret', SECRET, ...headerArgs(headers), '--body', BODY]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^webhookctl: v2: stale timestamp: the signature matches but was signed 36\d\d s ago, beyond the 300 s tolerance/);
    const tolerant = await runCli(['verify', '--secret', SECRET, ...headerArgs(headers), '--body', BODY, '--tolerance', '7200']);
    expect(tolerant).toMatchObject({ code: 0, stdout: 'v2: verified\n' });
  });

  it('blames the secret when neither the timestamp nor the body shows a change', async () => {
    const headers = await sign('both');
    const res = await runCli(['verify', '--secret', 'whsec_c29tZSBvdGhlciBzZWNyZXQgYnl0ZXM=', ...headerArgs(headers), '--body', BODY]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^webhookctl: v1: wrong secret: .*; v2: wrong secret: /);
  });

  it('names the missing headers when the request carries no signature', async () => {
    const res = await runCli(['verify', '--secret', SECRET, '-H', 'content-type: application/json', '--body', BODY]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/no signature headers: expected X-Agent-Signature \(v1\) or webhook-id/);
  });
});

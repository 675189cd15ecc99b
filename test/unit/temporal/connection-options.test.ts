import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, parseConfig } from '../../../src/config';
import { temporalConnectionOptions } from '../../../src/temporal/connection-options';

// The TEMPORAL_TLS_* and TEMPORAL_API_KEY settings: checked at boot, then mapped to the options
// that both the client and the worker connect with. (The real-server TLS handshake is proven in
// test/production/tls.test.ts.)

const base = { WEBHOOK_INBOUND_SECRET: 's3cret', ADMIN_TOKEN: 'a'.repeat(16), TEMPORAL_ADDRESS: 'temporal.example:7233' };
let dir: string;
let cert: string;
let key: string;
let ca: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'hookyard-tls-unit-'));
  const write = (name: string, text: string) => {
    const file = path.join(dir, name);
    writeFileSync(file, text);
    return file;
  };
  cert = write('client.pem', '-----BEGIN CERTIFICATE-----\nY2xpZW50\n-----END CERTIFICATE-----\n');
  key = write('client.key', '-----BEGIN PRIVATE KEY-----\na2V5\n-----END PRIVATE KEY-----\n');
  ca = write('ca.pem', '-----BEGIN CERTIFICATE-----\nY2E=\n-----END CERTIFICATE-----\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function issues(env: Record<string, string>): { variable: string; message: string }[] {
  try {
    parseConfig({ ...base, ...env });
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
  return [];
}

describe('Temporal connection settings', () => {
  it('connects in plaintext when no TLS setting or API key is given', () => {
    expect(temporalConnectionOptions(parseConfig(base))).toEqual({});
  });

  it('maps a client certificate, its key, a CA and a server name to mTLS options with the files\' bytes', () => {
    const options = temporalConnectionOptions(
      parseConfig({ ...base, TEMPORAL_TLS_CERT: cert, TEMPORAL_TLS_KEY: key, TEMPORAL_TLS_CA: ca, TEMPORAL_TLS_SERVER_NAME: 'frontend.internal' }),
    );
    expect(options.apiKey).toBeUndefined();
    expect(options.tls).toEqual({
      clientCertPair: { crt: Buffer.from('-----BEGIN CERTIFICATE-----\nY2xpZW50\n-----END CERTIFICATE-----\n'), key: Buffer.from('-----BEGIN PRIVATE KEY-----\na2V5\n-----END PRIVATE KEY-----\n') },
      serverRootCACertificate: Buffer.from('-----BEGIN CERTIFICATE-----\nY2E=\n-----END CERTIFICATE-----\n'),
      serverNameOverride: 'frontend.internal',
    });
  });

  it('turns TLS on with the system roots for an API key, as Temporal Cloud needs', () => {
    expect(temporalConnectionOptions(parseConfig({ ...base, TEMPORAL_API_KEY: 'cloud-key.abc' }))).toEqual({ apiKey: 'cloud-key.abc', tls: true });
  });

  it('turns TLS on with the system roots when TEMPORAL_TLS=true alone', () => {
    expect(temporalConnectionOptions(parseConfig({ ...base, TEMPORAL_TLS: 'true' }))).toEqual({ tls: true });
  });

  it('refuses a certificate without its key, and a key without its certificate', () => {
    expect(issues({ TEMPORAL_TLS_CERT: cert })).toEqual([expect.objectContaining({ variable: 'TEMPORAL_TLS_KEY' })]);
    expect(issues({ TEMPORAL_TLS_KEY: key })).toEqual([expect.objectContaining({ variable: 'TEMPORAL_TLS_CERT' })]);
  });

  it('refuses a file that does not exist, naming the variable and the path', () => {
    const missing = path.join(dir, 'nope.pem');
    const found = issues({ TEMPORAL_TLS_CA: missing });
    expect(found).toEqual([expect.objectContaining({ variable: 'TEMPORAL_TLS_CA' })]);
    expect(found[0]?.message).toContain('ENOENT');
    expect(found[0]?.message).toContain(missing);
  });

  it('refuses a file it cannot read', () => {
    if (process.getuid?.() === 0) {
      // root reads any file; a directory stands in for an unreadable one.
      expect(issues({ TEMPORAL_TLS_CA: dir })).toEqual([expect.objectContaining({ variable: 'TEMPORAL_TLS_CA', message: expect.stringContaining('EISDIR') })]);
      return;
    }
    const locked = path.join(dir, 'locked.pem');
    writeFileSync(locked, '-----BEGIN CERTIFICATE-----\n');
    chmodSync(locked, 0o000);
    expect(issues({ TEMPORAL_TLS_CA: locked })).toEqual([expect.objectContaining({ variable: 'TEMPORAL_TLS_CA', message: expect.stringContaining('EACCES') })]);
  });

  it('refuses a key file given as the certificate, and a certificate given as the key', () => {
    const found = issues({ TEMPORAL_TLS_CERT: key, TEMPORAL_TLS_KEY: cert });
    expect(found.map((i) => i.variable).sort()).toEqual(['TEMPORAL_TLS_CERT', 'TEMPORAL_TLS_KEY']);
    expect(found[0]?.message).toMatch(/not a PEM file/);
  });

  it('refuses TLS settings and an API key with TEMPORAL_TLS=false', () => {
    expect(issues({ TEMPORAL_TLS: 'false', TEMPORAL_TLS_CA: ca }).map((i) => i.variable)).toEqual(['TEMPORAL_TLS_CA']);
    const key = issues({ TEMPORAL_TLS: 'false', TEMPORAL_API_KEY: 'k' });
    expect(key).toEqual([expect.objectContaining({ variable: 'TEMPORAL_API_KEY', message: expect.stringContaining('clear text') })]);
  });

  it('refuses an API key with whitespace, and a server name that is not a host name', () => {
    expect(issues({ TEMPORAL_API_KEY: 'two words' }).map((i) => i.variable)).toEqual(['TEMPORAL_API_KEY']);
    expect(issues({ TEMPORAL_TLS_SERVER_NAME: 'https://x' }).map((i) => i.variable)).toEqual(['TEMPORAL_TLS_SERVER_NAME']);
  });

  it('refuses TLS settings without TEMPORAL_ADDRESS: the embedded dev server speaks plaintext', () => {
    const { TEMPORAL_ADDRESS: _unused, ...embedded } = base;
    expect(() => parseConfig({ ...embedded, TEMPORAL_API_KEY: 'k' })).toThrow(/TEMPORAL_ADDRESS/);
  });

  it('never puts the API key in a configuration error message', () => {
    const secret = 'sekrit-key-value';
    try {
      parseConfig({ ...base, TEMPORAL_API_KEY: secret, TEMPORAL_TLS: 'false' });
      throw new Error('expected a ConfigError');
    } catch (err) {
      expect((err as Error).message).not.toContain(secret);
    }
  });
});

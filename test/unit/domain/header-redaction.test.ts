import { redactHeaders } from '../../../src/domain/header-redaction';

const SENT = {
  'content-type': 'application/json',
  'user-agent': 'AI-Agent-Webhook/1.0',
  'x-agent-id': 'agent-1',
  'x-webhook-event': 'order.created',
  'x-webhook-delivery': 'dlv_1',
  'x-webhook-attempt': '2',
  'x-agent-signature': 'sha256=abcdef0123456789',
  'webhook-id': 'dlv_1',
  'webhook-timestamp': '1731602712',
  'webhook-signature': 'v1,c2lnbmF0dXJl',
  Authorization: 'Bearer receiver-credential-0123456789',
  'Proxy-Authorization': 'Basic dXNlcjpwYXNz',
  Cookie: 'session=abcdef0123456789',
  'X-Api-Key': 'key-0123456789abcdef',
  'X-Access-Token': 'tok-0123456789abcdef',
  'X-Client-Secret': 'sec-0123456789abcdef',
  'X-Signing-Key': 'key-0123456789abcdef',
  'X-Tenant': 'tenant-configured-value-0123',
  'X-Trace': 'trace-configured-too-0123',
};

describe('redactHeaders', () => {
  const logged = redactHeaders(SENT, ['X-Tenant', 'x-trace', 'Authorization']);

  it('keeps our own headers, the signatures included', () => {
    for (const name of ['content-type', 'user-agent', 'x-agent-id', 'x-webhook-event', 'x-webhook-delivery', 'x-webhook-attempt', 'x-agent-signature', 'webhook-id', 'webhook-timestamp', 'webhook-signature']) {
      expect(logged[name]).toBe(SENT[name as keyof typeof SENT]);
    }
  });

  it('masks every configured header and everything credential-like, showing at most 4 characters', () => {
    for (const name of ['Authorization', 'Proxy-Authorization', 'Cookie', 'X-Api-Key', 'X-Access-Token', 'X-Client-Secret', 'X-Signing-Key', 'X-Tenant', 'X-Trace']) {
      const value = SENT[name as keyof typeof SENT];
      expect(logged[name]).not.toBe(value);
      expect(logged[name]).toMatch(/^.{0,4}…$/);
    }
  });

  it('masks a credential-like header even when nobody configured it', () => {
    expect(redactHeaders({ 'x-session-id': 'abcdefghijkl' }, [])).toEqual({ 'x-session-id': 'abc…' });
    expect(redactHeaders({ 'x-request-id': 'abcdefghijkl' }, [])).toEqual({ 'x-request-id': 'abcdefghijkl' });
  });
});

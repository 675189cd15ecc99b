import { eq } from 'drizzle-orm';
import { subscribers } from '../../src/db/schema';
import { startHarness, type Harness } from '../helpers/harness';

// Secrets stay secret: shown when created, masked (at most 4 characters) afterwards; blank
// secrets, reserved names and credentials in URLs are refused.

const MASK = /^.{0,4}…$/;

describe('admin API: secrets and reserved names', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ LOG_LEVEL: 'silent' }, { worker: false });
  });
  afterAll(async () => {
    await h?.stop();
  });

  const headers = { Authorization: 'Bearer receiver-credential-0123456789', 'X-Tenant': 'tenant-0123456789' };

  it('shows subscriber header values and the secret on create only, masked afterwards', async () => {
    const created = await h.admin('POST', '/subscribers', { url: 'https://example.com/hook', events: ['order.*'], headers });
    expect(created.status).toBe(201);
    expect(created.json.headers).toEqual(headers);
    expect(created.json.secret).toMatch(/^whsec_/);

    const got = await h.admin('GET', `/subscribers/${created.json.id}`);
    const listed = (await h.admin('GET', '/subscribers')).json.data.find((s: { id: string }) => s.id === created.json.id);
    const patched = await h.admin('PATCH', `/subscribers/${created.json.id}`, { name: 'renamed' });
    for (const view of [got.json, listed, patched.json]) {
      expect(Object.keys(view.headers).sort()).toEqual(Object.keys(headers).sort());
      for (const value of Object.values(view.headers)) expect(value).toMatch(MASK);
      expect(view.secret).toMatch(MASK);
    }
    expect(JSON.stringify([got.json, listed, patched.json])).not.toContain('receiver-credential');
  });

  it('keeps a header whose masked value is sent back unchanged, and takes a new value', async () => {
    const created = (await h.admin('POST', '/subscribers', { url: 'https://example.com/hook', events: ['order.*'], headers })).json;
    const masked = (await h.admin('GET', `/subscribers/${created.id}`)).json.headers;
    const res = await h.admin('PATCH', `/subscribers/${created.id}`, { headers: { ...masked, 'X-Tenant': 'tenant-new-value' } });
    expect(res.status).toBe(200);
    const [row] = await h.database.db.select().from(subscribers).where(eq(subscribers.id, created.id));
    expect(row.headers).toEqual({ Authorization: headers.Authorization, 'X-Tenant': 'tenant-new-value' });
  });

  it.each([
    ['POST', { url: 'https://user:password@example.com/hook', events: ['a'] }, 'url'],
    ['POST', { url: 'https://token@example.com/hook', events: ['a'] }, 'url'],
    ['POST', { url: 'https://example.com/hook', events: ['a'], secret: ' '.repeat(20) }, 'secret'],
    ['POST', { url: 'https://example.com/hook', events: ['a'], secret: ' padded-secret-0123456789' }, 'secret'],
    ['PATCH', { url: 'https://user:pw@example.com/hook' }, 'url'],
  ] as const)('refuses %s of a subscriber with %j, naming the field', async (method, body, field) => {
    const id = method === 'PATCH' ? (await h.admin('POST', '/subscribers', { url: 'https://example.com/hook', events: ['a'] })).json.id : '';
    const res = await h.admin(method, method === 'PATCH' ? `/subscribers/${id}` : '/subscribers', body);
    expect(res.status).toBe(400);
    expect(res.json.message).toContain(field);
    expect(JSON.stringify(res.json)).not.toContain('password');
  });

  it('refuses a blank rotated secret', async () => {
    const { id } = (await h.admin('POST', '/subscribers', { url: 'https://example.com/hook', events: ['a'] })).json;
    const res = await h.admin('POST', `/subscribers/${id}/rotate-secret`, { secret: '\t'.repeat(16) });
    expect(res.status).toBe(400);
    expect(res.json.message).toContain('secret');
  });

  it.each([
    [{ name: 'internal', verifier: 'generic', secrets: ['a-good-secret'] }, 'name'],
    [{ name: 'blank', verifier: 'generic', secrets: [' '.repeat(12)] }, 'secrets.0'],
    [{ name: 'padded', verifier: 'generic', secrets: ['a-good-secret\n'] }, 'secrets.0'],
    [{ name: 'meta-blank', verifier: 'meta', secrets: ['meta-app-secret'], verify_token: ' '.repeat(10) }, 'verify_token'],
  ])('refuses the source %j, naming %s', async (body, field) => {
    const res = await h.admin('POST', '/sources', body);
    expect(res.status).toBe(400);
    expect(res.json.message).toContain(field);
    expect((await h.admin('GET', `/sources/${body.name}`)).status).toBe(404);
  });

  it('masks source secrets and the verify token to at most 4 characters', async () => {
    const created = await h.admin('POST', '/sources', { name: 'masked', verifier: 'meta', secrets: ['meta-app-secret-0123456789'], verify_token: 'verify-token-0123456789' });
    expect(created.status).toBe(201);
    const got = (await h.admin('GET', '/sources/masked')).json;
    expect(got.secrets[0]).toMatch(MASK);
    expect(got.verify_token).toMatch(MASK);
  });
});

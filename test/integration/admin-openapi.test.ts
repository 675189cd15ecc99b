import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { SIGNATURE_VERSIONS } from '../../src/domain/signature';
import { startHarness, type Harness } from '../helpers/harness';
import { registeredRoutes } from '../helpers/registered-routes';

// The OpenAPI document (SPEC S8, issue 12): valid, made from the routes' schemas, complete.

/**
 * Validates a document with @apidevtools/swagger-parser in a plain Node process: its parser is
 * an ES module, which Node loads and jest's module system does not.
 */
async function validateOpenApi(doc: unknown): Promise<void> {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'openapi-')), 'openapi.json');
  writeFileSync(file, JSON.stringify(doc));
  const script = `require('@apidevtools/swagger-parser').validate(${JSON.stringify(file)}).catch((err) => { console.error(err.message); process.exit(1); })`;
  await promisify(execFile)(process.execPath, ['-e', script], { cwd: path.resolve(__dirname, '../..') });
}

describe('admin API: OpenAPI document', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ LOG_LEVEL: 'silent' }, { worker: false });
    await h.app.ready();
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('serves a valid OpenAPI document that lists every admin route with its method', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/admin/api/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    await validateOpenApi(doc);

    const admin = registeredRoutes(h.app.printRoutes({ commonPrefix: false })).filter(
      (r) => r.path.startsWith('/admin/api/') && !r.path.startsWith('/admin/api/docs') && r.path !== '/admin/api/openapi.json',
    );
    expect(admin.length).toBeGreaterThanOrEqual(15);
    const missing: string[] = [];
    for (const route of admin) {
      const documented = doc.paths[route.path.replace(/:(\w+)/g, '{$1}')] ?? {};
      for (const method of route.methods.filter((m) => m !== 'HEAD')) {
        if (!documented[method.toLowerCase()]) missing.push(`${method} ${route.path}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('documents the zod schemas that validate the requests', async () => {
    const doc = (await h.app.inject({ method: 'GET', url: '/admin/api/openapi.json' })).json();
    const create = doc.paths['/admin/api/subscribers'].post.requestBody.content['application/json'].schema;
    expect(create.required).toEqual(['url', 'events']);
    expect(create.properties.signature_version.enum).toEqual([...SIGNATURE_VERSIONS]);
    const list = doc.paths['/admin/api/deliveries'].get.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`);
    expect(list).toEqual(expect.arrayContaining(['query:subscriber_id', 'query:status', 'query:cursor', 'query:limit']));
    expect(doc.components.securitySchemes.adminToken).toEqual({ type: 'http', scheme: 'bearer' });
    // The same schema refuses a bad value, with the field named.
    const bad = await h.admin('POST', '/subscribers', { url: 'ftp://x', events: [] });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toBe('validation_failed');
    expect(bad.json.details.map((d: { field: string }) => d.field).sort()).toEqual(['events', 'url']);
  });

  it('serves interactive docs at /admin/api/docs', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/admin/api/docs/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.body).toContain('swagger-ui');
  });

  it('refuses a document that breaks the OpenAPI schema (the check can fail)', async () => {
    await expect(validateOpenApi({ openapi: '3.0.3', info: { title: 'x' }, paths: { '/a': { get: { responses: 'no' } } } })).rejects.toThrow();
  });

  it('keeps every data route behind the token', async () => {
    expect((await h.app.inject({ method: 'GET', url: '/admin/api/subscribers' })).statusCode).toBe(401);
  });
});

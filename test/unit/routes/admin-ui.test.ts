import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { installErrorHandler } from '../../../src/errors';
import adminUiRoutes from '../../../src/routes/admin-ui';

describe('admin UI routes', () => {
  let dir: string;
  let app: FastifyInstance;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'admin-ui-'));
    mkdirSync(path.join(dir, 'assets'));
    writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>hookyard admin</title><div id="app"></div>');
    writeFileSync(path.join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
    app = Fastify();
    installErrorHandler(app);
    await app.register(adminUiRoutes, { root: dir });
    app.get('/admin/api/subscribers', async () => ({ data: [] }));
  });
  afterAll(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(['/admin', '/admin/', '/admin/deliveries/dlv_123', '/admin/events/evt_9?tab=payload', '/admin/subscribers/new'])(
    'answers the page path %s with the app, so links from Temporal workflow details land',
    async (url) => {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.body).toContain('<div id="app">');
      expect(res.headers['content-security-policy']).toMatch(/script-src 'self'/);
      expect(res.headers['cache-control']).toBe('no-cache');
    },
  );

  it('serves the hashed assets with a long cache life', async () => {
    const res = await app.inject({ method: 'GET', url: '/admin/assets/index-abc123.js' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('console.log(1)');
    expect(res.headers['cache-control']).toMatch(/immutable/);
  });

  it('keeps a 404 for missing files and unknown admin API routes, and leaves the API routes alone', async () => {
    expect((await app.inject({ method: 'GET', url: '/admin/assets/nope.js' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/admin/logo.png' })).statusCode).toBe(404);
    const unknown = await app.inject({ method: 'GET', url: '/admin/api/nothing-here' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toEqual({ error: 'not_found', message: 'no route for GET /admin/api/nothing-here' });
    expect((await app.inject({ method: 'GET', url: '/admin/api/subscribers' })).json()).toEqual({ data: [] });
  });

  it('says how to build the UI when it has not been built', async () => {
    const bare = Fastify();
    installErrorHandler(bare);
    await bare.register(adminUiRoutes, { root: path.join(dir, 'missing') });
    const res = await bare.inject({ method: 'GET', url: '/admin' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ error: 'ui_not_built' });
    await bare.close();
  });
});

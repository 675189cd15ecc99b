import { readFile } from 'node:fs/promises';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from '../errors';

export interface AdminUiOptions {
  /** The folder that `npm run ui:build` writes: index.html and assets/. */
  root: string;
}

/** Where `npm run ui:build` (run by scripts/setup.sh) puts the admin UI. */
export const ADMIN_UI_DIR = path.resolve(__dirname, '../../dist/admin-ui');

// The UI only talks to its own origin; no inline script, no framing. Styles may be inline
// because uPlot sizes its canvas with style attributes.
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The admin web UI at /admin: hashed assets from the build, and index.html for every page path,
 * so links from outside (`/admin/deliveries/<id>` in Temporal workflow details) open the page.
 */
export default async function adminUiRoutes(app: FastifyInstance, opts: AdminUiOptions) {
  await app.register(fastifyStatic, {
    root: path.join(opts.root, 'assets'),
    prefix: '/admin/assets/',
    decorateReply: false,
    index: false,
    // The file names carry a content hash.
    maxAge: '365d',
    immutable: true,
  });

  const page = async (url: string) => {
    const pathname = url.split('?')[0] ?? '';
    // The admin API's unknown routes and missing files keep their 404; only page paths get the app.
    if (pathname.startsWith('/admin/api/') || /\.[a-z0-9]+$/i.test(pathname)) throw new HttpError(404, 'not_found', `no route for GET ${pathname}`);
    try {
      return await readFile(path.join(opts.root, 'index.html'), 'utf8');
    } catch {
      throw new HttpError(503, 'ui_not_built', 'the admin UI is not built; run `npm run setup` (or `npm run ui:build`)');
    }
  };

  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const html = await page(request.url);
    return reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-cache')
      .header('content-security-policy', CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'same-origin')
      .send(html);
  };
  app.get('/admin', handler);
  app.get('/admin/*', handler);
}

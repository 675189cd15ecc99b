import type { FastifyInstance } from 'fastify';
import { HttpError } from '../errors';
import { safeEqual } from '../domain/signature';

/** Bearer-token auth for every route registered in the same scope, compared in constant time. */
export function requireAdminToken(app: FastifyInstance, token: string): void {
  app.addHook('onRequest', async (request) => {
    const header = request.headers.authorization ?? '';
    const given = header.startsWith('Bearer ') ? header.slice(7).trim() : '';
    if (!given || !safeEqual(given, token)) {
      throw new HttpError(401, 'unauthorized', 'send Authorization: Bearer <ADMIN_TOKEN>', undefined, { 'www-authenticate': 'Bearer' });
    }
  });
}

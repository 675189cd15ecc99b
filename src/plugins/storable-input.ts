import type { FastifyInstance } from 'fastify';
import { assertStorable } from '../domain/storable-text';

/**
 * One guard for every route in its scope: a body, query or path parameter holding text that
 * PostgreSQL cannot store (domain/storable-text.ts) is a 400 `invalid_text` naming the field,
 * before any handler or schema runs. Raw bodies (the inbound gateway's Buffer) are checked
 * once parsed, in inbound/json-body.ts.
 */
export function refuseUnstorableInput(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    assertStorable(request.params ?? null, 'params');
    assertStorable(request.query ?? null, 'query');
    if (!Buffer.isBuffer(request.body)) assertStorable(request.body ?? null, 'body');
  });
}

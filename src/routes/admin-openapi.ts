import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';

/**
 * The OpenAPI document of the admin API, made from the zod schemas the routes validate with.
 * Call it on the admin scope itself (not as a child plugin) before the routes: @fastify/swagger
 * collects the routes registered after it in the scope it is registered in. The document and the docs page hold no data, only the API's shape, so
 * they answer without the token (a browser cannot send it for a page); the docs page's
 * "Authorize" button takes the token for its "Try it out" calls.
 */
export async function registerAdminOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'hookyard admin API',
        description: 'Subscribers, events, deliveries, dead letters, sources, stats and replay jobs. Every route but this document and its docs page needs `Authorization: Bearer <ADMIN_TOKEN>`.',
        version: '1',
      },
      components: { securitySchemes: { adminToken: { type: 'http', scheme: 'bearer' } } },
      security: [{ adminToken: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}

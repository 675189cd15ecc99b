import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../metrics/metrics';

/**
 * `GET /metrics` in the Prometheus text format. Unauthenticated, as scrapers expect: restrict it
 * at the network (or the reverse proxy) if the counts are sensitive.
 */
export default async function metricsRoutes(app: FastifyInstance, opts: { metrics: Pick<Metrics, 'expose' | 'contentType'> }) {
  app.get('/metrics', async (_request, reply) => reply.type(opts.metrics.contentType).send(await opts.metrics.expose()));
}

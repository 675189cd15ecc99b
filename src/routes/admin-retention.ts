import type { FastifyInstance } from 'fastify';
import { HttpError, notFound } from '../errors';
import type { RetentionRepository } from '../retention/retention-repository';

export interface RetentionRouteOptions {
  retention: RetentionRepository;
}

/**
 * `DELETE /events/:id/data` (also `/events/:id/payload`, the name issue 19 uses): removes one
 * event's payload and every request and response body kept for it, for a privacy request. The
 * event, delivery and log rows stay, so the history still shows what was sent when.
 */
export default async function adminRetentionRoutes(app: FastifyInstance, { retention }: RetentionRouteOptions) {
  const expunge = async (request: { params: { id: string }; log: FastifyInstance['log'] }) => {
    const eventId = request.params.id;
    if (await retention.hasPendingDelivery(eventId)) {
      throw new HttpError(409, 'deliveries_pending', `event ${eventId} has deliveries still pending; cancel them (or let them finish) before expunging its data`);
    }
    const stripped = await retention.expunge(eventId);
    if (!stripped) throw notFound(`event ${eventId}`);
    request.log.info({ eventId, deliveries: stripped.deliveries, logs: stripped.logs }, 'event data expunged by an admin');
    return { event_id: eventId, expunged: true, deliveries: stripped.deliveries, logs: stripped.logs };
  };
  app.delete<{ Params: { id: string } }>('/events/:id/data', expunge);
  app.delete<{ Params: { id: string } }>('/events/:id/payload', expunge);
}

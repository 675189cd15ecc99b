import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Repositories } from '../db/repositories';
import type { DeliveryControl } from '../deliveries/delivery-control';
import { orderingKeyProblem } from '../domain/ordering-key';
import { findSubscriber } from './admin-subscribers';

// Ordered delivery as operators see it: GET /admin/api/subscribers/:id/ordering lists the keys
// a dead delivery blocks and the keys with deliveries waiting; POST .../ordering/skip lifts a
// block. Replaying the dead delivery (POST /admin/api/dead-letters/replay) lifts it too.

export interface OrderingRouteOptions {
  repos: Repositories;
  control: Pick<DeliveryControl, 'skipOrderedKey'>;
}

const idParams = z.object({ id: z.string() });
const overviewQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) });
const skipBody = z.object({
  ordering_key: z.string().superRefine((value, ctx) => {
    const problem = orderingKeyProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }),
});
const tags = ['subscribers'];

export default async function adminOrderingRoutes(fastify: FastifyInstance, { repos, control }: OrderingRouteOptions) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();

  app.get(
    '/subscribers/:id/ordering',
    { schema: { tags, summary: "The subscriber's ordered keys: the ones a dead delivery blocks, and queue lengths", params: idParams, querystring: overviewQuery } },
    async (request) => {
      const s = await findSubscriber(repos, request.params.id);
      const [blocked, queues] = await Promise.all([repos.ordering.blocked(s.id, request.query.limit), repos.ordering.queues(s.id, request.query.limit)]);
      return {
        subscriber_id: s.id,
        ordered_delivery: s.orderedDelivery,
        ordering_on_dead: s.orderingOnDead,
        blocked: blocked.map((b) => ({ ordering_key: b.orderingKey, delivery_id: b.deliveryId, blocked_at: b.blockedAt })),
        queues: queues.map((q) => ({ ordering_key: q.orderingKey, pending: q.pending })),
      };
    },
  );

  app.post(
    '/subscribers/:id/ordering/skip',
    { schema: { tags, summary: 'Unblock an ordered key: its dead delivery stays dead, the key goes on with the next', params: idParams, body: skipBody } },
    async (request) => {
      const s = await findSubscriber(repos, request.params.id);
      const { skipped } = await control.skipOrderedKey(s.id, request.body.ordering_key);
      return { subscriber_id: s.id, ordering_key: request.body.ordering_key, skipped_delivery_id: skipped };
    },
  );
}

import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Repositories } from '../db/repositories';
import { notFound } from '../errors';
import type { Dispatcher } from '../events/dispatcher';
import { parseWith } from './validation';

export interface EventRouteOptions {
  repos: Repositories;
  dispatcher: Dispatcher;
}

const dispatchBody = z.object({
  event: z.string().trim().min(1).max(200),
  data: z.union([z.record(z.string(), z.unknown()), z.array(z.unknown())]).optional(),
  agent_id: z.string().max(200).optional(),
  id: z.string().min(1).max(200).optional(),
});

export default async function adminEventRoutes(app: FastifyInstance, { repos, dispatcher }: EventRouteOptions) {
  app.post('/events', async (request, reply) => {
    const input = parseWith(dispatchBody, request.body);
    const result = await dispatcher.dispatch({
      source: 'api',
      type: input.event,
      externalId: input.id,
      data: input.data ?? null,
      agentId: input.agent_id ?? null,
    });
    return reply.code(result.status === 'received' ? 202 : 200).send({
      status: result.status,
      event_id: result.event.id,
      workflow_id: result.workflowId,
    });
  });

  app.get<{ Params: { id: string } }>('/events/:id', async (request) => {
    const event = await repos.events.get(request.params.id);
    if (!event) throw notFound(`event ${request.params.id}`);
    const deliveries = await repos.deliveries.listForEvent(event.id);
    return { ...event, deliveries };
  });
}

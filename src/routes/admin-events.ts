import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { EventRow } from '../db/event-repository';
import type { Repositories } from '../db/repositories';
import { EVENT_STATUSES } from '../db/schema';
import { notFound } from '../errors';
import type { Dispatcher } from '../events/dispatcher';
import { decodeCursor, toPage } from './cursor';
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

const listQuery = z.object({
  event: z.string().optional(),
  source: z.string().optional(),
  status: z.enum(EVENT_STATUSES).optional(),
  from: z.coerce.date().optional(),
  to: z.coerce.date().optional(),
  cursor: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

/** A list row: the event without its payload (GET /events/:id has it). */
const present = (e: EventRow) => ({
  id: e.id,
  event: e.type,
  source: e.source,
  external_id: e.externalId,
  status: e.status,
  veto_reason: e.vetoReason,
  agent_id: e.agentId,
  occurred_at: e.occurredAt,
  received_at: e.receivedAt,
  workflow_id: e.workflowId,
  workflow_started_at: e.workflowStartedAt,
});

export default async function adminEventRoutes(app: FastifyInstance, { repos, dispatcher }: EventRouteOptions) {
  app.get('/events', async (request) => {
    const q = parseWith(listQuery, request.query, 'query');
    const rows = await repos.events.list({
      type: q.event,
      source: q.source,
      status: q.status,
      from: q.from,
      to: q.to,
      cursor: q.cursor ? decodeCursor(q.cursor) : undefined,
      limit: q.limit + 1,
    });
    return toPage(rows, q.limit, (e) => ({ at: e.receivedAt, id: e.id }), present);
  });

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

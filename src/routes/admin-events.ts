import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { EventSummary } from '../db/event-repository';
import type { Repositories } from '../db/repositories';
import { EVENT_STATUSES } from '../db/schema';
import { agentIdProblem, externalEventTypeProblem } from '../domain/event-type';
import { notFound } from '../errors';
import type { Dispatcher } from '../events/dispatcher';
import { decodeCursor, toPage } from './cursor';
import { instant, parseWith } from './validation';

export interface EventRouteOptions {
  repos: Repositories;
  dispatcher: Dispatcher;
}

/** A zod check from a domain rule: `problem` says why a value breaks it, or null. */
const ruled = (problem: (value: unknown) => string | null) =>
  z.string().superRefine((value, ctx) => {
    const message = problem(value);
    if (message) ctx.addIssue({ code: 'custom', message });
  });

const dispatchBody = z.object({
  event: ruled(externalEventTypeProblem),
  data: z.union([z.record(z.string(), z.unknown()), z.array(z.unknown())]).optional(),
  agent_id: ruled(agentIdProblem).optional(),
  id: z.string().min(1).max(200).optional(),
});

const listQuery = z.object({
  event: z.string().optional(),
  source: z.string().optional(),
  status: z.enum(EVENT_STATUSES).optional(),
  from: instant.optional(),
  to: instant.optional(),
  cursor: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

const detailQuery = z.object({
  deliveries_cursor: z.string().optional(),
  deliveries_limit: z.coerce.number().int().min(1).max(500).default(100),
});

/** A list row: the event without its payload (GET /events/:id has it). */
const present = (e: EventSummary) => ({
  id: e.id,
  event: e.type,
  source: e.source,
  external_id: e.externalId,
  status: e.status,
  agent_id: e.agentId,
  occurred_at: e.occurredAt,
  received_at: e.receivedAt,
  workflow_id: e.workflowId,
  workflow_started_at: e.workflowStartedAt,
  payload_expired: e.payloadExpiredAt !== null,
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

  // The event with one page of its deliveries (oldest first, without bodies): a fan-out to
  // thousands of subscribers is read a page at a time.
  app.get<{ Params: { id: string } }>('/events/:id', async (request) => {
    const q = parseWith(detailQuery, request.query, 'query');
    const event = await repos.events.get(request.params.id);
    if (!event) throw notFound(`event ${request.params.id}`);
    const rows = await repos.deliveries.listForEvent(event.id, {
      after: q.deliveries_cursor ? decodeCursor(q.deliveries_cursor) : undefined,
      limit: q.deliveries_limit + 1,
    });
    const page = toPage(rows, q.deliveries_limit, (d) => ({ at: d.createdAt, id: d.id }), (d) => d);
    return { ...event, payload_expired: event.payloadExpiredAt !== null, deliveries: page.data, deliveries_next_cursor: page.next_cursor };
  });
}

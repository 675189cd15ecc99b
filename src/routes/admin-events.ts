import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { EventSummary } from '../db/event-repository';
import type { Repositories } from '../db/repositories';
import { EVENT_STATUSES } from '../db/schema';
import { agentIdProblem, externalEventTypeProblem } from '../domain/event-type';
import { orderingKeyProblem } from '../domain/ordering-key';
import { notFound } from '../errors';
import type { Dispatcher } from '../events/dispatcher';
import { decodeCursor, toPage } from './cursor';
import { instant } from './validation';

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
  /** Ordered subscribers get the events of one key one after another, in acceptance order. */
  ordering_key: ruled(orderingKeyProblem).optional(),
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
  veto_reason: e.vetoReason,
  agent_id: e.agentId,
  occurred_at: e.occurredAt,
  received_at: e.receivedAt,
  workflow_id: e.workflowId,
  workflow_started_at: e.workflowStartedAt,
  payload_expired: e.payloadExpiredAt !== null,
  ordering_key: e.orderingKey,
  sequence: e.sequence,
});

const tags = ['events'];

export default async function adminEventRoutes(fastify: FastifyInstance, { repos, dispatcher }: EventRouteOptions) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  app.get('/events', { schema: { tags, summary: 'List events, newest first', querystring: listQuery } }, async (request) => {
    const q = request.query;
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

  app.post('/events', { schema: { tags, summary: 'Dispatch an event to its subscribers', body: dispatchBody } }, async (request, reply) => {
    const input = request.body;
    const result = await dispatcher.dispatch({
      source: 'api',
      type: input.event,
      externalId: input.id,
      data: input.data ?? null,
      agentId: input.agent_id ?? null,
      orderingKey: input.ordering_key ?? null,
    });
    return reply.code(result.status === 'received' ? 202 : 200).send({
      status: result.status,
      event_id: result.event.id,
      workflow_id: result.workflowId,
    });
  });

  app.get(
    '/event-types',
    {
      schema: {
        tags,
        summary: 'The event types seen: count, last seen, and the newest payload of each',
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) }),
      },
    },
    async (request) => ({
      data: (await repos.eventCatalog.list(request.query.limit)).map((t) => ({
        event: t.type,
        count: t.count,
        last_seen_at: t.lastSeenAt,
        sample: { event_id: t.sample.id, payload: t.sample.payload },
      })),
    }),
  );

  // The event with one page of its deliveries (oldest first, without bodies): a fan-out to
  // thousands of subscribers is read a page at a time.
  app.get('/events/:id', { schema: { tags, summary: 'Get an event with one page of its deliveries', params: z.object({ id: z.string() }), querystring: detailQuery } }, async (request) => {
    const q = request.query;
    const event = await repos.events.get(request.params.id);
    if (!event) throw notFound(`event ${request.params.id}`);
    const rows = await repos.deliveries.listForEvent(event.id, {
      after: q.deliveries_cursor ? decodeCursor(q.deliveries_cursor) : undefined,
      limit: q.deliveries_limit + 1,
    });
    const page = toPage(rows, q.deliveries_limit, (d) => ({ at: d.createdAt, id: d.id }), (d) => d);
    return { ...event, payload_expired: event.payloadExpiredAt !== null, ordering_key: event.orderingKey, deliveries: page.data, deliveries_next_cursor: page.next_cursor };
  });
}

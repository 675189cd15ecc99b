import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { DeliverySummary } from '../db/delivery-repository';
import type { Repositories } from '../db/repositories';
import { DELIVERY_STATUSES } from '../db/schema';
import type { DeliveryControl } from '../deliveries/delivery-control';
import { notFound } from '../errors';
import { workflowUrl } from '../temporal/client';
import { decodeCursor, toPage } from './cursor';
import { instant, parseWith } from './validation';

export interface DeliveryRouteOptions {
  repos: Repositories;
  control: DeliveryControl;
  temporalUiUrl: string | null;
  namespace: string;
}

const listQuery = z.object({
  subscriber_id: z.uuid().optional(),
  event_id: z.string().optional(),
  event: z.string().optional(),
  status: z.enum(DELIVERY_STATUSES).optional(),
  from: instant.optional(),
  to: instant.optional(),
  cursor: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

const replayBody = z.union([
  z.object({ ids: z.array(z.string().min(1)).min(1).max(1000) }),
  z.object({ subscriber_id: z.uuid(), from: instant, to: instant }),
]);

export default async function adminDeliveryRoutes(app: FastifyInstance, opts: DeliveryRouteOptions) {
  const { repos, control } = opts;
  const present = (d: DeliverySummary) => ({
    id: d.id,
    event_id: d.eventId,
    event: d.eventType,
    subscriber_id: d.subscriberId,
    status: d.status,
    attempts: d.attempts,
    last_response_code: d.lastResponseCode,
    last_error: d.lastError,
    next_attempt_at: d.nextAttemptAt,
    replay_of: d.replayOf,
    workflow_id: d.workflowId,
    temporal_url: workflowUrl(opts.temporalUiUrl, opts.namespace, d.workflowId),
    created_at: d.createdAt,
    updated_at: d.updatedAt,
    completed_at: d.completedAt,
  });

  async function page(query: unknown, forced: Partial<{ status: (typeof DELIVERY_STATUSES)[number] }> = {}) {
    const q = parseWith(listQuery, query, 'query');
    const rows = await repos.deliveries.list({
      status: forced.status ?? q.status,
      subscriberId: q.subscriber_id,
      eventId: q.event_id,
      eventType: q.event,
      from: q.from,
      to: q.to,
      cursor: q.cursor ? decodeCursor(q.cursor) : undefined,
      limit: q.limit + 1,
    });
    return toPage(rows, q.limit, (d) => ({ at: d.createdAt, id: d.id }), present);
  }

  app.get('/deliveries', async (request) => page(request.query));

  app.get<{ Params: { id: string } }>('/deliveries/:id', async (request) => {
    const delivery = await repos.deliveries.get(request.params.id);
    if (!delivery) throw notFound(`delivery ${request.params.id}`);
    const [attempts, live] = await Promise.all([repos.deliveries.logsFor(delivery.id), control.liveStatus(delivery)]);
    return {
      ...present(delivery),
      request_body: delivery.requestBody,
      live,
      attempts: attempts.map((a) => ({
        attempt: a.attempts,
        outcome: a.outcome,
        response_code: a.responseCode,
        response_body: a.responseBody,
        duration_ms: a.durationMs,
        error: a.error,
        request_headers: a.requestHeaders,
        request_body: a.requestBody,
        next_retry_at: a.nextRetryAt,
        created_at: a.createdAt,
      })),
    };
  });

  app.post<{ Params: { id: string } }>('/deliveries/:id/retry', async (request, reply) => {
    await control.retryNow(request.params.id);
    return reply.code(202).send({ status: 'retrying', delivery_id: request.params.id });
  });

  app.post<{ Params: { id: string } }>('/deliveries/:id/cancel', async (request, reply) => {
    const body = parseWith(z.object({ reason: z.string().max(500).optional() }), request.body);
    await control.cancel(request.params.id, body.reason);
    return reply.code(202).send({ status: 'cancelling', delivery_id: request.params.id });
  });

  app.get('/dead-letters', async (request) => page(request.query, { status: 'dead' }));

  app.post('/dead-letters/replay', async (request, reply) => {
    const body = parseWith(replayBody, request.body);
    const result = 'ids' in body ? await control.replay(body.ids) : await control.replayRange(body.subscriber_id, body.from, body.to);
    return reply.code(202).send(result);
  });
}

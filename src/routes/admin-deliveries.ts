import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { DeliverySummary } from '../db/delivery-repository';
import type { Repositories } from '../db/repositories';
import { DELIVERY_STATUSES } from '../db/schema';
import { eventWorkflowId } from '../domain/workflow-ids';
import type { DeliveryControl } from '../deliveries/delivery-control';
import { notFound } from '../errors';
import { workflowUrl } from '../temporal/client';
import { decodeCursor, toPage } from './cursor';
import { instant } from './validation';
import { presentReplayJob, startReplayJob } from './admin-replays';

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
const idParams = z.object({ id: z.string() });
const cancelBody = z.object({ reason: z.string().max(500).optional() });
const tags = ['deliveries'];

export default async function adminDeliveryRoutes(fastify: FastifyInstance, opts: DeliveryRouteOptions) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
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
    // Null for a delivery that never had a workflow of its own (settled at its first attempt, in
    // its event workflow's fan-out): its attempts are in the event workflow's history.
    workflow_started_at: d.workflowStartedAt,
    event_workflow_id: eventWorkflowId(d.eventId),
    event_temporal_url: workflowUrl(opts.temporalUiUrl, opts.namespace, eventWorkflowId(d.eventId)),
    created_at: d.createdAt,
    updated_at: d.updatedAt,
    completed_at: d.completedAt,
  });

  async function page(q: z.output<typeof listQuery>, forced: Partial<{ status: (typeof DELIVERY_STATUSES)[number] }> = {}) {
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

  app.get('/deliveries', { schema: { tags, summary: 'List deliveries, newest first', querystring: listQuery } }, async (request) => page(request.query));

  app.get('/deliveries/:id', { schema: { tags, summary: 'Get a delivery with its attempts and live status', params: idParams } }, async (request) => {
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

  app.post('/deliveries/:id/retry', { schema: { tags, summary: 'Retry a pending delivery now', params: idParams } }, async (request, reply) => {
    await control.retryNow(request.params.id);
    return reply.code(202).send({ status: 'retrying', delivery_id: request.params.id });
  });

  app.post('/deliveries/:id/cancel', { schema: { tags, summary: 'Cancel a pending delivery', params: idParams, body: cancelBody } }, async (request, reply) => {
    await control.cancel(request.params.id, request.body.reason);
    return reply.code(202).send({ status: 'cancelling', delivery_id: request.params.id });
  });

  app.get('/dead-letters', { schema: { tags: ['dead letters'], summary: 'List dead deliveries, newest first', querystring: listQuery } }, async (request) =>
    page(request.query, { status: 'dead' }),
  );

  app.post(
    '/dead-letters/replay',
    {
      schema: {
        tags: ['dead letters'],
        summary: "Replay dead deliveries: {ids} at once, or a subscriber's over a time range as a background job (202 with the job)",
        body: replayBody,
      },
    },
    async (request, reply) => {
      const body = request.body;
      if ('ids' in body) return reply.code(202).send(await control.replay(body.ids));
      const job = await startReplayJob(repos, { subscriberId: body.subscriber_id, status: 'dead', from: body.from.toISOString(), to: body.to.toISOString() });
      return reply.code(202).send(presentReplayJob(job));
    },
  );
}

import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Repositories } from '../db/repositories';
import type { Subscriber } from '../db/subscriber-repository';
import { isValidPattern } from '../domain/event-pattern';
import { notFound } from '../errors';
import type { TransformRegistry } from '../transforms/registry';
import type { DeliveryControl } from '../deliveries/delivery-control';
import { parseWith } from './validation';

export interface SubscriberRouteOptions {
  repos: Repositories;
  transforms: TransformRegistry;
  secretGraceMs: number;
  control: DeliveryControl;
  /** The signature versions a new subscriber gets when it names none (WEBHOOK_SIGNATURE_VERSIONS). */
  defaultSignatureVersion?: 'v1' | 'v2' | 'both';
}

/** A Standard Webhooks style secret: `whsec_` + base64 of 32 random bytes. */
export function generateSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

const pattern = z.string().refine(isValidPattern, 'must be an event name, a prefix wildcard such as order.*, or *');

/** POSTs in flight to the subscriber across all workers (endpoint protection); null takes WEBHOOK_ENDPOINT_CONCURRENCY. */
export const MAX_IN_FLIGHT_RANGE = { min: 1, max: 1000 } as const;
const maxInFlight = z
  .number({ message: `must be an integer from ${MAX_IN_FLIGHT_RANGE.min} to ${MAX_IN_FLIGHT_RANGE.max}` })
  .int(`must be an integer from ${MAX_IN_FLIGHT_RANGE.min} to ${MAX_IN_FLIGHT_RANGE.max}`)
  .min(MAX_IN_FLIGHT_RANGE.min, `must be an integer from ${MAX_IN_FLIGHT_RANGE.min} to ${MAX_IN_FLIGHT_RANGE.max}`)
  .max(MAX_IN_FLIGHT_RANGE.max, `must be an integer from ${MAX_IN_FLIGHT_RANGE.min} to ${MAX_IN_FLIGHT_RANGE.max}`);

export const RATE_LIMIT_RANGE = { perSecond: { min: 0.01, max: 10_000 }, burst: { min: 1, max: 10_000 } } as const;
const perSecondMessage = `must be a number of requests per second from ${RATE_LIMIT_RANGE.perSecond.min} to ${RATE_LIMIT_RANGE.perSecond.max}`;
const burstMessage = `must be an integer from ${RATE_LIMIT_RANGE.burst.min} to ${RATE_LIMIT_RANGE.burst.max}`;
/** Requests per second across all workers, with a burst (a token bucket); null: no limit. */
const rateLimit = z.strictObject(
  {
    per_second: z
      .number({ message: perSecondMessage })
      .min(RATE_LIMIT_RANGE.perSecond.min, perSecondMessage)
      .max(RATE_LIMIT_RANGE.perSecond.max, perSecondMessage),
    burst: z.number({ message: burstMessage }).int(burstMessage).min(RATE_LIMIT_RANGE.burst.min, burstMessage).max(RATE_LIMIT_RANGE.burst.max, burstMessage).optional(),
  },
  { message: 'must be an object {per_second, burst?} or null' },
);

export function subscriberBody(transforms: TransformRegistry) {
  return z.object({
    url: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }),
    events: z.array(pattern).min(1, 'must name at least one event pattern'),
    name: z.string().max(200).optional(),
    description: z.string().max(2000).optional(),
    client_id: z.uuid().optional(),
    secret: z.string().min(16, 'must be at least 16 characters').max(512).optional(),
    active: z.boolean().optional(),
    signature_version: z.enum(['v1', 'v2', 'both']).optional(),
    transform: z
      .string()
      .refine((t) => transforms.has(t), `must be a registered transform (${transforms.names().join(', ')})`)
      .nullable()
      .optional(),
    headers: z.record(z.string().regex(/^[A-Za-z0-9-]+$/, 'header names are letters, digits and dashes'), z.string().max(1000)).optional(),
    max_in_flight: maxInFlight.nullable().optional(),
    rate_limit: rateLimit.nullable().optional(),
  });
}

function rateLimitColumns(limit: { per_second: number; burst?: number } | null) {
  return { rateLimitPerSecond: limit?.per_second ?? null, rateLimitBurst: limit ? (limit.burst ?? 1) : null };
}

/** The public view of a subscriber: the secret is never echoed back. */
export function presentSubscriber(s: Subscriber, revealSecret = false) {
  return {
    id: s.id,
    client_id: s.clientId,
    name: s.name,
    description: s.description,
    url: s.url,
    events: s.events,
    active: s.active,
    signature_version: s.signatureVersion,
    transform: s.transform,
    headers: s.headers,
    disabled_reason: s.disabledReason,
    max_in_flight: s.maxInFlight,
    rate_limit: s.rateLimitPerSecond === null ? null : { per_second: s.rateLimitPerSecond, burst: s.rateLimitBurst ?? 1 },
    secret: revealSecret ? s.secret : `${s.secret.slice(0, 9)}…`,
    previous_secret_expires_at: s.previousSecretExpiresAt,
    created_at: s.createdAt,
    updated_at: s.updatedAt,
  };
}

export default async function adminSubscriberRoutes(app: FastifyInstance, opts: SubscriberRouteOptions) {
  const { repos } = opts;
  const body = subscriberBody(opts.transforms);

  app.post('/subscribers', async (request, reply) => {
    const input = parseWith(body, request.body);
    const created = await repos.subscribers.create({
      url: input.url,
      events: input.events,
      name: input.name,
      description: input.description,
      clientId: input.client_id,
      secret: input.secret ?? generateSecret(),
      active: input.active ?? true,
      signatureVersion: input.signature_version ?? opts.defaultSignatureVersion ?? 'both',
      transform: input.transform ?? null,
      headers: input.headers ?? {},
      maxInFlight: input.max_in_flight ?? null,
      ...rateLimitColumns(input.rate_limit ?? null),
    });
    return reply.code(201).send(presentSubscriber(created, true));
  });

  app.get('/subscribers', async (request) => {
    const q = parseWith(
      z.object({ active: z.enum(['true', 'false']).optional(), event: z.string().optional() }),
      request.query,
      'query',
    );
    const rows = await repos.subscribers.list({ active: q.active === undefined ? undefined : q.active === 'true', event: q.event });
    return { data: rows.map((s) => presentSubscriber(s)) };
  });

  app.get<{ Params: { id: string } }>('/subscribers/:id', async (request) => {
    const s = await findSubscriber(repos, request.params.id);
    return presentSubscriber(s);
  });

  const patch = body.partial().omit({ secret: true });
  app.patch<{ Params: { id: string } }>('/subscribers/:id', async (request) => {
    await findSubscriber(repos, request.params.id);
    const input = parseWith(patch, request.body);
    const updated = await repos.subscribers.update(request.params.id, {
      ...(input.url !== undefined ? { url: input.url } : {}),
      ...(input.events !== undefined ? { events: input.events } : {}),
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(input.description !== undefined ? { description: input.description } : {}),
      ...(input.client_id !== undefined ? { clientId: input.client_id } : {}),
      ...(input.active !== undefined ? { active: input.active, disabledReason: input.active ? null : 'deactivated by an admin' } : {}),
      ...(input.signature_version !== undefined ? { signatureVersion: input.signature_version } : {}),
      ...(input.transform !== undefined ? { transform: input.transform } : {}),
      ...(input.headers !== undefined ? { headers: input.headers } : {}),
      ...(input.max_in_flight !== undefined ? { maxInFlight: input.max_in_flight } : {}),
      ...(input.rate_limit !== undefined ? rateLimitColumns(input.rate_limit) : {}),
    });
    return presentSubscriber(updated!);
  });

  app.delete<{ Params: { id: string } }>('/subscribers/:id', async (request, reply) => {
    await findSubscriber(repos, request.params.id);
    await repos.subscribers.remove(request.params.id);
    return reply.code(204).send();
  });

  app.post<{ Params: { id: string } }>('/subscribers/:id/activate', async (request) => {
    await findSubscriber(repos, request.params.id);
    return presentSubscriber((await repos.subscribers.setActive(request.params.id, true))!);
  });

  app.post<{ Params: { id: string } }>('/subscribers/:id/deactivate', async (request) => {
    await findSubscriber(repos, request.params.id);
    const input = parseWith(z.object({ reason: z.string().max(500).optional() }), request.body);
    return presentSubscriber((await repos.subscribers.setActive(request.params.id, false, input.reason ?? 'deactivated by an admin'))!);
  });

  app.post<{ Params: { id: string } }>('/subscribers/:id/rotate-secret', async (request) => {
    await findSubscriber(repos, request.params.id);
    const input = parseWith(
      z.object({ secret: z.string().min(16).max(512).optional(), grace_seconds: z.number().int().min(0).max(30 * 86400).optional() }),
      request.body,
    );
    const graceMs = input.grace_seconds !== undefined ? input.grace_seconds * 1000 : opts.secretGraceMs;
    const rotated = await repos.subscribers.rotateSecret(request.params.id, input.secret ?? generateSecret(), graceMs);
    return presentSubscriber(rotated!, true);
  });

  app.post<{ Params: { id: string } }>('/subscribers/:id/test', async (request, reply) => {
    await findSubscriber(repos, request.params.id);
    const input = parseWith(
      z.object({ event: z.string().min(1).max(200).default('webhook.test'), data: z.record(z.string(), z.unknown()).optional() }),
      request.body,
    );
    const sent = await opts.control.sendTest(request.params.id, {
      type: input.event,
      externalId: `test-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`,
      data: input.data ?? { test: true },
    });
    return reply.code(202).send(sent);
  });
}

export async function findSubscriber(repos: Repositories, id: string): Promise<Subscriber> {
  const s = z.uuid().safeParse(id).success ? await repos.subscribers.get(id) : undefined;
  if (!s) throw notFound(`subscriber ${id}`);
  return s;
}

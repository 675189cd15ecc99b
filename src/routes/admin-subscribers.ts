import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Repositories } from '../db/repositories';
import type { Subscriber } from '../db/subscriber-repository';
import { isValidPattern } from '../domain/event-pattern';
import { generateSigningKey, isSigningKey, publicKeyOf, SIGNATURE_VERSIONS, signingKeysAt } from '../domain/signature';
import { notFound } from '../errors';
import type { TransformRegistry } from '../transforms/registry';
import type { DeliveryControl } from '../deliveries/delivery-control';
import { parseWith } from './validation';

export interface SubscriberRouteOptions {
  repos: Repositories;
  transforms: TransformRegistry;
  secretGraceMs: number;
  control: DeliveryControl;
}

/** A Standard Webhooks style secret: `whsec_` + base64 of 32 random bytes. */
export function generateSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

const pattern = z.string().refine(isValidPattern, 'must be an event name, a prefix wildcard such as order.*, or *');

const signingKey = z.string().max(200).refine(isSigningKey, 'must be whsk_ followed by base64 of a 32-byte ed25519 seed');

export function subscriberBody(transforms: TransformRegistry) {
  return z.object({
    url: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }),
    events: z.array(pattern).min(1, 'must name at least one event pattern'),
    name: z.string().max(200).optional(),
    description: z.string().max(2000).optional(),
    client_id: z.uuid().optional(),
    secret: z.string().min(16, 'must be at least 16 characters').max(512).optional(),
    active: z.boolean().optional(),
    signature_version: z.enum(SIGNATURE_VERSIONS).optional(),
    /** An ed25519 key of your own for v1a signatures; one is generated when omitted. */
    signing_key: signingKey.optional(),
    transform: z
      .string()
      .refine((t) => transforms.has(t), `must be a registered transform (${transforms.names().join(', ')})`)
      .nullable()
      .optional(),
    headers: z.record(z.string().regex(/^[A-Za-z0-9-]+$/, 'header names are letters, digits and dashes'), z.string().max(1000)).optional(),
  });
}

/** The public view of a subscriber: the secret and the signing key are never echoed back. */
export function presentSubscriber(s: Subscriber, revealSecret = false) {
  const signing = signingKeysAt(s, new Date());
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
    secret: revealSecret ? s.secret : `${s.secret.slice(0, 9)}…`,
    previous_secret_expires_at: s.previousSecretExpiresAt,
    // v1a: receivers verify with the public key; the signing key is shown like the secret.
    public_key: s.signingKey ? publicKeyOf(s.signingKey) : null,
    signing_key: s.signingKey ? (revealSecret ? s.signingKey : `${s.signingKey.slice(0, 9)}…`) : null,
    previous_public_key: signing[1] ? publicKeyOf(signing[1]) : null,
    previous_signing_key_expires_at: signing[1] ? s.previousSigningKeyExpiresAt : null,
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
      signingKey: input.signing_key ?? generateSigningKey(),
      active: input.active ?? true,
      signatureVersion: input.signature_version ?? 'both',
      transform: input.transform ?? null,
      headers: input.headers ?? {},
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

  const patch = body.partial().omit({ secret: true, signing_key: true });
  app.patch<{ Params: { id: string } }>('/subscribers/:id', async (request) => {
    const current = await findSubscriber(repos, request.params.id);
    const input = parseWith(patch, request.body);
    const updated = await repos.subscribers.update(request.params.id, {
      ...(input.url !== undefined ? { url: input.url } : {}),
      ...(input.events !== undefined ? { events: input.events } : {}),
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(input.description !== undefined ? { description: input.description } : {}),
      ...(input.client_id !== undefined ? { clientId: input.client_id } : {}),
      ...(input.active !== undefined ? { active: input.active, disabledReason: input.active ? null : 'deactivated by an admin' } : {}),
      ...(input.signature_version !== undefined ? { signatureVersion: input.signature_version } : {}),
      // Subscribers created before v1a existed get their key pair when they first need it.
      ...(current.signingKey === null ? { signingKey: generateSigningKey() } : {}),
      ...(input.transform !== undefined ? { transform: input.transform } : {}),
      ...(input.headers !== undefined ? { headers: input.headers } : {}),
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

  app.post<{ Params: { id: string } }>('/subscribers/:id/rotate-signing-key', async (request) => {
    await findSubscriber(repos, request.params.id);
    const input = parseWith(
      z.object({ signing_key: signingKey.optional(), grace_seconds: z.number().int().min(0).max(30 * 86400).optional() }),
      request.body ?? {},
    );
    const graceMs = input.grace_seconds !== undefined ? input.grace_seconds * 1000 : opts.secretGraceMs;
    const rotated = await repos.subscribers.rotateSigningKey(request.params.id, input.signing_key ?? generateSigningKey(), graceMs);
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

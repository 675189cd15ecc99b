import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { EventSink } from '../../activities/deps';
import { reenableSubscriber } from '../protection/health-events';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Repositories } from '../db/repositories';
import type { Subscriber } from '../db/subscriber-repository';
import { isValidPattern } from '../domain/event-pattern';
import { eventTypeProblem } from '../domain/event-type';
import { ORDERING_ON_DEAD } from '../domain/ordering-key';
import { maskSecret, secretProblem } from '../domain/secret-mask';
import { generateSigningKey, isSigningKey, publicKeyOf, SIGNATURE_VERSIONS, signingKeysAt } from '../domain/signature';
import { notFound } from '../errors';
import type { TransformRegistry } from '../transforms/registry';
import type { DeliveryControl } from '../deliveries/delivery-control';

export interface SubscriberRouteOptions {
  repos: Repositories;
  transforms: TransformRegistry;
  secretGraceMs: number;
  control: DeliveryControl;
  /** The signature versions a new subscriber gets when it names none (WEBHOOK_SIGNATURE_VERSIONS). */
  defaultSignatureVersion?: 'v1' | 'v2' | 'both';
  /** Records `webhook.subscriber.recovered` when activating ends a disabled or open state. */
  events?: EventSink | null;
  onError?: (err: unknown) => void;
}

/** A Standard Webhooks style secret: `whsec_` + base64 of 32 random bytes. */
export function generateSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

const pattern = z.string().refine(isValidPattern, 'must be an event name, a prefix wildcard such as order.*, or *');

/** A secret we sign with: 16 to 512 characters, not blank, not padded with whitespace. */
const signingSecret = z
  .string()
  .min(16, 'must be at least 16 characters')
  .max(512)
  .superRefine((value, ctx) => {
    const problem = secretProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

/** A target URL: http(s), and no userinfo (a password in a URL ends up in logs and screens). */
const targetUrl = z
  .url({ protocol: /^https?$/, message: 'must be an http(s) URL' })
 // zod runs this after a failed URL check too: a string that is no URL is not this rule's to refuse.
  .refine((url) => {
    const u = URL.canParse(url) ? new URL(url) : null;
    return !u || (u.username === '' && u.password === '');
  }, 'must not hold userinfo (name:secret@ before the host); send credentials in a header, which is masked');

const signingKey = z.string().max(200).refine(isSigningKey, 'must be whsk_ followed by base64 of a 32-byte ed25519 seed');

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
    url: targetUrl,
    events: z.array(pattern).min(1, 'must name at least one event pattern'),
    name: z.string().max(200).optional(),
    description: z.string().max(2000).optional(),
    client_id: z.uuid().optional(),
    secret: signingSecret.optional(),
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
    max_in_flight: maxInFlight.nullable().optional(),
    rate_limit: rateLimit.nullable().optional(),
    /** Events with an ordering key reach this subscriber one after another per key. */
    ordered_delivery: z.boolean().optional(),
    /** What a keyed delivery that ends dead does to its key (ordered_delivery only). */
    ordering_on_dead: z.enum(ORDERING_ON_DEAD).optional(),
  });
}

function rateLimitColumns(limit: { per_second: number; burst?: number } | null) {
  return { rateLimitPerSecond: limit?.per_second ?? null, rateLimitBurst: limit ? (limit.burst ?? 1) : null };
}

/** Header values as shown after create: each masked like a secret, since they usually authenticate us. */
const maskedHeaders = (headers: Record<string, string>) => Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, maskSecret(value)]));

/**
 * Headers from a PATCH: a value sent back exactly as its mask (a form that round-trips what it
 * was shown) keeps the stored value.
 */
function mergeHeaders(sent: Record<string, string>, current: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(sent).map(([name, value]) => {
      const stored = current[name];
      return [name, stored !== undefined && value === maskSecret(stored) ? stored : value];
    }),
  );
}

/**
 * The public view of a subscriber. The secret and the header values are shown in full only
 * when just created (`reveal`); rotate-secret reveals the new secret only.
 */
export function presentSubscriber(s: Subscriber, reveal: 'all' | 'secret' | 'none' = 'none') {
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
    headers: reveal === 'all' ? s.headers : maskedHeaders(s.headers),
    disabled_reason: s.disabledReason,
    max_in_flight: s.maxInFlight,
    rate_limit: s.rateLimitPerSecond === null ? null : { per_second: s.rateLimitPerSecond, burst: s.rateLimitBurst ?? 1 },
    ordered_delivery: s.orderedDelivery,
    ordering_on_dead: s.orderingOnDead,
    secret: reveal === 'none' ? maskSecret(s.secret) : s.secret,
    previous_secret_expires_at: s.previousSecretExpiresAt,
    // v1a: receivers verify with the public key; the signing key is shown like the secret.
    public_key: s.signingKey ? publicKeyOf(s.signingKey) : null,
    signing_key: s.signingKey ? (reveal === 'none' ? maskSecret(s.signingKey) : s.signingKey) : null,
    previous_public_key: signing[1] ? publicKeyOf(signing[1]) : null,
    previous_signing_key_expires_at: signing[1] ? s.previousSigningKeyExpiresAt : null,
    created_at: s.createdAt,
    updated_at: s.updatedAt,
  };
}

const idParams = z.object({ id: z.string() });
const listQuery = z.object({
  active: z.enum(['true', 'false']).optional(),
  event: z.string().optional(),
  search: z.string().max(200).optional().describe('Name, description, URL, id or event pattern containing this, whatever the case'),
});
const deactivateBody = z.object({ reason: z.string().max(500).optional() });
const rotateBody = z.object({ secret: signingSecret.optional(), grace_seconds: z.number().int().min(0).max(30 * 86400).optional() });
const rotateKeyBody = z.object({ signing_key: signingKey.optional(), grace_seconds: z.number().int().min(0).max(30 * 86400).optional() });
const testBody = z.object({
  event: z
    .string()
    .default('webhook.test')
    .superRefine((value, ctx) => {
      const problem = eventTypeProblem(value);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
  data: z.record(z.string(), z.unknown()).optional(),
});
const healthQuery = z.object({ hours: z.coerce.number().int().min(1).max(720).default(24).describe('The window of the recent success rate') });
const tags = ['subscribers'];
const HOUR_MS = 3_600_000;
/** The window of the health summary in the subscriber list. */
const SUMMARY_HOURS = 24;

export default async function adminSubscriberRoutes(fastify: FastifyInstance, opts: SubscriberRouteOptions) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const { repos } = opts;
  const body = subscriberBody(opts.transforms);

  app.post('/subscribers', { schema: { tags, summary: 'Create a subscriber; the answer shows its secret once', body } }, async (request, reply) => {
    const input = request.body;
    const created = await repos.subscribers.create({
      url: input.url,
      events: input.events,
      name: input.name,
      description: input.description,
      clientId: input.client_id,
      secret: input.secret ?? generateSecret(),
      signingKey: input.signing_key ?? generateSigningKey(),
      active: input.active ?? true,
      signatureVersion: input.signature_version ?? opts.defaultSignatureVersion ?? 'both',
      transform: input.transform ?? null,
      headers: input.headers ?? {},
      maxInFlight: input.max_in_flight ?? null,
      ...rateLimitColumns(input.rate_limit ?? null),
      orderedDelivery: input.ordered_delivery ?? false,
      orderingOnDead: input.ordering_on_dead ?? 'block',
    });
    return reply.code(201).send(presentSubscriber(created, 'all'));
  });

  app.get('/subscribers', { schema: { tags, summary: 'List subscribers', querystring: listQuery } }, async (request) => {
    const q = request.query;
    const rows = await repos.subscribers.list({ active: q.active === undefined ? undefined : q.active === 'true', event: q.event, search: q.search?.trim() || undefined });
    const ids = rows.map((s) => s.id);
    const [recent, circuits] = await Promise.all([repos.health.recentCounts(ids, new Date(Date.now() - SUMMARY_HOURS * HOUR_MS)), repos.protection.circuit.summaries(ids)]);
    return {
      data: rows.map((s) => {
        const c = recent.get(s.id) ?? { attempts: 0, succeeded: 0 };
        const circuit = circuits.get(s.id) ?? null;
        return { ...presentSubscriber(s), health: { hours: SUMMARY_HOURS, attempts: c.attempts, success_rate: successRate(c), circuit: circuit?.state ?? 'closed', effective_max_in_flight: circuit?.effectiveInFlight ?? null } };
      }),
    };
  });

  app.get('/subscribers/:id', { schema: { tags, summary: 'Get a subscriber (secret masked)', params: idParams } }, async (request) => {
    const s = await findSubscriber(repos, request.params.id);
    return presentSubscriber(s);
  });

  app.get(
    '/subscribers/:id/health',
    {
      schema: {
        tags,
        summary: "The endpoint's health: recent success rate, last failure, failures in a row, and why it was disabled",
        params: idParams,
        querystring: healthQuery,
      },
    },
    async (request) => {
      const s = await findSubscriber(repos, request.params.id);
      const to = new Date();
      const from = new Date(to.getTime() - request.query.hours * HOUR_MS);
      const h = await repos.health.health(s.id, from);
      const failure = h.lastFailure;
      return {
        subscriber_id: s.id,
        active: s.active,
        disabled_reason: s.disabledReason,
        window: { hours: request.query.hours, from, to },
        attempts: h.attempts,
        succeeded: h.succeeded,
        failed: h.attempts - h.succeeded,
        success_rate: successRate(h),
        consecutive_failures: h.consecutiveFailures,
        last_success_at: h.lastSuccessAt,
        last_failure_at: failure?.at ?? null,
        last_failure: failure ? { at: failure.at, outcome: failure.outcome, response_code: failure.responseCode, error: failure.error } : null,
      };
    },
  );

  const patch = body.partial().omit({ secret: true, signing_key: true });
  app.patch('/subscribers/:id', { schema: { tags, summary: 'Update a subscriber', params: idParams, body: patch } }, async (request) => {
    const current = await findSubscriber(repos, request.params.id);
    const input = request.body;
    const updated = await repos.subscribers.update(request.params.id, {
      ...(input.url !== undefined ? { url: input.url } : {}),
      ...(input.events !== undefined ? { events: input.events } : {}),
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(input.description !== undefined ? { description: input.description } : {}),
      ...(input.client_id !== undefined ? { clientId: input.client_id } : {}),
      // Activating is reenableSubscriber's (below), which also closes the circuit.
      ...(input.active === false ? { active: false, disabledReason: 'deactivated by an admin' } : {}),
      ...(input.signature_version !== undefined ? { signatureVersion: input.signature_version } : {}),
      // Subscribers created before v1a existed get their key pair when they first need it.
      ...(current.signingKey === null ? { signingKey: generateSigningKey() } : {}),
      ...(input.transform !== undefined ? { transform: input.transform } : {}),
      ...(input.headers !== undefined ? { headers: mergeHeaders(input.headers, current.headers) } : {}),
      ...(input.max_in_flight !== undefined ? { maxInFlight: input.max_in_flight } : {}),
      ...(input.rate_limit !== undefined ? rateLimitColumns(input.rate_limit) : {}),
      ...(input.ordered_delivery !== undefined ? { orderedDelivery: input.ordered_delivery } : {}),
      ...(input.ordering_on_dead !== undefined ? { orderingOnDead: input.ordering_on_dead } : {}),
    });
    // Activating is re-enabling: the circuit closes too (src/protection/health-events.ts).
    if (input.active === true) return presentSubscriber((await reenableSubscriber(opts, request.params.id, 're-activated by an operator'))!);
    return presentSubscriber(updated!);
  });

  app.delete('/subscribers/:id', { schema: { tags, summary: 'Delete a subscriber', params: idParams } }, async (request, reply) => {
    await findSubscriber(repos, request.params.id);
    await repos.subscribers.remove(request.params.id);
    return reply.code(204).send();
  });

  app.post('/subscribers/:id/activate', { schema: { tags, summary: 'Activate a subscriber', params: idParams } }, async (request) => {
    await findSubscriber(repos, request.params.id);
    return presentSubscriber((await reenableSubscriber(opts, request.params.id, 're-activated by an operator'))!);
  });

  app.post('/subscribers/:id/deactivate', { schema: { tags, summary: 'Deactivate a subscriber', params: idParams, body: deactivateBody } }, async (request) => {
    await findSubscriber(repos, request.params.id);
    return presentSubscriber((await repos.subscribers.setActive(request.params.id, false, request.body.reason ?? 'deactivated by an admin'))!);
  });

  app.post('/subscribers/:id/rotate-secret', { schema: { tags, summary: 'Rotate the secret; the answer shows the new one once', params: idParams, body: rotateBody } }, async (request) => {
    await findSubscriber(repos, request.params.id);
    const input = request.body;
    const graceMs = input.grace_seconds !== undefined ? input.grace_seconds * 1000 : opts.secretGraceMs;
    const rotated = await repos.subscribers.rotateSecret(request.params.id, input.secret ?? generateSecret(), graceMs);
    return presentSubscriber(rotated!, 'secret');
  });

  app.post('/subscribers/:id/rotate-signing-key', { schema: { tags, summary: 'Rotate the v1a signing key; the answer shows the new one once', params: idParams, body: rotateKeyBody } }, async (request) => {
    await findSubscriber(repos, request.params.id);
    const input = request.body;
    const graceMs = input.grace_seconds !== undefined ? input.grace_seconds * 1000 : opts.secretGraceMs;
    const rotated = await repos.subscribers.rotateSigningKey(request.params.id, input.signing_key ?? generateSigningKey(), graceMs);
    return presentSubscriber(rotated!, 'secret');
  });

  app.post('/subscribers/:id/test', { schema: { tags, summary: 'Send a signed test event to this subscriber only', params: idParams, body: testBody } }, async (request, reply) => {
    await findSubscriber(repos, request.params.id);
    const input = request.body;
    const sent = await opts.control.sendTest(request.params.id, {
      type: input.event,
      externalId: `test-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`,
      data: input.data ?? { test: true },
    });
    return reply.code(202).send(sent);
  });
}

const successRate = (c: { attempts: number; succeeded: number }) => (c.attempts > 0 ? Math.round((c.succeeded / c.attempts) * 10_000) / 10_000 : null);

export async function findSubscriber(repos: Repositories, id: string): Promise<Subscriber> {
  const s = z.uuid().safeParse(id).success ? await repos.subscribers.get(id) : undefined;
  if (!s) throw notFound(`subscriber ${id}`);
  return s;
}

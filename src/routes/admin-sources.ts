import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Repositories } from '../db/repositories';
import type { SourceVerifier } from '../db/schema';
import type { Source } from '../db/source-repository';
import { INTERNAL_SOURCE } from '../domain/internal-events';
import { jsonPointerProblem } from '../domain/json-pointer';
import { maskSecret, secretProblem } from '../domain/secret-mask';
import { standardWebhooksKey } from '../domain/signature';
import { HttpError, notFound } from '../errors';
import type { AsnTable } from '../inbound/asn-table';
import { DEFAULT_SOURCE } from '../inbound/inbound-source';
import { createIpWhitelist } from '../inbound/ip-whitelist';
import { VERIFIER_NAMES } from '../inbound/verifiers';
import { fieldError } from './validation';

export interface SourceRouteOptions {
  repos: Repositories;
  asnTable: AsnTable | null;
}

// Event keys are (source, id): the unnamed gateway, the admin API and the platform's own events
// (dead letters) own these names.
const RESERVED = new Set([DEFAULT_SOURCE, 'api', INTERNAL_SOURCE]);

const notBlank = (value: string, ctx: z.RefinementCtx) => {
  const problem = secretProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
};
const secret = z.string().min(8, 'must be at least 8 characters').max(512).superRefine(notBlank);
const fields = {
  verifier: z.enum(VERIFIER_NAMES),
  secrets: z.array(secret).min(1, 'must hold at least one secret').max(5, 'holds at most 5 secrets (the current ones during a rotation)'),
  verify_token: z.string().min(8, 'must be at least 8 characters').max(256).superRefine(notBlank).nullable(),
  ip_whitelist: z.array(z.string().max(100)).max(1000),
  max_clock_skew: z.number().int().min(0).max(86_400).nullable(),
  /** A JSON pointer into the body whose value is each event's ordering key (for example /data/customer_id). */
  ordering_key_pointer: z
    .string()
    .superRefine((value, ctx) => {
      const problem = jsonPointerProblem(value);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .nullable(),
  active: z.boolean(),
};
const createBody = z.object({
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'must be 1 to 63 lowercase letters, digits, - or _, starting with a letter or digit')
    .refine((n) => !RESERVED.has(n), `"${[...RESERVED].join('" and "')}" are reserved`),
  ...fields,
  secrets: fields.secrets.optional(),
  verify_token: fields.verify_token.optional(),
  ip_whitelist: fields.ip_whitelist.optional(),
  max_clock_skew: fields.max_clock_skew.optional(),
  ordering_key_pointer: fields.ordering_key_pointer.optional(),
  active: fields.active.optional(),
});
const updateBody = z.object(fields).partial();

const mask = maskSecret;

/** The public view of a source: secrets and the verify token only in full when just created. */
export function presentSource(s: Source, revealSecrets = false) {
  return {
    name: s.name,
    verifier: s.verifier,
    secrets: revealSecrets ? s.secrets : s.secrets.map(mask),
    verify_token: s.verifyToken === null ? null : revealSecrets ? s.verifyToken : mask(s.verifyToken),
    ip_whitelist: s.ipWhitelist,
    max_clock_skew: s.maxClockSkew,
    ordering_key_pointer: s.orderingKeyPointer,
    active: s.active,
    created_at: s.createdAt,
    updated_at: s.updatedAt,
  };
}

/** Named inbound sources (SPEC S3): `/admin/api/sources`. */
const nameParams = z.object({ name: z.string() });
const tags = ['sources'];

export default async function adminSourceRoutes(fastify: FastifyInstance, { repos, asnTable }: SourceRouteOptions) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  app.post('/sources', { schema: { tags, summary: 'Create a named inbound source; the answer shows its secrets once', body: createBody } }, async (request, reply) => {
    const input = request.body;
    const secrets = input.secrets ?? generatedSecrets(input.verifier);
    const verifyToken = input.verify_token ?? null;
    checkSource({ verifier: input.verifier, secrets, verifyToken, ipWhitelist: input.ip_whitelist ?? [] }, asnTable);
    const created = await repos.sources.create({
      name: input.name,
      verifier: input.verifier,
      secrets,
      verifyToken,
      ipWhitelist: input.ip_whitelist ?? [],
      maxClockSkew: input.max_clock_skew ?? null,
      orderingKeyPointer: input.ordering_key_pointer ?? null,
      active: input.active ?? true,
    });
    if (!created) throw new HttpError(409, 'conflict', `a source named "${input.name}" exists; update it with PATCH /admin/api/sources/${input.name}`);
    return reply.code(201).send(presentSource(created, true));
  });

  app.get('/sources', { schema: { tags, summary: 'List inbound sources (secrets masked)' } }, async () => ({ data: (await repos.sources.list()).map((s) => presentSource(s)) }));

  app.get('/sources/:name', { schema: { tags, summary: 'Get an inbound source (secrets masked)', params: nameParams } }, async (request) => presentSource(await findSource(repos, request.params.name)));

  app.patch('/sources/:name', { schema: { tags, summary: 'Update an inbound source', params: nameParams, body: updateBody } }, async (request) => {
    const current = await findSource(repos, request.params.name);
    const input = request.body;
    const next = {
      verifier: input.verifier ?? current.verifier,
      secrets: input.secrets ?? current.secrets,
      verifyToken: input.verify_token === undefined ? current.verifyToken : input.verify_token,
      ipWhitelist: input.ip_whitelist ?? current.ipWhitelist,
    };
    checkSource(next, asnTable);
    const updated = await repos.sources.update(current.name, {
      ...next,
      maxClockSkew: input.max_clock_skew === undefined ? current.maxClockSkew : input.max_clock_skew,
      orderingKeyPointer: input.ordering_key_pointer === undefined ? current.orderingKeyPointer : input.ordering_key_pointer,
      active: input.active ?? current.active,
    });
    if (!updated) throw notFound(`source ${current.name}`);
    return presentSource(updated);
  });

  app.delete('/sources/:name', { schema: { tags, summary: 'Delete an inbound source', params: nameParams } }, async (request, reply) => {
    if (!(await repos.sources.remove(request.params.name))) throw notFound(`source ${request.params.name}`);
    return reply.code(204).send();
  });
}

async function findSource(repos: Repositories, name: string): Promise<Source> {
  const source = await repos.sources.get(name);
  if (!source) throw notFound(`source ${name}`);
  return source;
}

/** A secret for the schemes whose secret we may choose; Meta and Stripe issue their own. */
function generatedSecrets(verifier: SourceVerifier): string[] {
  if (verifier === 'meta' || verifier === 'stripe') {
    throw fieldError('secrets', verifier === 'meta' ? 'must hold the Meta app secret' : "must hold the Stripe endpoint's signing secret (whsec_...)");
  }
  return [verifier === 'standard-webhooks' ? `whsec_${randomBytes(32).toString('base64')}` : randomBytes(32).toString('hex')];
}

/** The checks that span fields: secret formats, the Meta verify token, and whitelist entries. */
function checkSource(s: { verifier: SourceVerifier; secrets: string[]; verifyToken: string | null; ipWhitelist: string[] }, asnTable: AsnTable | null) {
  if (s.verifier === 'standard-webhooks') {
    s.secrets.forEach((value, i) => {
      if (!/^(whsec_)?[A-Za-z0-9+/]+={0,2}$/.test(value) || standardWebhooksKey(value).length < 16) {
        throw fieldError(`secrets.${i}`, 'must be whsec_ followed by the base64 of at least 16 bytes');
      }
    });
  }
  if (s.verifier === 'meta' && !s.verifyToken) throw fieldError('verify_token', 'is required for a meta source: Meta sends it in the GET hub.challenge handshake');
  try {
    createIpWhitelist(s.ipWhitelist, asnTable);
  } catch (err) {
    throw fieldError('ip_whitelist', (err as Error).message);
  }
}

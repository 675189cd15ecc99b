import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ReplayJob } from '../db/replay-job-repository';
import type { Repositories } from '../db/repositories';
import type { ReplayJobFilter } from '../db/schema';
import { HttpError, notFound } from '../errors';
import { decodeCursor, toPage } from './cursor';
import { instant } from './validation';

export interface ReplayRouteOptions {
  repos: Repositories;
}

/** A replay job as the API shows it; a list shows how many ids a job names, not each one (up to 10,000). */
export function presentReplayJob(job: ReplayJob, withIds = true) {
  const f = job.filter;
  return {
    id: job.id,
    status: job.status,
    filter: 'ids' in f ? { ...(withIds ? { ids: f.ids } : {}), ids_count: f.ids.length } : { subscriber_id: f.subscriberId ?? null, event: f.event ?? null, status: f.status, from: f.from ?? null, to: f.to ?? null },
    total: job.total,
    processed: job.processed,
    replayed: job.replayed,
    skipped: job.skipped,
    error: job.error,
    created_at: job.createdAt,
    updated_at: job.updatedAt,
    completed_at: job.completedAt,
  };
}

export const replayFilter = z
  .object({
    subscriber_id: z.uuid().optional(),
    event: z.string().min(1).max(200).optional(),
    status: z.enum(['dead', 'failed']).default('dead').describe('Only dead or failed deliveries can be replayed'),
    from: instant.optional().describe('Deliveries created at or after'),
    to: instant.optional().describe('Deliveries created at or before'),
  })
  .refine((f) => !f.from || !f.to || f.from <= f.to, { message: 'must not be after to', path: ['from'] });

const createBody = z
  .object({
    ids: z.array(z.string().min(1).max(300)).min(1).max(10_000).optional(),
    filter: replayFilter.optional(),
    dry_run: z.boolean().default(false).describe('Count what the replay would cover; start nothing'),
  })
  .refine((b) => (b.ids === undefined) !== (b.filter === undefined), { message: 'send either ids or filter', path: ['filter'] });

export type ReplayFilterInput = z.output<typeof replayFilter>;

/** The stored form of a filter: ISO times, camelCase keys. */
export function toJobFilter(f: ReplayFilterInput): ReplayJobFilter {
  return { subscriberId: f.subscriber_id, event: f.event, status: f.status, from: f.from?.toISOString(), to: f.to?.toISOString() };
}

/**
 * Creates a replay job over what the filter matches now (or over the listed ids, each of which it
 * will process); the runner replays it in the background.
 */
export async function startReplayJob(repos: Repositories, filter: ReplayJobFilter): Promise<ReplayJob> {
  const total = 'ids' in filter ? filter.ids.length : await repos.replayJobs.countMatching(filter);
  return repos.replayJobs.create(filter, total);
}

const idParams = z.object({ id: z.string() });
const listQuery = z.object({ cursor: z.string().optional(), limit: z.coerce.number().int().min(1).max(500).default(50) });
const tags = ['replays'];

/** Bulk replay jobs (issue 12): created here, run by src/replays/replay-runner.ts. */
export default async function adminReplayRoutes(fastify: FastifyInstance, { repos }: ReplayRouteOptions) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();

  async function findJob(id: string): Promise<ReplayJob> {
    const job = z.uuid().safeParse(id).success ? await repos.replayJobs.get(id) : undefined;
    if (!job) throw notFound(`replay job ${id}`);
    return job;
  }

  app.post(
    '/replays',
    { schema: { tags, summary: 'Replay the listed deliveries, or every dead delivery a filter matches, as a background job', body: createBody } },
    async (request, reply) => {
      const { ids, filter, dry_run } = request.body;
      const jobFilter: ReplayJobFilter = ids ? { ids: [...new Set(ids)] } : toJobFilter(filter!);
      if (dry_run) return reply.code(200).send({ matched: await repos.replayJobs.countMatching(jobFilter) });
      return reply.code(202).send(presentReplayJob(await startReplayJob(repos, jobFilter)));
    },
  );

  app.get('/replays', { schema: { tags, summary: 'List replay jobs, newest first', querystring: listQuery } }, async (request) => {
    const q = request.query;
    const rows = await repos.replayJobs.list({ cursor: q.cursor ? decodeCursor(q.cursor) : undefined, limit: q.limit + 1 });
    return toPage(rows, q.limit, (j) => ({ at: j.createdAt, id: j.id }), (j) => presentReplayJob(j, false));
  });

  app.get('/replays/:id', { schema: { tags, summary: "A replay job's progress", params: idParams } }, async (request) =>
    presentReplayJob(await findJob(request.params.id)),
  );

  app.post('/replays/:id/cancel', { schema: { tags, summary: 'Cancel a running replay job; the batch in flight finishes', params: idParams } }, async (request) => {
    const job = await findJob(request.params.id);
    const cancelled = await repos.replayJobs.cancel(job.id);
    if (!cancelled) throw new HttpError(409, 'not_running', `replay job ${job.id} is ${job.status}; only a running job can be cancelled`);
    return presentReplayJob(cancelled);
  });
}

import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Repositories } from '../db/repositories';
import type { EventSink } from '../../activities/deps';
import { reenableSubscriber } from '../protection/health-events';
import { findSubscriber, presentSubscriber } from './admin-subscribers';
import { presentReplayJob, startReplayJob } from './admin-replays';

// Endpoint protection as operators see it: GET /admin/api/subscribers/:id/protection, and
// POST /admin/api/subscribers/:id/enable, which re-enables a disabled subscriber and, in the same
// action, replays what was held for it as a background job.

export interface ProtectionRouteOptions {
  repos: Repositories;
  /** max_in_flight of a subscriber that sets none (WEBHOOK_ENDPOINT_CONCURRENCY). */
  defaultMaxInFlight: number;
  /** Records `webhook.subscriber.recovered` when re-enabling ends a disabled or open state. */
  events?: EventSink | null;
  onError?: (err: unknown) => void;
}

const idParams = z.object({ id: z.string() });
const enableBody = z
  .object({ replay_held: z.boolean().default(false).describe('Replay every held delivery of the subscriber as a background job') })
  .strict()
  .default({ replay_held: false });

export default async function adminProtectionRoutes(fastify: FastifyInstance, opts: ProtectionRouteOptions) {
  const { repos } = opts;
  const app = fastify.withTypeProvider<ZodTypeProvider>();

  app.get<{ Params: { id: string } }>('/subscribers/:id/protection', async (request) => {
    const subscriber = await findSubscriber(repos, request.params.id);
    const [shared, circuit, backlog] = await Promise.all([
      repos.protection.state(subscriber.id),
      repos.protection.circuit.view(subscriber.id),
      repos.protection.circuit.backlog(subscriber.id),
    ]);
    const pausedUntil = shared?.pausedUntil && shared.pausedUntil.getTime() > Date.now() ? shared.pausedUntil : null;
    const open = circuit !== null && circuit.state !== 'closed';
    return {
      subscriber_id: subscriber.id,
      /** `disabled`, `circuit_open` (held; only probes go), `paused` (a Retry-After), or `normal`. */
      state: !subscriber.active ? 'disabled' : open ? 'circuit_open' : pausedUntil ? 'paused' : 'normal',
      /** healthy, degraded (its concurrency or rate lowered by overload), open or disabled: what `webhook.subscriber.*` told. */
      health: circuit?.health ?? 'healthy',
      disabled_reason: subscriber.active ? null : subscriber.disabledReason,
      max_in_flight: subscriber.maxInFlight ?? opts.defaultMaxInFlight,
      max_in_flight_source: subscriber.maxInFlight === null ? 'default' : 'subscriber',
      /** Lowered by 429/502/503/504 and timeouts (halved), raised back by successes (AIMD); 1 after the circuit closes (ramp-up). */
      effective_max_in_flight: Math.min(subscriber.maxInFlight ?? opts.defaultMaxInFlight, shared?.effectiveInFlight ?? Number.POSITIVE_INFINITY),
      rate_limit: subscriber.rateLimitPerSecond ? { per_second: subscriber.rateLimitPerSecond, burst: subscriber.rateLimitBurst ?? 1 } : null,
      /** The rate in force: rate_limit, halved by 429/502/503/504 and timeouts, raised back by successes (AIMD). */
      effective_rate_per_second: subscriber.rateLimitPerSecond ? Math.min(subscriber.rateLimitPerSecond, shared?.effectiveRatePerSecond ?? Number.POSITIVE_INFINITY) : null,
      in_flight: shared?.inFlight ?? 0,
      paused_until: pausedUntil,
      pause_reason: pausedUntil ? shared!.pauseReason : null,
      circuit: {
        state: circuit?.state ?? 'closed',
        opened_at: circuit?.openedAt ?? null,
        next_probe_at: open ? (circuit?.nextProbeAt ?? null) : null,
        probe_failures: circuit?.probeFailures ?? 0,
        first_failure_at: circuit?.firstFailureAt ?? null,
        last_error: circuit?.lastError ?? null,
      },
      /** Deliveries waiting (pending) and kept for replay (held) for this subscriber. */
      backlog: { pending: backlog.pending, held: backlog.held },
    };
  });

  app.post(
    '/subscribers/:id/enable',
    { schema: { tags: ['subscribers'], summary: 'Re-enable a subscriber (its circuit closes) and optionally replay its held deliveries as a background job', params: idParams, body: enableBody } },
    async (request) => {
      const subscriber = await findSubscriber(repos, request.params.id);
      const enabled = (await reenableSubscriber(opts, subscriber.id, 're-enabled by an operator'))!;
      const job = request.body.replay_held ? await startReplayJob(repos, { subscriberId: subscriber.id, status: 'held' }) : null;
      return { subscriber: presentSubscriber(enabled), replay_job: job ? presentReplayJob(job) : null };
    },
  );
}

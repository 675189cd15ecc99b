import type { FastifyInstance } from 'fastify';
import type { Repositories } from '../db/repositories';
import { findSubscriber } from './admin-subscribers';

// Endpoint protection as operators see it: GET /admin/api/subscribers/:id/protection.

export interface ProtectionRouteOptions {
  repos: Repositories;
  /** max_in_flight of a subscriber that sets none (WEBHOOK_ENDPOINT_CONCURRENCY). */
  defaultMaxInFlight: number;
}

export default async function adminProtectionRoutes(app: FastifyInstance, opts: ProtectionRouteOptions) {
  const { repos } = opts;

  app.get<{ Params: { id: string } }>('/subscribers/:id/protection', async (request) => {
    const subscriber = await findSubscriber(repos, request.params.id);
    const shared = await repos.protection.state(subscriber.id);
    const pausedUntil = shared?.pausedUntil && shared.pausedUntil.getTime() > Date.now() ? shared.pausedUntil : null;
    return {
      subscriber_id: subscriber.id,
      /** `paused`: a Retry-After holds every delivery until `paused_until`; `normal` otherwise. */
      state: !subscriber.active ? 'disabled' : pausedUntil ? 'paused' : 'normal',
      max_in_flight: subscriber.maxInFlight ?? opts.defaultMaxInFlight,
      max_in_flight_source: subscriber.maxInFlight === null ? 'default' : 'subscriber',
      /** Lowered by 429/502/503/504 and timeouts (halved), raised back by successes (AIMD). */
      effective_max_in_flight: Math.min(subscriber.maxInFlight ?? opts.defaultMaxInFlight, shared?.effectiveInFlight ?? Number.POSITIVE_INFINITY),
      in_flight: shared?.inFlight ?? 0,
      paused_until: pausedUntil,
      pause_reason: pausedUntil ? shared!.pauseReason : null,
    };
  });
}

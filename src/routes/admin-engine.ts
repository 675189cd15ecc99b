import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { QueueDriver } from '../engine/queue-driver';
import { parseWith } from './validation';

export interface EngineRouteOptions {
  driver: Pick<QueueDriver, 'name' | 'listInFlight'>;
}

const inFlightQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) });

/** What the delivery engine is running now, from the queue driver itself (not from the database's view). */
export default async function adminEngineRoutes(app: FastifyInstance, { driver }: EngineRouteOptions) {
  app.get('/in-flight', async (request) => {
    const { limit } = parseWith(inFlightQuery, request.query, 'query');
    const work = await driver.listInFlight(limit);
    return {
      driver: driver.name,
      data: work.map((w) => ({ workflow_id: w.workflowId, kind: w.kind, started_at: w.startedAt })),
    };
  });
}

import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { UnknownTransformError, deliveryEnvelope, type TransformRegistry } from '../transforms/registry';
import { parseWith } from './validation';

export interface TransformRouteOptions {
  transforms: TransformRegistry;
}

const previewBody = z.object({
  /** The transform to try; null previews the untransformed envelope. */
  transform: z.string().min(1).max(200).nullable(),
  event: z.string().trim().min(1).max(200),
  data: z.unknown().optional(),
  id: z.string().min(1).max(200).optional(),
  agent_id: z.string().max(200).nullable().optional(),
  /** Seconds since the epoch; now by default. */
  timestamp: z.number().int().min(0).optional(),
});

/** The transforms subscribers may name, and a preview of one on a sample event (nothing is sent or stored). */
export default async function adminTransformRoutes(app: FastifyInstance, { transforms }: TransformRouteOptions) {
  app.get('/transforms', async () => ({ transforms: transforms.names() }));

  app.post('/transforms/preview', async (request) => {
    const input = parseWith(previewBody, request.body);
    if (input.transform !== null && !transforms.has(input.transform)) throw new UnknownTransformError(input.transform, transforms.names());
    const about = { id: input.id ?? 'evt_preview', type: input.event, timestamp: input.timestamp ?? Math.floor(Date.now() / 1000), agentId: input.agent_id ?? null };
    // The same rendering a delivery's first attempt uses: 422 when the transform throws or returns no JSON.
    const body = transforms.render(input.transform, about, deliveryEnvelope(about, input.data ?? null));
    return { transform: input.transform, body: JSON.parse(body) as unknown, bytes: Buffer.byteLength(body) };
  });
}

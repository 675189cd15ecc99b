import { deliveryIdFor, deliveryWorkflowId } from '../src/domain/ids';
import { targetLabel } from '../src/domain/target-label';
import type { FanOutPage } from '../workflows/types';
import type { ActivityDeps } from './deps';

export interface PlanFanOutInput {
  eventId: string;
  eventType: string;
  cursor: string | null;
  limit: number;
}

export function createFanOutActivities({ repos, config, adminUrl }: ActivityDeps) {
  return {
    /** Loads one page of matching subscribers and creates their delivery rows. */
    async planFanOut(input: PlanFanOutInput): Promise<FanOutPage> {
      const page = await repos.subscribers.pageMatching(input.eventType, input.cursor, input.limit);
      const deliveries = page.map((s) => ({
        deliveryId: deliveryIdFor(input.eventId, s.id),
        subscriberId: s.id,
        target: targetLabel(s.url),
      }));
      await repos.deliveries.createMany(
        deliveries.map((d) => ({
          id: d.deliveryId,
          eventId: input.eventId,
          subscriberId: d.subscriberId,
          eventType: input.eventType,
          workflowId: deliveryWorkflowId(input.eventId, d.subscriberId),
        })),
      );
      return {
        deliveries,
        nextCursor: page.length === input.limit ? page[page.length - 1].id : null,
        retryDelaysMs: config.retryDelaysMs,
        adminUrl,
      };
    },
  };
}

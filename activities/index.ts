import type { ActivityDeps } from './deps';
import { createDeliveryActivities } from './deliver';
import { createFanOutActivities } from './fan-out';
import { createOrderedKeyActivities } from './ordered-key';
import { createRetentionActivities } from './retention';

/** The object the worker registers. Workflows proxy `ReturnType<typeof createActivities>`. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createFanOutActivities(deps),
    ...createDeliveryActivities(deps),
    ...createRetentionActivities(deps),
    ...createOrderedKeyActivities(deps),
  };
}

export type { ActivityDeps } from './deps';

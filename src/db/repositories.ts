import { createCancelRequestRepository } from './cancel-request-repository';
import type { Db } from './database';
import { createDeliveryRepository } from './delivery-repository';
import { createEventCatalogRepository } from './event-catalog-repository';
import { createEventRepository } from './event-repository';
import { createRetentionRepository } from '../retention/retention-repository';
import { createReplayJobRepository } from './replay-job-repository';
import { createOrderingRepository } from '../ordering/ordering-repository';
import { createProtectionRepository } from '../protection/protection-repository';
import { createSourceRepository } from './source-repository';
import { createStatsRepository } from './stats-repository';
import { createSubscriberHealthRepository } from './subscriber-health-repository';
import { createSubscriberRepository } from './subscriber-repository';

export function createRepositories(db: Db) {
  return {
    subscribers: createSubscriberRepository(db),
    events: createEventRepository(db),
    deliveries: createDeliveryRepository(db),
    sources: createSourceRepository(db),
    retention: createRetentionRepository(db),
    replayJobs: createReplayJobRepository(db),
    stats: createStatsRepository(db),
    health: createSubscriberHealthRepository(db),
    eventCatalog: createEventCatalogRepository(db),
    protection: createProtectionRepository(db),
    ordering: createOrderingRepository(db),
    cancelRequests: createCancelRequestRepository(db),
  };
}

export type Repositories = ReturnType<typeof createRepositories>;

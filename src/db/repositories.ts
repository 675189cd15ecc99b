import type { Db } from './database';
import { createDeliveryRepository } from './delivery-repository';
import { createEventRepository } from './event-repository';
import { createReplayJobRepository } from './replay-job-repository';
import { createSourceRepository } from './source-repository';
import { createStatsRepository } from './stats-repository';
import { createSubscriberRepository } from './subscriber-repository';

export function createRepositories(db: Db) {
  return {
    subscribers: createSubscriberRepository(db),
    events: createEventRepository(db),
    deliveries: createDeliveryRepository(db),
    sources: createSourceRepository(db),
    replayJobs: createReplayJobRepository(db),
    stats: createStatsRepository(db),
  };
}

export type Repositories = ReturnType<typeof createRepositories>;

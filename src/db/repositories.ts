import type { Db } from './database';
import { createDeliveryRepository } from './delivery-repository';
import { createEventRepository } from './event-repository';
import { createRetentionRepository } from '../retention/retention-repository';
import { createSourceRepository } from './source-repository';
import { createSubscriberRepository } from './subscriber-repository';

export function createRepositories(db: Db) {
  return {
    subscribers: createSubscriberRepository(db),
    events: createEventRepository(db),
    deliveries: createDeliveryRepository(db),
    sources: createSourceRepository(db),
    retention: createRetentionRepository(db),
  };
}

export type Repositories = ReturnType<typeof createRepositories>;

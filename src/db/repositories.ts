import type { Db } from './database';
import { createDeliveryRepository } from './delivery-repository';
import { createEventRepository } from './event-repository';
import { createProtectionRepository } from '../protection/protection-repository';
import { createSourceRepository } from './source-repository';
import { createSubscriberRepository } from './subscriber-repository';

export function createRepositories(db: Db) {
  return {
    subscribers: createSubscriberRepository(db),
    events: createEventRepository(db),
    deliveries: createDeliveryRepository(db),
    sources: createSourceRepository(db),
    protection: createProtectionRepository(db),
  };
}

export type Repositories = ReturnType<typeof createRepositories>;

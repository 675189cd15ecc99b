import type { AttemptRecord } from '../src/db/delivery-repository';
import type { Repositories } from '../src/db/repositories';
import { createBatchedWriter } from '../src/db/batched-writer';
import type { DeliveryMetrics } from './deps';

/** Persists attempts and counts them. Concurrent records share a transaction; a failed batch is retried row by row. */
export interface AttemptRecorder {
  record(record: AttemptRecord): Promise<void>;
}

export function createAttemptRecorder(repos: Pick<Repositories, 'deliveries'>, metrics?: DeliveryMetrics): AttemptRecorder {
  const writer = createBatchedWriter<AttemptRecord, void>({
    writeMany: async (records) => {
      await repos.deliveries.recordAttempts(records);
      return records.map(() => undefined);
    },
    writeOne: (record) => repos.deliveries.recordAttempts([record]),
    maxBatch: 100,
  });
  return {
    async record(record) {
      await writer.write(record);
      const { log, update } = record;
      metrics?.attempt({ eventType: log.event, attempt: log.attempts, durationMs: log.durationMs ?? 0, outcome: log.outcome });
      if (update.status === 'succeeded' || update.status === 'failed') metrics?.deliveryFinished({ eventType: log.event, status: update.status });
    },
  };
}

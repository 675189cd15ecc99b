import type { AttemptRecord } from '../src/db/delivery-repository';
import type { Repositories } from '../src/db/repositories';
import { createBatchedWriter } from '../src/db/batched-writer';
import type { HookRunner } from '../src/extensions/hook-runner';
import type { DeliveryMetrics } from './deps';

/** Persists attempts and counts them. Concurrent records share a transaction; a failed batch is retried row by row. */
export interface AttemptRecorder {
  record(record: AttemptRecord): Promise<void>;
}

/**
 * Also the one place that tells plugins' afterDelivery hooks of a success or a permanent
 * refusal, whoever recorded it (the fan-out, a delivery workflow, the durable fallback); dead and
 * cancelled deliveries are told by finishDelivery.
 */
export function createAttemptRecorder(repos: Pick<Repositories, 'deliveries'>, metrics?: DeliveryMetrics, hooks?: HookRunner): AttemptRecorder {
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
      if (update.status === 'succeeded' || update.status === 'failed') {
        metrics?.deliveryFinished({ eventType: log.event, status: update.status });
        await hooks?.afterDelivery(
          { id: log.deliveryId, eventId: log.eventId, eventType: log.event, subscriberId: log.subscriberId, attempts: log.attempts },
          { status: update.status, statusCode: log.responseCode ?? null, error: log.error ?? null },
        );
      }
    },
  };
}

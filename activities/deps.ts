import type { Logger } from 'pino';
import type { Repositories } from '../src/db/repositories';
import type { OutboundClient } from '../src/net/outbound-client';
import type { TransformRegistry } from '../src/transforms/registry';

/** The delivery metrics the activities report (src/metrics implements it). */
export interface DeliveryMetrics {
  attempt(input: { eventType: string; attempt: number; durationMs: number; outcome: string }): void;
  deliveryFinished(input: { eventType: string; status: 'succeeded' | 'failed' | 'dead' | 'cancelled' }): void;
}

/** What the activities need from the outside world; tests pass fakes. */
export interface ActivityDeps {
  repos: Repositories;
  http: OutboundClient;
  transforms: TransformRegistry;
  logger: Logger;
  metrics?: DeliveryMetrics;
  config: {
    retryDelaysMs: number[];
    timeoutMs: number;
    signatureVersions: 'v1' | 'v2' | 'both';
    /** Make every first attempt inside the fan-out; only deliveries that need retries get a workflow of their own. */
    fastPath: boolean;
    /** First attempts in flight at once within one fan-out batch. */
    batchConcurrency: number;
  };
  /** Base URL of the admin UI, for links in workflow details. */
  adminUrl: string | null;
}

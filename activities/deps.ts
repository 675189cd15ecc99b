import type { Logger } from 'pino';
import type { Repositories } from '../src/db/repositories';
import type { DeliveryStarter } from '../src/deliveries/delivery-starter';
import type { Admission } from '../src/engine/admission';
import type { EventDraft } from '../src/events/normalized-event';
import type { HookRunner } from '../src/extensions/hook-runner';
import type { OutboundClient } from '../src/net/outbound-client';
import type { TransformRegistry } from '../src/transforms/registry';
import type { AttemptRecorder } from './attempt-recorder';

/** The delivery metrics the activities report (src/metrics implements it). */
export interface DeliveryMetrics {
  attempt(input: { eventType: string; attempt: number; durationMs: number; outcome: string }): void;
  deliveryFinished(input: { eventType: string; status: 'succeeded' | 'failed' | 'dead' | 'cancelled' }): void;
}

/** The one path that records an event and starts its workflow (the dispatcher). */
export interface EventSink {
  dispatch(draft: EventDraft): Promise<{ event: { id: string; type: string } }>;
}

/** What the activities need from the outside world; tests pass fakes. */
export interface ActivityDeps {
  repos: Repositories;
  http: OutboundClient;
  transforms: TransformRegistry;
  logger: Logger;
  metrics?: DeliveryMetrics;
  /** The plugins' hooks (WEBHOOK_PLUGINS); none when absent. */
  hooks?: HookRunner;
  /** The worker's share of POSTs (WEBHOOK_CONCURRENCY), fair between subscribers. */
  admission: Admission;
  /** Logs attempts, many per statement, one bad row failing only itself. */
  recorder: AttemptRecorder;
  /** Starts a delivery's workflow and marks it started: the one path for deliveries. */
  starter: DeliveryStarter;
  /** Records and starts internal events (dead letters). */
  events: EventSink;
  config: {
    retryDelaysMs: number[];
    timeoutMs: number;
    /** Make every first attempt inside the fan-out; only deliveries that need retries get a workflow of their own. */
    fastPath: boolean;
    /** First attempts a fan-out page makes at once (each still needs an admission lease). */
    batchConcurrency: number;
    /** How long an attempt waits for a POST slot before it is deferred (its workflow waits durably instead). */
    admissionWaitMs: number;
  };
  /** Base URL of the admin UI, for links in workflow details; null until the UI exists. */
  adminUrl: string | null;
}

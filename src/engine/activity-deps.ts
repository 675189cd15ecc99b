import type { Logger } from 'pino';
import { createAttemptRecorder } from '../../activities/attempt-recorder';
import type { ActivityDeps, EventSink } from '../../activities/deps';
import { breakerSettings, retryDelays, type Config } from '../config';
import { announceHealthChange } from '../protection/health-events';
import { ACTIVITY_DB_CALL_TIMEOUT_MS, boundedRepositories } from '../db/bounded-repositories';
import type { Repositories } from '../db/repositories';
import { attemptTimeoutMs } from '../domain/attempt-timeout';
import { createDeliveryStarter } from '../deliveries/delivery-starter';
import type { HookRunner } from '../extensions/hook-runner';
import type { Metrics } from '../metrics/metrics';
import { createAddressPolicy } from '../net/address-policy';
import { createOutboundClient, type OutboundClient } from '../net/outbound-client';
import type { TransformRegistry } from '../transforms/registry';
import { createAdmission } from './admission';
import type { QueueDriver } from './queue-driver';

// What a worker gives the delivery code (activities/), whichever queue driver runs it: the same
// admission, attempt, recorder and starter for the Temporal worker and the pg-boss worker.

export interface EngineWorkerDeps {
  config: Config;
  repos: Repositories;
  transforms: TransformRegistry;
  logger: Logger;
  /** Starts deliveries from the activities (a handed-off fast-path delivery, a child of the fan-out). */
  driver: Pick<QueueDriver, 'startDelivery' | 'wakeOrderedKey'>;
  /** Records and starts internal events (the dispatcher, in `start` mode). */
  events: EventSink;
  adminUrl: string | null;
  /** The process's metrics; the delivery activities count attempts and outcomes on it. */
  metrics?: Metrics;
  /** The plugins' hooks (WEBHOOK_PLUGINS). */
  hooks?: HookRunner;
}

/** The outbound HTTP client of a worker: the SSRF guard, and connections for WEBHOOK_CONCURRENCY POSTs. */
export function createWorkerHttp(config: Config, logger: Logger): OutboundClient {
  return createOutboundClient(
    createAddressPolicy(config.WEBHOOK_ALLOW_PRIVATE_TARGETS, config.WEBHOOK_PRIVATE_TARGET_ALLOWLIST),
    Math.max(config.WEBHOOK_CONCURRENCY, 8),
    (refused) => logger.warn(refused, 'the SSRF guard refused a delivery target'),
  );
}

export function createActivityDeps(deps: EngineWorkerDeps, http: OutboundClient): ActivityDeps {
  const { config } = deps;
  const repos = boundedRepositories(deps.repos, ACTIVITY_DB_CALL_TIMEOUT_MS);
  const starter = createDeliveryStarter({
    repos,
    engine: deps.driver,
    retryDelaysMs: retryDelays(config),
    attemptTimeoutMs: attemptTimeoutMs(config.WEBHOOK_TIMEOUT * 1000),
    searchAttributes: config.TEMPORAL_SEARCH_ATTRIBUTES,
    adminUrl: deps.adminUrl,
  });
  return {
    repos,
    http,
    admission: createAdmission(config.WEBHOOK_CONCURRENCY, {
      gate: config.WEBHOOK_ENDPOINT_PROTECTION ? repos.protection : null,
      defaultMaxInFlight: config.WEBHOOK_ENDPOINT_CONCURRENCY,
      // A lease outlives its POST's timeout; one whose worker died frees its slot after this.
      leaseTtlMs: config.WEBHOOK_TIMEOUT * 1000 + 30_000,
      maxPauseMs: config.WEBHOOK_MAX_PAUSE,
      retryDelaysMs: retryDelays(config),
      onError: (err, context) => deps.logger.warn({ err }, `${context} failed; the lease expires instead`),
      breaker: breakerSettings(config),
      onHealthChange: announceHealthChange(deps.events, (err, change) => deps.logger.error({ err, change }, 'a subscriber health event could not be recorded')),
    }),
    recorder: createAttemptRecorder(repos, deps.metrics, deps.hooks),
    hooks: deps.hooks,
    starter,
    events: deps.events,
    transforms: deps.transforms,
    logger: deps.logger,
    metrics: deps.metrics,
    adminUrl: deps.adminUrl,
    config: {
      retryDelaysMs: retryDelays(config),
      timeoutMs: config.WEBHOOK_TIMEOUT * 1000,
      fastPath: config.WEBHOOK_FAST_PATH,
      batchConcurrency: config.WEBHOOK_FANOUT_CONCURRENCY,
      admissionWaitMs: config.WEBHOOK_ADMISSION_WAIT,
    },
  };
}

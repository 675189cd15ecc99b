import { createActivities } from '../../activities';
import type { FanOutPage } from '../../workflows/types';
import { deliveryWorkflowId } from '../domain/workflow-ids';
import { createActivityDeps, createWorkerHttp, type EngineWorkerDeps } from '../engine/activity-deps';
import type { OutboundClient } from '../net/outbound-client';
import { DELIVERY_QUEUE, EVENT_QUEUE, RETENTION_QUEUE, stepJobId, type DeliveryStep, type EventJob } from './boss';
import { runDeliveryStep } from './delivery-steps';
import { startJobRunner } from './job-runner';
import { offerRetentionRuns, runRetention } from './retention-jobs';
import type { PgBossDriver } from './pgboss-driver';

// The pg-boss worker: the event fan-out and the delivery steps, run as jobs by the same activity
// code the Temporal worker registers (activities/), with the same admission, attempt, recorder
// and outcome. No Temporal server is involved.

/** Subscribers per fan-out page (the event workflow's FAN_OUT_BATCH). */
const FAN_OUT_BATCH = 500;
/** How often an idle worker looks for jobs (pg-boss's lowest polling interval is 500 ms). */
const POLL_MS = 250;
/** Fan-out jobs a worker runs at once. */
const EVENT_SLOTS = 20;

export interface PgBossWorkerDeps extends EngineWorkerDeps {
  driver: PgBossDriver;
}

export interface RunningPgBossWorker {
  http: OutboundClient;
  running(): boolean;
  stop(): Promise<void>;
}

export function startPgBossWorker(deps: PgBossWorkerDeps): RunningPgBossWorker {
  const { config, driver, logger } = deps;
  const { boss } = driver;
  const http = createWorkerHttp(config, logger);
  const activityDeps = createActivityDeps(deps, http);
  const activities = createActivities(activityDeps);
  const liveness = driver.livenessSeconds;

  const deliveries = startJobRunner<DeliveryStep>({
    boss,
    queue: DELIVERY_QUEUE,
    concurrency: config.WEBHOOK_ACTIVITY_SLOTS,
    livenessSeconds: liveness,
    pollMs: POLL_MS,
    logger,
    handle: (step, ctx) =>
      runDeliveryStep(
        {
          activities,
          repos: activityDeps.repos,
          async queue(next, runAt) {
            await boss.send(DELIVERY_QUEUE, next, { id: stepJobId(next), singletonKey: next.workflowId, startAfter: new Date(Math.max(runAt, Date.now())) });
            if (runAt <= Date.now()) deliveries.wake();
          },
        },
        step,
        ctx,
      ),
  });

  const events = startJobRunner<EventJob>({
    boss,
    queue: EVENT_QUEUE,
    concurrency: EVENT_SLOTS,
    livenessSeconds: liveness,
    pollMs: POLL_MS,
    logger,
    async handle(job, ctx) {
      let cursor: string | null = null;
      const totals = { deliveries: 0, succeeded: 0, failed: 0, workflows: 0 };
      for (;;) {
        const page: FanOutPage = await activities.fanOutBatch({ eventId: job.eventId, eventType: job.eventType, cursor, limit: FAN_OUT_BATCH, onlySubscriberId: job.onlySubscriberId }, ctx);
        // The fast path off: every delivery starts here, through the one delivery path.
        for (const d of page.deliveries) {
          await driver.startDelivery(
            {
              deliveryId: d.deliveryId,
              eventId: job.eventId,
              eventType: job.eventType,
              subscriberId: d.subscriberId,
              target: d.target,
              retryDelaysMs: page.retryDelaysMs,
              searchAttributes: false,
              adminUrl: page.adminUrl,
              attemptTimeoutMs: page.attemptTimeoutMs,
              firstAttempt: d.firstAttempt,
            },
            deliveryWorkflowId(job.eventId, d.subscriberId),
          );
        }
        const handedOff = page.handedOff ?? 0;
        totals.succeeded += page.firstAttempts.succeeded;
        totals.failed += page.firstAttempts.failed;
        totals.workflows += page.deliveries.length + handedOff;
        totals.deliveries += page.firstAttempts.succeeded + page.firstAttempts.failed + page.deliveries.length + handedOff;
        cursor = page.nextCursor;
        if (!cursor) return { eventId: job.eventId, ...totals };
      }
    },
  });
  const retention = startJobRunner<object>({
    boss,
    queue: RETENTION_QUEUE,
    concurrency: 1,
    livenessSeconds: liveness,
    pollMs: POLL_MS * 4,
    logger,
    handle: (_job, ctx) => runRetention(activities.pruneExpired, config, ctx),
  });
  const offers = offerRetentionRuns(boss, config, logger, () => retention.wake());
  offers.start();
  driver.onQueued(() => {
    deliveries.wake();
    events.wake();
  });

  let stopping: Promise<void> | null = null;
  return {
    http,
    running: () => deliveries.running() && events.running() && retention.running(),
    stop() {
      stopping ??= (async () => {
        await offers.stop();
        await Promise.all([events.stop(10_000), deliveries.stop(10_000), retention.stop(10_000)]);
        await activityDeps.admission.close();
        await http.close();
      })();
      return stopping;
    },
  };
}

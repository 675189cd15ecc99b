import { setMaxListeners } from 'node:events';
import type { DeliveryForAttempt } from '../src/db/delivery-repository';
import { decide } from '../src/domain/attempt-outcome';
import { attemptTimeoutMs } from '../src/domain/attempt-timeout';
import { deliveryIdFor, deliveryWorkflowId } from '../src/domain/ids';
import { targetLabel } from '../src/domain/target-label';
import { resumeFrom } from '../src/deliveries/delivery-starter';
import type { AttemptResult, DeliveryLine, FanOutPage } from '../workflows/types';
import { deactivateIfGone, sendAttempt, unlogged, type Attempted } from './attempt';
import { screenEvent } from './before-dispatch';
import { admitRequest } from '../src/engine/admission';
import { handOffOrdered } from './ordered-hand-off';
import type { ActivityDeps } from './deps';
import { runContext, type RunContext } from './run-context';
import { heldReason } from './held-delivery';
import { createBatchedWriter } from '../src/db/batched-writer';
import { pageAdmissionWaitMs, pageDeliveryMs } from '../src/engine/page-timeouts';

export interface FanOutBatchInput {
  eventId: string;
  eventType: string;
  cursor: string | null;
  limit: number;
  /** A test send: this subscriber only. */
  onlySubscriberId?: string | null;
}

/** The deliveries the event workflow lists in its details, per page. */
export const LINES_PER_PAGE = 20;
/** Liveness heartbeats while every POST of the page is slow; the SDK throttles them. */
const HEARTBEAT_EVERY_MS = 2_000;

/** Runs `fn` over items with at most `limit` in flight. */
async function eachLimited<T>(items: T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      await fn(items[index], index);
    }
  });
  await Promise.all(workers);
}

export function createFanOutActivities(deps: ActivityDeps) {
  const { repos, config, adminUrl, admission, recorder, starter, logger } = deps;
  // Group commit: the last pages of events that end together mark them processed in one statement.
  const processed = createBatchedWriter({
    writeMany: async (ids: string[]) => {
      await repos.events.setManyStatus(ids, 'processed');
      return ids.map(() => undefined);
    },
    writeOne: (id: string) => repos.events.setStatus(id, 'processed'),
  });

  return {
    /**
     * One page of the fan-out: loads matching subscribers, creates their delivery rows and, on
     * the fast path, makes every first attempt here. A delivery that needs more (a retry, a wait
     * for capacity) gets its own workflow at once, not when the page ends, so its retry is on
     * time whatever the page's size. Each delivery's trouble is its own outcome: this activity
     * throws only when the page itself cannot be read or written. A retry of it (after a crash
     * or a database error) resends only the attempts that have no recorded outcome.
     */
    async fanOutBatch(input: FanOutBatchInput, context?: RunContext): Promise<FanOutPage> {
      const ctx = runContext(context);
      const startedAt = Date.now();
      if (input.cursor === null && (await screenEvent(deps, input.eventId))) return vetoedPage(config, adminUrl);
      const page = await repos.subscribers.pageMatching(input.eventType, input.cursor, input.limit, input.onlySubscriberId);
      const ids = page.map((s) => deliveryIdFor(input.eventId, s.id));
      const rowsToCreate = page.map((s, i) => ({
        id: ids[i],
        eventId: input.eventId,
        subscriberId: s.id,
        eventType: input.eventType,
        workflowId: deliveryWorkflowId(input.eventId, s.id),
        // A disabled subscriber's delivery is recorded as held (replayable), never dropped.
        ...(s.active === false && !input.onlySubscriberId ? { status: 'held' as const, lastError: heldReason(s, true), completedAt: new Date() } : {}),
      }));
      const base = {
        nextCursor: page.length === input.limit ? page[page.length - 1].id : null,
        retryDelaysMs: config.retryDelaysMs,
        attemptTimeoutMs: attemptTimeoutMs(config.timeoutMs),
        adminUrl,
      };
      // The last page: the event is `processed` once this page's work is recorded.
      const finish = async (result: FanOutPage): Promise<FanOutPage> => {
        if (base.nextCursor === null) await processed.write(input.eventId);
        return result;
      };
      // The rows are created and the payload is loaded once for the page, not once per delivery.
      const attempted = new Set(ids.filter((_, i) => page[i].active !== false || input.onlySubscriberId));
      const loaded = await repos.deliveries.createPage(input.eventId, rowsToCreate, new Map(page.map((s) => [s.id, s])), attempted);
      if (!loaded) return { ...base, nextCursor: null, deliveries: [], firstAttempts: { succeeded: 0, failed: 0 } };
      // Keyed deliveries to ordered subscribers go to their key's queue, never attempted here.
      const { rest: rows, queued } = await handOffOrdered(deps, loaded);
      if (!config.fastPath) {
        const children = rows.map(({ delivery, subscriber }) => ({
          deliveryId: delivery.id,
          subscriberId: delivery.subscriberId,
          target: targetLabel(subscriber.url),
          firstAttempt: null,
        }));
        return finish({ ...base, deliveries: children, firstAttempts: { succeeded: 0, failed: 0 }, handedOff: queued });
      }

      let succeeded = 0;
      let failed = 0;
      let handedOff = queued;
      const lines: DeliveryLine[] = [];
      const line = (row: DeliveryForAttempt, outcome: DeliveryLine['outcome'], attempts: number, statusCode: number | null, workflow: boolean) => {
        if (lines.length < LINES_PER_PAGE) {
          lines.push({
            deliveryId: row.delivery.id,
            subscriberId: row.delivery.subscriberId,
            target: targetLabel(row.subscriber.url),
            outcome,
            attempts,
            statusCode,
            workflowId: workflow ? row.delivery.workflowId : null,
          });
        }
      };
      const beat = () => {
        // Local activities cannot heartbeat; the workflow task's own heartbeat covers them.
        if (!ctx.info.isLocal) ctx.heartbeat({ succeeded, failed, handedOff });
      };
      /** Gives a delivery its own workflow now. A failed start is left to the orphan-delivery reconciler. */
      const handOff = async (row: DeliveryForAttempt, firstAttempt: AttemptResult | null, outcome: DeliveryLine['outcome'], waitFirst: { until: number; reason: string } | null = null) => {
        handedOff++;
        line(row, outcome, firstAttempt?.attempt ?? 0, firstAttempt?.statusCode ?? null, true);
        try {
          await starter.start(row.delivery, row.subscriber.url, firstAttempt, waitFirst);
        } catch (err) {
          logger.warn({ err, deliveryId: row.delivery.id }, 'delivery workflow start failed; the reconciler will start it');
        }
      };

      // A page begins a delivery only while one more (its admission wait, its attempt and its
      // record) still fits in the page's own timeout; the rest go to their workflows, which make
      // their first attempts. A page of slow receivers then ends in time instead of being cut off
      // and run again (a local fan-out's timeout is short: it cannot heartbeat).
      const admissionWaitMs = pageAdmissionWaitMs(config.admissionWaitMs);
      const runFor = ctx.info.startToCloseTimeoutMs;
      const beginUntil = runFor ? startedAt + runFor - pageDeliveryMs(config.admissionWaitMs, config.timeoutMs) : Infinity;

      const fresh: DeliveryForAttempt[] = [];
      for (const row of rows) {
        const { delivery } = row;
        if (delivery.status === 'succeeded') line(row, 'succeeded', delivery.attempts, delivery.lastResponseCode, false);
        else if (delivery.status !== 'pending') line(row, 'failed', delivery.attempts, delivery.lastResponseCode, false);
        // Attempted before a crash: its outcome is recorded, so it is never sent again from here.
        else if (delivery.attempts > 0) await handOff(row, resumeFrom(delivery), 'retrying');
        else fresh.push(row);
      }

      // The page's gate leases are taken a window of deliveries at a time, one statement each,
      // the next window while this one runs (src/engine/admission.ts, "Prefetched leases").
      const window = config.batchConcurrency;
      // Each delivery of the window may wait on the page's cancellation (its admission, its POST):
      // that many listeners are expected, not a leak.
      setMaxListeners(2 * window + 10, ctx.cancellationSignal);
      const prefetch = (from: number) => admission.prefetch(fresh.slice(from, from + window).map((row) => admitRequest(row.delivery, row.subscriber)));
      await prefetch(0);
      const ticker = setInterval(beat, HEARTBEAT_EVERY_MS);
      try {
        await eachLimited(fresh, window, async (row, index) => {
          if (index % window === 0) void prefetch(index + window);
          if (Date.now() >= beginUntil) {
            await handOff(row, null, 'workflow');
            return;
          }
          const admitted = await admission.admit(admitRequest(row.delivery, row.subscriber), admissionWaitMs, ctx.cancellationSignal);
          if ('waitUntil' in admitted) {
            // Its share of the worker, its max_in_flight or a pause: wait durably, holding no slot.
            await handOff(row, null, 'waiting', { until: admitted.waitUntil, reason: admitted.reason });
            return;
          }
          let attempted: Attempted | undefined;
          try {
            attempted = await sendAttempt(deps, row, 1, ctx.cancellationSignal);
          } finally {
            admitted.lease(attempted?.result);
          }
          let { result } = attempted;
          await deactivateIfGone(deps, row, result);
          try {
            await recorder.record(attempted.record);
          } catch (err) {
            // The POST happened: never resend it. The delivery's workflow records it durably.
            logger.warn({ err, deliveryId: row.delivery.id }, 'attempt log deferred to the delivery workflow');
            result = unlogged(attempted);
          }
          const decision = decide(result, { delaysMs: config.retryDelaysMs });
          if (result.logged && decision.kind === 'succeeded') {
            succeeded++;
            line(row, 'succeeded', 1, result.statusCode, false);
          } else if (result.logged && decision.kind === 'failed') {
            failed++;
            line(row, 'failed', 1, result.statusCode, false);
          } else {
            await handOff(row, result, 'retrying');
          }
          beat();
        });
      } finally {
        clearInterval(ticker);
      }
      return finish({ ...base, deliveries: [], firstAttempts: { succeeded, failed }, handedOff, lines });
    },
  };
}

/** The fan-out of a vetoed event: no delivery, and the event keeps its `vetoed` status. */
function vetoedPage(config: ActivityDeps['config'], adminUrl: string | null): FanOutPage {
  return {
    nextCursor: null,
    retryDelaysMs: config.retryDelaysMs,
    attemptTimeoutMs: attemptTimeoutMs(config.timeoutMs),
    adminUrl,
    deliveries: [],
    firstAttempts: { succeeded: 0, failed: 0 },
  };
}

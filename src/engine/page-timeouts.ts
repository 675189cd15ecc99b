import { ACTIVITY_DB_CALL_TIMEOUT_MS } from '../db/bounded-repositories';
import { attemptTimeoutMs } from '../domain/attempt-timeout';
import type { Config } from '../config';

// How long a fan-out page may run, from the configuration. A page begins a delivery only while
// that delivery's admission wait and attempt still fit (activities/fan-out.ts).

/**
 * How long a page's delivery may wait for a POST slot. A subscriber whose own POSTs would keep
 * it waiting longer is handed to its workflow at once (src/engine/admission.ts); the page then
 * lingers at most this long for its slow neighbours, holding an activity slot, not a POST slot.
 */
export const PAGE_ADMISSION_WAIT_MS = 10_000;

/** A page's wait for a POST slot: the configured admission wait, at least PAGE_ADMISSION_WAIT_MS. */
export function pageAdmissionWaitMs(admissionWaitMs: number): number {
  return Math.max(admissionWaitMs, PAGE_ADMISSION_WAIT_MS);
}

/** The longest one delivery of a page can take: its admission wait, then its attempt. */
export function pageDeliveryMs(admissionWaitMs: number, httpTimeoutMs: number): number {
  return pageAdmissionWaitMs(admissionWaitMs) + attemptTimeoutMs(httpTimeoutMs);
}

/** The fan-out activity's heartbeat timeout: a POST's timeout plus a database call's deadline, with room. */
export function fanOutHeartbeatMs(config: Pick<Config, 'WEBHOOK_TIMEOUT'>): number {
  return config.WEBHOOK_TIMEOUT * 1000 + ACTIVITY_DB_CALL_TIMEOUT_MS + 10_000;
}

/** The local fan-out's start-to-close timeout: at least a minute, and room for two deliveries one after the other. */
export function localFanOutTimeoutMs(config: Pick<Config, 'WEBHOOK_TIMEOUT' | 'WEBHOOK_ADMISSION_WAIT'>): number {
  return Math.max(60_000, 2 * pageDeliveryMs(config.WEBHOOK_ADMISSION_WAIT, config.WEBHOOK_TIMEOUT * 1000));
}

/**
 * The workflow task timeout of the workflows that run local activities: the event workflow
 * (its first fan-out page) and a delivery workflow (its first attempt). A local activity holds
 * its workflow task open. When the server times that task out, the worker drops the run's state
 * when it goes on, and the local activity runs again, re-sending what it had in flight.
 * Temporal's default of 10 s was exceeded by a worker stalled on an oversubscribed machine
 * (test/reliability/worker-stall.test.ts: 44 attempts of 100 were sent twice).
 * A stall shorter than this resends nothing. The price: a worker that dies mid-task is noticed
 * after this long instead of 10 s, and then its page runs again (README "When a process or a server fails").
 */
export const LOCAL_WORK_TASK_TIMEOUT_MS = 30_000;

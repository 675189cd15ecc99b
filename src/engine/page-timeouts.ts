import { PAGE_ADMISSION_WAIT_MS } from '../../activities/fan-out';
import { ACTIVITY_DB_CALL_TIMEOUT_MS } from '../db/bounded-repositories';
import { attemptTimeoutMs } from '../domain/attempt-timeout';
import type { Config } from '../config';

// How long a fan-out page may run, from the configuration. A page begins a delivery only while
// that delivery's admission wait and attempt still fit (activities/fan-out.ts).

type PageConfig = Pick<Config, 'WEBHOOK_TIMEOUT' | 'WEBHOOK_ADMISSION_WAIT'>;

/** The fan-out activity's heartbeat timeout: a POST's timeout plus a database call's deadline, with room. */
export function fanOutHeartbeatMs(config: Pick<Config, 'WEBHOOK_TIMEOUT'>): number {
  return config.WEBHOOK_TIMEOUT * 1000 + ACTIVITY_DB_CALL_TIMEOUT_MS + 10_000;
}

/** The local fan-out's start-to-close timeout: at least a minute, and room for two deliveries one after the other. */
export function localFanOutTimeoutMs(config: PageConfig): number {
  const oneDelivery = Math.max(config.WEBHOOK_ADMISSION_WAIT, PAGE_ADMISSION_WAIT_MS) + attemptTimeoutMs(config.WEBHOOK_TIMEOUT * 1000);
  return Math.max(60_000, 2 * oneDelivery);
}

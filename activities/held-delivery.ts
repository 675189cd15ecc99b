import type { DeliveryForAttempt } from '../src/db/delivery-repository';
import { attemptResult } from '../src/domain/attempt-outcome';
import type { AttemptResult } from '../workflows/types';
import type { ActivityDeps } from './deps';

// Nothing is lost for a disabled subscriber: its deliveries are kept as `held` (not sent, not
// failed) and replayed in one action when it is re-enabled (POST /subscribers/:id/enable).

/** Why a delivery to this disabled subscriber is held. */
export function heldReason(subscriber: { disabledReason: string | null }, arrived: boolean): string {
  const why = subscriber.disabledReason ? `: ${subscriber.disabledReason}` : '';
  return arrived ? `held: it arrived while the subscriber was disabled${why}` : `held: the subscriber was disabled${why}`;
}

/**
 * A delivery whose subscriber was disabled while it waited (its circuit stayed open): kept as
 * `held`. The workflow ends on the result, which is not an attempt and has no log row; the
 * row's status stays `held`, which only a pending delivery can leave.
 */
export async function holdForDisabled(deps: Pick<ActivityDeps, 'repos'>, row: DeliveryForAttempt, attempt: number): Promise<AttemptResult> {
  const reason = heldReason(row.subscriber, false);
  await deps.repos.deliveries.hold(row.delivery.id, reason);
  const at = Date.now();
  return attemptResult(attempt, at, at, 'refused', { error: reason });
}

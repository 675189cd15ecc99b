import { HttpError } from '../errors';

/**
 * Refuses a signed time more than `maxSkewSeconds` from the server clock, in either direction.
 * The limit itself is accepted: a replay window of ±120 s means 120 s is still in it.
 */
export function checkClockSkew(timestampSeconds: number, nowSeconds: number, maxSkewSeconds: number): void {
  const drift = nowSeconds - timestampSeconds;
  if (Math.abs(drift) <= maxSkewSeconds) return;
  const direction = drift > 0 ? `${drift} s in the past` : `${-drift} s in the future`;
  throw new HttpError(
    422,
    'invalid_timestamp',
    `the timestamp ${timestampSeconds} is ${direction} of the server clock (${nowSeconds}); the limit is ±${maxSkewSeconds} s, so sign with a fresh timestamp and check the sender's clock`,
  );
}

import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { HttpError } from '../errors';

export interface InboundRateLimiter {
  /** Counts one request for `key`; throws 429 `rate_limited` with `Retry-After` once it is over the limit. */
  consume(key: string): Promise<void>;
}

/**
 * A fixed-window limit of `limit` requests per `windowMs` for each key (source and client IP).
 * The counters live in this API process: N processes behind a balancer allow up to N times the limit.
 * A limit of 0 turns it off.
 */
export function createInboundRateLimiter(limit: number, windowMs: number): InboundRateLimiter {
  if (limit <= 0) return { consume: async () => undefined };
  const limiter = new RateLimiterMemory({ points: limit, duration: Math.max(1, Math.ceil(windowMs / 1000)) });
  return {
    async consume(key) {
      try {
        await limiter.consume(key);
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        const retryAfter = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
        throw new HttpError(
          429,
          'rate_limited',
          `more than ${limit} requests from this address to this source in ${Math.ceil(windowMs / 1000)} s; retry after ${retryAfter} s`,
          undefined,
          { 'retry-after': String(retryAfter) },
        );
      }
    },
  };
}

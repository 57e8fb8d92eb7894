// Cloud Tasks' retry policy (RetryConfig, REFERENCE §7) on the shared backoff arithmetic (dispatch/backoff.ts):
// what is Tasks' own is how 429 and 503 slow it down.

import { backoffMs, type BackoffPolicy, type RetryLimits } from '../dispatch/backoff.js';

export { backoffMs, retriesExhausted, retryAfterMs } from '../dispatch/backoff.js';

export type RetryPolicy = BackoffPolicy & RetryLimits;

/**
 * The wait after a failed attempt. 429 and 503 mean "slow down": Cloud Tasks backs off harder
 * (authplane: twice the normal interval, still capped at maxBackoff) and honours Retry-After
 * when it asks for longer.
 */
export function nextDelayMs(policy: RetryPolicy, failures: number, httpStatus: number | null, retryAfter: number | undefined): number {
  const base = backoffMs(policy, failures);
  if (httpStatus !== 429 && httpStatus !== 503) return base;
  const harder = Math.min(policy.maxBackoffMs, base * 2);
  return Math.max(harder, retryAfter ?? 0);
}

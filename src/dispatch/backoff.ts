// The retry arithmetic Google's three callers share. Cloud Tasks' RetryConfig (REFERENCE §7) and Cloud
// Scheduler's RetryConfig (§10) document the same schedule: the interval starts at the minimum backoff,
// doubles maxDoublings times, then grows linearly by the last doubled step, capped at the maximum; both give
// the example min 10 s, max 300 s, maxDoublings 3 → 10, 20, 40, 80, 160, 240, 300, 300 s. Pub/Sub's
// retryPolicy ("exponential between minimumBackoff and maximumBackoff", §9) is the same with unlimited doublings.
// Both Tasks and Scheduler stop only when the attempt limit and the retry-duration limit are both reached.

export interface BackoffPolicy {
  minBackoffMs: number;
  maxBackoffMs: number;
  /** Doublings before the interval grows linearly (Infinity: plain exponential). */
  maxDoublings: number;
}

export interface RetryLimits {
  /** Attempts in all (the first included); −1 = unlimited. */
  maxAttempts: number;
  /** Measured from the first attempt; 0 = no limit of this kind. */
  maxRetryDurationMs: number;
}

/** The wait before the retry that follows the `failures`-th failed attempt (1-based). */
export function backoffMs(policy: BackoffPolicy, failures: number): number {
  const { minBackoffMs: min, maxBackoffMs: max, maxDoublings } = policy;
  const k = Math.max(1, failures);
  let interval: number;
  if (k - 1 <= maxDoublings) interval = min * 2 ** (k - 1);
  else interval = min * 2 ** maxDoublings * (k - maxDoublings);
  return Math.min(max, interval);
}

/**
 * Whether work that has now been attempted `attempts` times must stop: only when both the attempt limit and
 * the retry duration (measured from the first attempt) are exhausted, as Google documents for both products.
 */
export function retriesExhausted(limits: RetryLimits, attempts: number, firstAttemptAt: number, now: number): boolean {
  const attemptsDone = limits.maxAttempts !== -1 && attempts >= limits.maxAttempts;
  const durationDone = limits.maxRetryDurationMs === 0 || now - firstAttemptAt >= limits.maxRetryDurationMs;
  return attemptsDone && durationDone;
}

/** How long Retry-After asks for (seconds or an HTTP date), in ms; undefined when absent or unreadable. */
export function retryAfterMs(header: string | undefined, now: number): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

// Cloud Tasks' retry schedule (RetryConfig), as documented: the interval starts at minBackoff,
// doubles maxDoublings times, then grows linearly by the last doubled step, capped at maxBackoff.
// Google's example, min 10 s, max 300 s, maxDoublings 3: 10, 20, 40, 80, 160, 240, 300, 300 s.

export interface RetryPolicy {
  /** −1 = unlimited. */
  maxAttempts: number;
  /** 0 = unlimited. */
  maxRetryDurationMs: number;
  minBackoffMs: number;
  maxBackoffMs: number;
  maxDoublings: number;
}

/** The wait before the retry that follows the `failures`-th failed attempt (1-based). */
export function backoffMs(policy: RetryPolicy, failures: number): number {
  const { minBackoffMs: min, maxBackoffMs: max, maxDoublings } = policy;
  const k = Math.max(1, failures);
  let interval: number;
  if (k - 1 <= maxDoublings) interval = min * 2 ** (k - 1);
  else interval = min * 2 ** maxDoublings * (k - maxDoublings);
  return Math.min(max, interval);
}

/**
 * Whether a task that has now failed `attempts` times must stop: only when both maxAttempts and
 * maxRetryDuration (measured from the first attempt) are exhausted, as Google documents.
 */
export function retriesExhausted(policy: RetryPolicy, attempts: number, firstAttemptAt: number, now: number): boolean {
  const attemptsDone = policy.maxAttempts !== -1 && attempts >= policy.maxAttempts;
  const durationDone = policy.maxRetryDurationMs === 0 || now - firstAttemptAt >= policy.maxRetryDurationMs;
  return attemptsDone && durationDone;
}

/** How long Retry-After asks for (seconds or an HTTP date), in ms; undefined when absent or unreadable. */
export function retryAfterMs(header: string | undefined, now: number): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

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

// Queue ⇄ Google's Queue message: defaults, limits and field masks as the real API applies them.

import { invalidArgument, notSupported } from '../apis/errors.js';
import type { QueueConfig } from '../config/types.js';
import type { QueueRecord } from '../store/task-store.js';
import { queueName, type QueueName } from './names.js';
import { fromMs, snakeToCamel, toMs, type Obj, type ProtoTime } from '../apis/proto.js';

const MAX_RATE = 500;
const MAX_CONCURRENT = 5000;

/** Google's defaults for a queue created through the API (REFERENCE §7). */
const QUEUE_DEFAULTS = {
  maxDispatchesPerSecond: 500,
  maxConcurrentDispatches: 1000,
  maxAttempts: 100,
  maxRetryDurationMs: 0,
  minBackoffMs: 100,
  maxBackoffMs: 3_600_000,
  maxDoublings: 16,
} as const;

/**
 * maxBurstSize is output-only on Google ("Cloud Tasks will pick the value based on
 * max_dispatches_per_second"); real queues at 500/s report 100. authplane: ⌈rate⌉, between 1 and 100.
 */
export const burstFor = (rate: number): number => Math.max(1, Math.min(100, Math.ceil(rate)));

export function queueFromConfig(q: QueueConfig, project: string, location: string): QueueRecord {
  return {
    id: q.name,
    project,
    location,
    state: 'RUNNING',
    maxDispatchesPerSecond: q.rateLimits.maxDispatchesPerSecond,
    maxBurstSize: burstFor(q.rateLimits.maxDispatchesPerSecond),
    maxConcurrentDispatches: q.rateLimits.maxConcurrentDispatches,
    maxAttempts: q.retryConfig.maxAttempts,
    maxRetryDurationMs: q.retryConfig.maxRetryDurationMs,
    minBackoffMs: q.retryConfig.minBackoffMs,
    maxBackoffMs: q.retryConfig.maxBackoffMs,
    maxDoublings: q.retryConfig.maxDoublings,
    purgeTime: null,
    loggingSamplingRatio: null,
    fromConfig: true,
    createdAt: 0,
    deletedAt: null,
  };
}

export function toQueueMessage(q: QueueRecord): Obj {
  const retry: Obj = {
    maxAttempts: q.maxAttempts,
    minBackoff: fromMs(q.minBackoffMs),
    maxBackoff: fromMs(q.maxBackoffMs),
    maxDoublings: q.maxDoublings,
  };
  if (q.maxRetryDurationMs > 0) retry.maxRetryDuration = fromMs(q.maxRetryDurationMs);
  return {
    name: queueName({ project: q.project, location: q.location, queue: q.id }),
    rateLimits: { maxDispatchesPerSecond: q.maxDispatchesPerSecond, maxBurstSize: q.maxBurstSize, maxConcurrentDispatches: q.maxConcurrentDispatches },
    retryConfig: retry,
    state: q.state,
    ...(q.purgeTime !== null ? { purgeTime: fromMs(q.purgeTime) } : {}),
    ...(q.loggingSamplingRatio !== null ? { stackdriverLoggingConfig: { samplingRatio: q.loggingSamplingRatio } } : {}),
  };
}

/** Every updatable field, as field-mask paths (camelCase). */
const UPDATABLE = [
  'rateLimits.maxDispatchesPerSecond',
  'rateLimits.maxConcurrentDispatches',
  'retryConfig.maxAttempts',
  'retryConfig.maxRetryDuration',
  'retryConfig.minBackoff',
  'retryConfig.maxBackoff',
  'retryConfig.maxDoublings',
  'stackdriverLoggingConfig.samplingRatio',
] as const;
type Updatable = (typeof UPDATABLE)[number];
const OUTPUT_ONLY = new Set(['name', 'state', 'purgeTime', 'rateLimits.maxBurstSize']);

/** Expands a field mask (camel or snake case; parents such as `retryConfig` mean all their fields). */
export function expandMask(paths: string[] | undefined): Set<Updatable> {
  if (!paths || paths.length === 0) return new Set(UPDATABLE);
  const out = new Set<Updatable>();
  for (const raw of paths) {
    const p = raw.split('.').map(snakeToCamel).join('.');
    const matched = UPDATABLE.filter((u) => u === p || u.startsWith(p + '.'));
    if (matched.length === 0) {
      if (OUTPUT_ONLY.has(p)) throw invalidArgument(`Field ${raw} is output only and cannot be updated.`, 'update_mask');
      if (p === 'appEngineRoutingOverride') throw notImplementedAppEngine();
      throw invalidArgument(`Invalid update_mask provided: "${raw}" is not a field of Queue that can be updated.`, 'update_mask');
    }
    matched.forEach((m) => out.add(m));
  }
  return out;
}

export const notImplementedAppEngine = () =>
  notSupported(
    'authplane emulates Cloud Tasks HTTP targets only: App Engine routing and App Engine tasks are not supported.',
    'Use an HTTP target (task.httpRequest with a URL, e.g. the service\'s run.app URL) instead of appEngineHttpRequest / appEngineRoutingOverride.',
  );

/**
 * Applies the masked fields of a Queue message onto `base` (a new queue: defaults), validating
 * each as Google does. Returns the record to store.
 */
export function applyQueueMessage(base: QueueRecord, msg: Obj, mask: Set<Updatable>): QueueRecord {
  if (msg.appEngineRoutingOverride !== undefined) throw notImplementedAppEngine();
  const rl = (msg.rateLimits ?? {}) as Obj;
  const rc = (msg.retryConfig ?? {}) as Obj;
  const q = { ...base };
  const num = (v: unknown, fallback: number) => (v === undefined || v === null ? fallback : Number(v));
  const dur = (v: unknown, fallback: number) => (v === undefined || v === null ? fallback : toMs(v as ProtoTime)!);

  if (mask.has('rateLimits.maxDispatchesPerSecond')) {
    const rate = num(rl.maxDispatchesPerSecond, QUEUE_DEFAULTS.maxDispatchesPerSecond);
    if (!(rate > 0) || rate > MAX_RATE) {
      throw invalidArgument(`queue.rate_limits.max_dispatches_per_second must be greater than 0 and at most ${MAX_RATE} (got ${rate}).`, 'queue.rate_limits.max_dispatches_per_second');
    }
    q.maxDispatchesPerSecond = rate;
    q.maxBurstSize = burstFor(rate);
  }
  if (mask.has('rateLimits.maxConcurrentDispatches')) {
    const c = num(rl.maxConcurrentDispatches, QUEUE_DEFAULTS.maxConcurrentDispatches);
    if (!Number.isInteger(c) || c < 1 || c > MAX_CONCURRENT) {
      throw invalidArgument(`queue.rate_limits.max_concurrent_dispatches must be between 1 and ${MAX_CONCURRENT} (got ${c}).`, 'queue.rate_limits.max_concurrent_dispatches');
    }
    q.maxConcurrentDispatches = c;
  }
  if (mask.has('retryConfig.maxAttempts')) {
    const a = num(rc.maxAttempts, QUEUE_DEFAULTS.maxAttempts);
    if (!Number.isInteger(a) || a < -1) throw invalidArgument(`queue.retry_config.max_attempts must be -1 (unlimited) or a non-negative number (got ${a}).`, 'queue.retry_config.max_attempts');
    q.maxAttempts = a;
  }
  if (mask.has('retryConfig.maxRetryDuration')) q.maxRetryDurationMs = dur(rc.maxRetryDuration, QUEUE_DEFAULTS.maxRetryDurationMs);
  if (mask.has('retryConfig.minBackoff')) q.minBackoffMs = dur(rc.minBackoff, QUEUE_DEFAULTS.minBackoffMs);
  if (mask.has('retryConfig.maxBackoff')) q.maxBackoffMs = dur(rc.maxBackoff, QUEUE_DEFAULTS.maxBackoffMs);
  if (mask.has('retryConfig.maxDoublings')) {
    const d = num(rc.maxDoublings, QUEUE_DEFAULTS.maxDoublings);
    if (!Number.isInteger(d) || d < 0) throw invalidArgument(`queue.retry_config.max_doublings must be a non-negative number (got ${d}).`, 'queue.retry_config.max_doublings');
    q.maxDoublings = d;
  }
  if (q.maxRetryDurationMs < 0 || q.minBackoffMs < 0 || q.maxBackoffMs < 0) throw invalidArgument('queue.retry_config durations must not be negative.', 'queue.retry_config');
  if (q.minBackoffMs > q.maxBackoffMs) {
    throw invalidArgument(`queue.retry_config.min_backoff (${q.minBackoffMs / 1000}s) must not be greater than max_backoff (${q.maxBackoffMs / 1000}s).`, 'queue.retry_config.min_backoff');
  }
  if (mask.has('stackdriverLoggingConfig.samplingRatio')) {
    const s = msg.stackdriverLoggingConfig as Obj | undefined;
    if (s === undefined) q.loggingSamplingRatio = null;
    else {
      const r = num(s.samplingRatio, 0);
      if (r < 0 || r > 1) throw invalidArgument(`queue.stackdriver_logging_config.sampling_ratio must be in [0.0, 1.0] (got ${r}).`, 'queue.stackdriver_logging_config.sampling_ratio');
      q.loggingSamplingRatio = r;
    }
  }
  return q;
}

export function newQueueRecord(name: QueueName, now: number): QueueRecord {
  return {
    id: name.queue,
    project: name.project,
    location: name.location,
    state: 'RUNNING',
    maxDispatchesPerSecond: QUEUE_DEFAULTS.maxDispatchesPerSecond,
    maxBurstSize: burstFor(QUEUE_DEFAULTS.maxDispatchesPerSecond),
    maxConcurrentDispatches: QUEUE_DEFAULTS.maxConcurrentDispatches,
    maxAttempts: QUEUE_DEFAULTS.maxAttempts,
    maxRetryDurationMs: QUEUE_DEFAULTS.maxRetryDurationMs,
    minBackoffMs: QUEUE_DEFAULTS.minBackoffMs,
    maxBackoffMs: QUEUE_DEFAULTS.maxBackoffMs,
    maxDoublings: QUEUE_DEFAULTS.maxDoublings,
    purgeTime: null,
    loggingSamplingRatio: null,
    fromConfig: false,
    createdAt: now,
    deletedAt: null,
  };
}

// Row ⇄ record mapping and the token-bucket arithmetic shared by both Cloud Tasks stores, so the
// SQLite and PostgreSQL claims compute exactly the same thing.

import type { AttemptRecord, QueueRecord, TaskRecord } from './task-store.js';

type Row = Record<string, unknown>;

const json = <T>(v: unknown): T => (typeof v === 'string' ? (JSON.parse(v) as T) : (v as T));
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export function queueFromRow(r: Row): QueueRecord {
  return {
    id: r.id as string,
    project: r.project as string,
    location: r.location as string,
    state: r.state as QueueRecord['state'],
    maxDispatchesPerSecond: Number(r.max_dispatches_per_second),
    maxBurstSize: Number(r.max_burst_size),
    maxConcurrentDispatches: Number(r.max_concurrent_dispatches),
    maxAttempts: Number(r.max_attempts),
    maxRetryDurationMs: Number(r.max_retry_duration_ms),
    minBackoffMs: Number(r.min_backoff_ms),
    maxBackoffMs: Number(r.max_backoff_ms),
    maxDoublings: Number(r.max_doublings),
    purgeTime: numOrNull(r.purge_time),
    loggingSamplingRatio: numOrNull(r.logging_sampling_ratio),
    fromConfig: Boolean(r.from_config),
    createdAt: Number(r.created_at),
    deletedAt: numOrNull(r.deleted_at),
  };
}

/** Column values of a queue row, in QUEUE_COLUMNS order (without the bucket). */
export function queueValues(q: QueueRecord): unknown[] {
  return [
    q.id,
    q.project,
    q.location,
    q.state,
    q.maxDispatchesPerSecond,
    q.maxBurstSize,
    q.maxConcurrentDispatches,
    q.maxAttempts,
    q.maxRetryDurationMs,
    q.minBackoffMs,
    q.maxBackoffMs,
    q.maxDoublings,
    q.purgeTime,
    q.loggingSamplingRatio,
    q.fromConfig,
    q.createdAt,
    q.deletedAt,
  ];
}

export const QUEUE_COLUMNS = [
  'id',
  'project',
  'location',
  'state',
  'max_dispatches_per_second',
  'max_burst_size',
  'max_concurrent_dispatches',
  'max_attempts',
  'max_retry_duration_ms',
  'min_backoff_ms',
  'max_backoff_ms',
  'max_doublings',
  'purge_time',
  'logging_sampling_ratio',
  'from_config',
  'created_at',
  'deleted_at',
] as const;

export function taskFromRow(r: Row): TaskRecord {
  return {
    seq: Number(r.seq),
    queue: r.queue as string,
    id: r.id as string,
    named: Boolean(r.named),
    httpRequest: json(r.http_request),
    scheduleTime: Number(r.schedule_time),
    createTime: Number(r.create_time),
    dispatchDeadlineMs: Number(r.dispatch_deadline_ms),
    dispatchCount: Number(r.dispatch_count),
    responseCount: Number(r.response_count),
    executionCount: Number(r.execution_count),
    firstAttemptAt: numOrNull(r.first_attempt_at),
    lastAttempt: r.last_attempt === null || r.last_attempt === undefined ? null : json(r.last_attempt),
    state: r.state as TaskRecord['state'],
    leaseId: (r.lease_id as string | null) ?? null,
    nextAt: Number(r.next_at),
    finishedAt: numOrNull(r.finished_at),
  };
}

export function attemptFromRow(r: Row): AttemptRecord {
  return {
    taskSeq: Number(r.task_seq),
    queue: r.queue as string,
    taskId: r.task_id as string,
    attempt: Number(r.attempt),
    scheduleTime: Number(r.schedule_time),
    dispatchTime: Number(r.dispatch_time),
    responseTime: numOrNull(r.response_time),
    httpStatus: numOrNull(r.http_status),
    latencyMs: Number(r.latency_ms),
    denial: (r.denial as string | null) ?? null,
    error: (r.error as string | null) ?? null,
    worker: r.worker as string,
  };
}

/** The bucket refilled up to `now`: Google's token bucket (rate tokens/s, capped at the burst size). */
export function refill(tokens: number, tokensAt: number, now: number, rate: number, burst: number): number {
  return Math.min(burst, tokens + (Math.max(0, now - tokensAt) * rate) / 1000);
}

/**
 * How many tasks a claim may take: whole tokens, free concurrency slots, and the caller's batch.
 * A tiny sliver of tokens is not worth a round trip while a backlog waits, so with a backlog a
 * claim waits until ~10 ms of rate has accrued (see `wakeForTokens`).
 */
export function claimable(tokens: number, inFlight: number, maxConcurrent: number, max: number): number {
  return Math.max(0, Math.min(Math.floor(tokens), maxConcurrent - inFlight, max));
}

/** When the bucket next holds enough tokens for a worthwhile claim (≥ 1, or ~10 ms of rate). */
export function wakeForTokens(tokens: number, now: number, rate: number, burst: number): number {
  const want = Math.max(1, Math.min(burst, rate / 100));
  return now + Math.max(1, Math.ceil(((want - tokens) * 1000) / rate));
}

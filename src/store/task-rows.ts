// Row ⇄ record mapping and the token-bucket arithmetic shared by both Cloud Tasks stores, so the
// SQLite and PostgreSQL claims compute exactly the same thing.

import { randomUUID } from 'node:crypto';
import { json, numOrNull, type Row } from './core-rows.js';
import { attemptFieldsFromRow } from './dispatch-attempts.js';
import type { AttemptRecord, Claim, Completion, NewTask, QueueRecord, TaskRecord, TaskState } from './task-store.js';
import type { AllOf } from '../lib/all-of.js';


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

/** Columns of a new queue row: QUEUE_COLUMNS, then its token bucket. */
export const QUEUE_INSERT_COLUMNS = [...QUEUE_COLUMNS, 'tokens', 'tokens_at'] as const;

/** Values for QUEUE_INSERT_COLUMNS: a new queue's bucket starts full at `tokensAt`. */
export const queueInsertValues = (q: QueueRecord, tokensAt: number): unknown[] => [...queueValues(q), q.maxBurstSize, tokensAt];

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
    ...attemptFieldsFromRow(r),
  };
}

/** A new task's record, as inserted with sequence number `seq`. */
export function newTaskRecord(t: NewTask, seq: number): TaskRecord {
  // Field by field: on Node 20 a literal that begins with a spread takes V8's slow path for each property it
  // adds (docs/performance.md, "Object literals that begin with a spread").
  return {
    seq,
    queue: t.queue,
    id: t.id,
    named: t.named,
    httpRequest: t.httpRequest,
    scheduleTime: t.scheduleTime,
    createTime: t.createTime,
    dispatchDeadlineMs: t.dispatchDeadlineMs,
    dispatchCount: 0,
    responseCount: 0,
    executionCount: 0,
    firstAttemptAt: null,
    lastAttempt: null,
    state: 'queued',
    leaseId: null,
    nextAt: t.scheduleTime,
    finishedAt: null,
  } satisfies AllOf<TaskRecord>;
}

/** Whether `existing` still holds its name: queued, or a tombstone younger than the reuse window. */
export const holdsName = (existing: TaskRecord, now: number, reuseWindowMs: number): boolean =>
  existing.state === 'queued' || (existing.finishedAt ?? 0) + reuseWindowMs > now;

/**
 * A new lease ID, tagged with the store handle that takes it (`OWNER:UUID`): at start, a process releases
 * the leases of handles that are gone and only those (TaskStore.releaseOrphanedLeases).
 */
export const newLeaseId = (owner: string): string => `${owner}:${randomUUID()}`;

/** When a lease taken at `now` expires: the attempt's deadline plus the grace. */
const leaseExpiry = (t: TaskRecord, now: number, leaseGraceMs: number): number => now + t.dispatchDeadlineMs + leaseGraceMs;

/** `t` as leased at `now` under `leaseId` (what the lease UPDATE writes). */
export function leased(t: TaskRecord, leaseId: string, now: number, leaseGraceMs: number): TaskRecord {
  return { ...t, leaseId, nextAt: leaseExpiry(t, now, leaseGraceMs), dispatchCount: t.dispatchCount + 1, firstAttemptAt: t.firstAttemptAt ?? now };
}

/** The row state a completion writes: a retry stays queued; done and failed are tombstones. */
export const completedState = (c: Completion): TaskState => (c.outcome === 'retry' ? 'queued' : c.outcome);

/** finished_at of a completion: when a tombstone's name-reuse window starts (null while retrying). */
export const completedAt = (c: Completion): number | null => (c.outcome === 'retry' ? null : c.lastAttempt.responseTime ?? c.attempt.dispatchTime);

/** A running queue's limits and its token bucket, refilled for a claim at `now`. */
export interface Bucket {
  rate: number;
  burst: number;
  maxConcurrent: number;
  /** The bucket's new clock (tokens_at to write back). */
  at: number;
  tokens: number;
}

/** Google's token bucket (rate tokens/s, capped at the burst size) of a locked queue row, refilled up to `now`. */
export function openBucket(qr: Row, now: number): Bucket {
  const rate = Number(qr.max_dispatches_per_second);
  const burst = Number(qr.max_burst_size);
  const tokensAt = Number(qr.tokens_at);
  // The bucket's clock never runs backwards: a claim that computed `now` before waiting for
  // the row lock must not re-credit time another process already refilled.
  const at = Math.max(now, tokensAt);
  const tokens = Math.min(burst, Number(qr.tokens) + (Math.max(0, at - tokensAt) * rate) / 1000);
  return { rate, burst, maxConcurrent: Number(qr.max_concurrent_dispatches), at, tokens };
}

/**
 * How many tasks a claim may take: whole tokens, free concurrency slots, and the caller's batch.
 * A tiny sliver of tokens is not worth a round trip while a backlog waits, so with a backlog a
 * claim waits until ~10 ms of rate has accrued (see `wakeForTokens`).
 */
export function claimable(b: Bucket, inFlight: number, max: number): number {
  return Math.max(0, Math.min(Math.floor(b.tokens), b.maxConcurrent - inFlight, max));
}

/** When the bucket next holds enough tokens for a worthwhile claim (≥ 1, or ~10 ms of rate). */
function wakeForTokens(b: Bucket, now: number): number {
  const want = Math.max(1, Math.min(b.burst, b.rate / 100));
  return now + Math.max(1, Math.ceil(((want - b.tokens) * 1000) / b.rate));
}

/**
 * When the queue should be claimed again after a claim at `now` that took `taken` tasks (already
 * spent from `b`), given the earliest next_at among its queued tasks (`next`, null when none).
 */
export function nextWake(b: Bucket, now: number, inFlight: number, taken: number, next: unknown): Pick<Claim, 'wakeAt' | 'saturated'> {
  const wakeAt = next === null || next === undefined ? null : Number(next);
  if (wakeAt === null || wakeAt > now) return { wakeAt, saturated: false };
  // More is due right now: what holds it back?
  if (inFlight + taken >= b.maxConcurrent) return { wakeAt: null, saturated: true };
  if (b.tokens < 1) return { wakeAt: wakeForTokens(b, now), saturated: false };
  return { wakeAt: now, saturated: false };
}

// Row ⇄ record mapping and the lease arithmetic shared by both Cloud Scheduler stores, so the SQLite and
// PostgreSQL claims compute exactly the same thing.

import { json, numOrNull, type Row } from './core-rows.js';
import type { JobRecord } from './scheduler-store.js';


export const JOB_COLUMNS = [
  'id',
  'project',
  'location',
  'description',
  'http_target',
  'schedule',
  'time_zone',
  'retry_count',
  'max_retry_duration_ms',
  'min_backoff_ms',
  'max_backoff_ms',
  'max_doublings',
  'attempt_deadline_ms',
  'state',
  'from_config',
  'created_at',
  'user_update_time',
  'version',
  'schedule_time',
  'retry_at',
  'execution',
  'lease_id',
  'next_at',
  'last_attempt_time',
  'status',
] as const;

/** Values in JOB_COLUMNS order (JSON columns as text; booleans as given). */
export function jobValues(j: JobRecord): unknown[] {
  return [
    j.id,
    j.project,
    j.location,
    j.description,
    JSON.stringify(j.httpTarget),
    j.schedule,
    j.timeZone,
    j.retryCount,
    j.maxRetryDurationMs,
    j.minBackoffMs,
    j.maxBackoffMs,
    j.maxDoublings,
    j.attemptDeadlineMs,
    j.state,
    j.fromConfig,
    j.createdAt,
    j.userUpdateTime,
    j.version,
    j.scheduleTime,
    j.retryAt,
    j.execution === null ? null : JSON.stringify(j.execution),
    j.leaseId,
    j.nextAt,
    j.lastAttemptTime,
    j.status === null ? null : JSON.stringify(j.status),
  ];
}

export function jobFromRow(r: Row): JobRecord {
  return {
    id: r.id as string,
    project: r.project as string,
    location: r.location as string,
    description: r.description as string,
    httpTarget: json(r.http_target),
    schedule: r.schedule as string,
    timeZone: r.time_zone as string,
    retryCount: Number(r.retry_count),
    maxRetryDurationMs: Number(r.max_retry_duration_ms),
    minBackoffMs: Number(r.min_backoff_ms),
    maxBackoffMs: Number(r.max_backoff_ms),
    maxDoublings: Number(r.max_doublings),
    attemptDeadlineMs: Number(r.attempt_deadline_ms),
    state: r.state as JobRecord['state'],
    fromConfig: Boolean(r.from_config),
    createdAt: Number(r.created_at),
    userUpdateTime: Number(r.user_update_time),
    version: Number(r.version),
    scheduleTime: Number(r.schedule_time),
    retryAt: numOrNull(r.retry_at),
    execution: r.execution === null || r.execution === undefined ? null : json(r.execution),
    leaseId: (r.lease_id as string | null) ?? null,
    nextAt: Number(r.next_at),
    lastAttemptTime: numOrNull(r.last_attempt_time),
    status: r.status === null || r.status === undefined ? null : json(r.status),
  };
}

/** Whether an attempt of `j` is in flight at `now` (its lease has not expired). */
export const inFlight = (j: JobRecord, now: number): boolean => j.leaseId !== null && j.nextAt > now;

/**
 * `j` as a claim at `now` leases it: a due run by the schedule starts a new execution (even over a pending
 * retry: retries stop at the next scheduled run), else the pending retry (or, after a lease expired, the
 * attempt that was lost) is the execution's next attempt.
 * `forced` (RunJob) always starts a new execution at `now`.
 */
export function leasedJob(j: JobRecord, leaseId: string, now: number, leaseGraceMs: number, forced = false): JobRecord {
  // A run by the schedule is new when it is due and later than the execution in progress (whose own scheduled
  // time stays in scheduleTime until its first attempt completes: a lease that expired continues it).
  const newRun = forced || j.execution === null || (j.scheduleTime <= now && j.scheduleTime > j.execution.scheduleTime);
  const scheduled = forced ? now : j.scheduleTime;
  const execution = newRun
    ? { scheduleTime: scheduled, dueAt: scheduled, firstAttemptAt: now, attempts: 1, forced }
    : { ...j.execution!, dueAt: j.retryAt ?? now, attempts: j.execution!.attempts + 1 };
  return { ...j, execution, retryAt: null, leaseId, nextAt: now + j.attemptDeadlineMs + leaseGraceMs };
}

// The Cloud Scheduler part of the store: jobs and their attempts. SQLite (sqlite-scheduler.ts) and PostgreSQL
// (postgres-scheduler.ts) implement it; all times are epoch milliseconds.
//
// A job's execution state lives in its row, as a task's does: `scheduleTime` is the next run by the
// schedule, `retryAt` a pending retry of the current execution, and a claim takes a lease (nextAt moves to the
// lease's expiry) so two executions of a job never overlap (Google: "never allow two simultaneously
// outstanding executions"). The schedule itself (cron, time zone) is computed by the product, never in SQL.

import type { DispatchAttemptRecord } from './dispatch-attempts.js';
import type { HttpTarget } from './task-store.js';

export type JobState = 'ENABLED' | 'PAUSED' | 'DISABLED' | 'UPDATE_FAILED';

/** What the user sets (CreateJob, UpdateJob, authplane.yaml). */
export interface JobSettings {
  description: string;
  httpTarget: HttpTarget;
  schedule: string;
  /** A tz database name ("utc" accepted, as Google documents). */
  timeZone: string;
  /** Retries after the first attempt (0–5). */
  retryCount: number;
  /** 0 = no limit. */
  maxRetryDurationMs: number;
  minBackoffMs: number;
  maxBackoffMs: number;
  maxDoublings: number;
  attemptDeadlineMs: number;
}

/** The execution in progress: its scheduled time, its first attempt, how many attempts so far. */
export interface JobExecution {
  scheduleTime: number;
  /** When the current attempt was due: the scheduled time for the first, the retry time for a retry. */
  dueAt: number;
  firstAttemptAt: number;
  attempts: number;
  /** Started by RunJob (not by the schedule): the next scheduled run stays where it was. */
  forced: boolean;
}

/** The last attempt's outcome as Job.status reports it (google.rpc.Status: code 0 = OK). */
export interface JobStatus {
  code: number;
}

export interface JobRecord extends JobSettings {
  /** JOB_ID (the last segment of projects/P/locations/L/jobs/ID); unique in the emulator. */
  id: string;
  project: string;
  location: string;
  state: JobState;
  /** Declared in authplane.yaml (re-applied at every start). */
  fromConfig: boolean;
  createdAt: number;
  userUpdateTime: number;
  /** Bumped by every user change: a completion of an attempt claimed before it writes no schedule back. */
  version: number;
  /** The next run by the schedule. */
  scheduleTime: number;
  /** A pending retry of the current execution. */
  retryAt: number | null;
  execution: JobExecution | null;
  /** Set while an attempt is in flight. */
  leaseId: string | null;
  /** When the row is next due for a claim: min(retryAt, scheduleTime), or the lease's expiry while leased. */
  nextAt: number;
  lastAttemptTime: number | null;
  status: JobStatus | null;
}

/** The result of one attempt of a job. */
export interface JobCompletion {
  id: string;
  /** The lease it was claimed under; null for a RunJob attempt sent beside a running execution. */
  leaseId: string | null;
  /** The job's version at the claim: a user change since then keeps its own schedule. */
  version: number;
  lastAttemptTime: number;
  status: JobStatus;
  /** What comes next (written only under the lease and at the same version). */
  scheduleTime: number;
  retryAt: number | null;
  execution: JobExecution | null;
  nextAt: number;
  attempt: DispatchAttemptRecord;
}

export interface JobClaim {
  jobs: JobRecord[];
  /** When a job is next due (a run, a retry, or a lease's expiry); null when none is enabled. */
  wakeAt: number | null;
}

export interface SchedulerStore {
  /** Inserts `job` unless its ID is taken. */
  createJob(job: JobRecord): Promise<'created' | 'exists'>;
  getJob(id: string): Promise<JobRecord | null>;
  /** Every job, by ID. */
  listJobs(): Promise<JobRecord[]>;
  /**
   * Replaces settings, state and schedule of an existing job (version and userUpdateTime as given). While an
   * attempt is in flight its lease and nextAt stay. Null when the job does not exist.
   */
  updateJob(job: JobRecord): Promise<JobRecord | null>;
  deleteJob(id: string): Promise<boolean>;
  /**
   * Atomically leases up to `max` enabled jobs due at `now`, each until now + attemptDeadline + `leaseGraceMs`:
   * a due scheduleTime starts a new execution (it wins over a pending retry); a due retryAt is the next attempt.
   */
  claim(now: number, max: number, leaseGraceMs: number): Promise<JobClaim>;
  /**
   * RunJob: leases the job now with a new execution (forced), whatever its state and schedule; 'in-flight' when
   * an attempt holds the lease (RunJob then sends one beside it, unleased).
   */
  claimNow(id: string, now: number, leaseGraceMs: number): Promise<JobRecord | 'missing' | 'in-flight'>;
  /** Writes attempts' outcomes in one transaction; every attempt is recorded, schedules only under their lease and version. */
  complete(results: JobCompletion[]): Promise<void>;
  /** A job's recorded attempts, oldest first. */
  listAttempts(id: string): Promise<DispatchAttemptRecord[]>;
  /** SQLite (one process owns the file): at start, leases left behind are a dead process's; due again now. */
  releaseOrphanedLeases?(now: number): Promise<number>;
  /** Drops attempts older than the retention period. */
  sweep(now: number, retentionMs: number): Promise<void>;
}

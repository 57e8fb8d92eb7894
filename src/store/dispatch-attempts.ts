// Attempts of Google's callers other than Cloud Tasks (Cloud Scheduler jobs, Pub/Sub pushes) share one
// table, dispatch_attempts: the record, its row mapping and the INSERT every backend uses.

import { numOrNull, type Row } from './core-rows.js';

/** What every recorded attempt of Google's callers holds, whichever table keeps it (task_attempts, dispatch_attempts). */
export interface AttemptFields {
  /** 1-based. */
  attempt: number;
  /** When the attempt was due. */
  scheduleTime: number;
  dispatchTime: number;
  responseTime: number | null;
  /** null when no response arrived (deadline, connection error). */
  httpStatus: number | null;
  latencyMs: number;
  /** The front door's refusal code (x-authplane-denial), when it refused. */
  denial: string | null;
  /** The front door's request id (x-authplane-request-id): its request-log entry explains the refusal. */
  frontDoorRequestId: string | null;
  /** Why no response arrived (or why no token was attached). */
  error: string | null;
  /** Which process sent it (host:pid:random). */
  worker: string;
}

/** The AttemptFields columns of a row (the same names in both attempt tables). */
export const attemptFieldsFromRow = (r: Row): AttemptFields => ({
  attempt: Number(r.attempt),
  scheduleTime: Number(r.schedule_time),
  dispatchTime: Number(r.dispatch_time),
  responseTime: numOrNull(r.response_time),
  httpStatus: numOrNull(r.http_status),
  latencyMs: Number(r.latency_ms),
  denial: (r.denial as string | null) ?? null,
  frontDoorRequestId: (r.request_id as string | null) ?? null,
  error: (r.error as string | null) ?? null,
  worker: r.worker as string,
});

export interface DispatchAttemptRecord extends AttemptFields {
  /** cloudscheduler | pubsub. */
  product: 'cloudscheduler' | 'pubsub';
  /** The job ID, the subscription ID. */
  resource: string;
  /** What within the resource: the execution's schedule time (epoch ms, as text) of a job, a push's message ID. */
  item: string;
}

export const DISPATCH_ATTEMPT_COLUMNS = [
  'product',
  'resource',
  'item',
  'attempt',
  'schedule_time',
  'dispatch_time',
  'response_time',
  'http_status',
  'latency_ms',
  'denial',
  'request_id',
  'error',
  'worker',
] as const;

/** Values in DISPATCH_ATTEMPT_COLUMNS order. */
export const dispatchAttemptValues = (a: DispatchAttemptRecord): unknown[] => [
  a.product,
  a.resource,
  a.item,
  a.attempt,
  a.scheduleTime,
  a.dispatchTime,
  a.responseTime,
  a.httpStatus,
  a.latencyMs,
  a.denial,
  a.frontDoorRequestId,
  a.error,
  a.worker,
];

export const dispatchAttemptFromRow = (r: Row): DispatchAttemptRecord => ({
  product: r.product as DispatchAttemptRecord['product'],
  resource: r.resource as string,
  item: r.item as string,
  ...attemptFieldsFromRow(r),
});

/** `INSERT INTO dispatch_attempts …` with placeholders made by `ph(i)` (SQLite `?`, PostgreSQL `$i`). */
export const insertDispatchAttemptSql = (ph: (i: number) => string): string =>
  `INSERT INTO dispatch_attempts (${DISPATCH_ATTEMPT_COLUMNS.join(', ')}) VALUES (${DISPATCH_ATTEMPT_COLUMNS.map((_, i) => ph(i + 1)).join(', ')})`;

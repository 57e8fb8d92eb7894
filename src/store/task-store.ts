// The Cloud Tasks part of the store: queues, tasks and attempts. Its own interface (and its own
// implementation files per backend) because it is the largest and busiest part: claiming attempts
// atomically is the hot path of dispatch. SQLite (src/store/sqlite-tasks.ts) and PostgreSQL
// (src/store/postgres-tasks.ts) implement it; all times are epoch milliseconds.
//
// Lock state lives in the task row (graphile-worker style): a claimed task gets a fresh `leaseId`
// and its `nextAt` moves to the lease's expiry. A completion only lands while its lease is current,
// and a process that dies mid-attempt leaves a lease that expires (the task is due again), or that the
// next process to start releases at once (releaseOrphanedLeases).

export type QueueState = 'RUNNING' | 'PAUSED' | 'DISABLED';

export interface QueueRecord {
  /** The queue ID (last segment of projects/P/locations/L/queues/ID); unique in the emulator. */
  id: string;
  project: string;
  location: string;
  state: QueueState;
  maxDispatchesPerSecond: number;
  /** Token-bucket size (output-only on Google). */
  maxBurstSize: number;
  maxConcurrentDispatches: number;
  /** −1 = unlimited. */
  maxAttempts: number;
  /** 0 = unlimited. */
  maxRetryDurationMs: number;
  minBackoffMs: number;
  maxBackoffMs: number;
  maxDoublings: number;
  purgeTime: number | null;
  loggingSamplingRatio: number | null;
  /** Declared in authplane.yaml (re-applied at every start). */
  fromConfig: boolean;
  createdAt: number;
  /** Set when deleted: the name stays blocked for a while, as on Google. */
  deletedAt: number | null;
}

export type HttpMethodName = 'POST' | 'GET' | 'HEAD' | 'PUT' | 'DELETE' | 'PATCH' | 'OPTIONS';

/** What to send: Cloud Tasks' HttpRequest, normalized. */
export interface HttpTarget {
  url: string;
  httpMethod: HttpMethodName;
  headers: Record<string, string>;
  /** base64, or null. */
  body: string | null;
  oidcToken?: { serviceAccountEmail: string; audience: string };
  oauthToken?: { serviceAccountEmail: string; scope: string };
}

/** The last attempt as Task.lastAttempt reports it. */
export interface AttemptSummary {
  scheduleTime: number;
  dispatchTime: number;
  responseTime: number | null;
  /** HTTP status, or null when no response arrived (timeout, connection refused). */
  httpStatus: number | null;
  /** Why no response arrived (timeout, connection error). */
  error: string | null;
}

/** queued = waiting or in flight; done / failed / deleted = a tombstone that keeps the name reserved. */
export type TaskState = 'queued' | 'done' | 'failed' | 'deleted';

export interface TaskRecord {
  /** Store-wide sequence: the row's identity (a name may be reused after the dedup window). */
  seq: number;
  queue: string;
  id: string;
  /** The creator chose the name (only such tasks are deduplicated). */
  named: boolean;
  httpRequest: HttpTarget;
  /** When the next attempt is due (Google moves scheduleTime forward on retries). */
  scheduleTime: number;
  createTime: number;
  dispatchDeadlineMs: number;
  dispatchCount: number;
  responseCount: number;
  /** Responses other than 5xx: X-CloudTasks-TaskExecutionCount. */
  executionCount: number;
  firstAttemptAt: number | null;
  lastAttempt: AttemptSummary | null;
  state: TaskState;
  /** Set while an attempt is in flight. */
  leaseId: string | null;
  /** When the row is next due for a claim: scheduleTime, or the lease's expiry while leased. */
  nextAt: number;
  finishedAt: number | null;
}

/** What a create supplies; the store assigns the rest. */
export type NewTask = Pick<TaskRecord, 'queue' | 'id' | 'named' | 'httpRequest' | 'scheduleTime' | 'createTime' | 'dispatchDeadlineMs'>;

/** One recorded attempt: its summary, plus which task, how long, and who sent it. */
export interface AttemptRecord extends AttemptSummary {
  taskSeq: number;
  queue: string;
  taskId: string;
  /** 1-based. */
  attempt: number;
  latencyMs: number;
  /** The front door's refusal code (x-authplane-denial), when it refused. */
  denial: string | null;
  /** The front door's request id (x-authplane-request-id): its request-log entry explains the refusal. */
  frontDoorRequestId: string | null;
  /** Which process dispatched it (host:pid). */
  worker: string;
}

/** The result of one attempt, written back with the lease it was claimed under. */
export interface Completion {
  seq: number;
  leaseId: string;
  /** done = 2xx; failed = retries exhausted (the task is deleted); retry = due again at nextAt. */
  outcome: 'done' | 'failed' | 'retry';
  nextAt: number;
  responseCount: number;
  executionCount: number;
  lastAttempt: AttemptSummary;
  attempt: AttemptRecord;
}

export interface Claim {
  /** The queue as of the claim (its retry policy governs the attempts); null when gone. */
  queue: QueueRecord | null;
  tasks: TaskRecord[];
  /** Due tasks wait only for a free concurrency slot (a completion should wake the queue). */
  saturated: boolean;
  /**
   * When this queue should be claimed again (epoch ms): the next due task, or when the token
   * bucket holds a token again; null = nothing to do until something changes (a new task, a
   * completion freeing a concurrency slot, a resume).
   */
  wakeAt: number | null;
}

export type CreateQueueResult = 'created' | 'exists' | 'recently-deleted';

/** What a notification says: a task is due, or the queue runs (so a dispatcher that saw it paused claims again). */
export type QueueNews = 'task' | 'running';
export type InsertTaskResult =
  | { ok: true; task: TaskRecord }
  | { ok: false; existing: TaskRecord; queueMissing?: undefined }
  /** Asked for a live queue (insertTask's `queueLocation`), and there is none. */
  | { ok: false; queueMissing: true; existing?: undefined };

export interface TaskStore {
  // Queues ------------------------------------------------------------------
  /** Inserts `q` unless its ID is taken, or was deleted less than `reuseBlockMs` ago. */
  createQueue(q: QueueRecord, now: number, reuseBlockMs: number): Promise<CreateQueueResult>;
  /** Inserts or refreshes a queue declared in config (a deleted one comes back). */
  upsertConfigQueue(q: QueueRecord): Promise<void>;
  /** The queue, tombstones included. */
  getQueue(id: string): Promise<QueueRecord | null>;
  /** Live queues, by ID. */
  listQueues(): Promise<QueueRecord[]>;
  /** Replaces the settings and state of a live queue; null when it does not exist. */
  updateQueue(q: QueueRecord): Promise<QueueRecord | null>;
  /** Tombstones the queue and deletes its tasks. */
  deleteQueue(id: string, now: number): Promise<boolean>;
  /** Deletes every queued task created at or before `now` (tombstones them); returns the count. */
  purgeQueue(id: string, now: number): Promise<number>;

  // Tasks -------------------------------------------------------------------
  /**
   * Inserts the task unless its name is taken by a queued task or a tombstone younger than
   * `reuseWindowMs`; an older tombstone is replaced. With `queueLocation`, only while the task's queue exists
   * there and is not deleted (`{ ok: false, queueMissing: true }` otherwise), checked with the insert: a
   * create needs no read of its own for it.
   */
  insertTask(t: NewTask, now: number, reuseWindowMs: number, queueLocation?: string): Promise<InsertTaskResult>;
  /** Task by name, tombstones included. */
  getTask(queue: string, id: string): Promise<TaskRecord | null>;
  /** Queued tasks of a queue after `afterSeq`, by seq. */
  listTasks(queue: string, afterSeq: number, limit: number): Promise<TaskRecord[]>;
  /** Tombstones a queued task ('deleted'), or reports why not. */
  deleteTask(queue: string, id: string, now: number): Promise<'deleted' | 'missing' | 'tombstone'>;

  // Dispatch ----------------------------------------------------------------
  /**
   * Atomically claims up to `max` due tasks of a running queue, within its shared token bucket and
   * its maxConcurrentDispatches (counted over every process): each gets a new lease until
   * now + dispatchDeadline + `leaseGraceMs` and its dispatchCount incremented.
   */
  claim(queue: string, now: number, max: number, leaseGraceMs: number): Promise<Claim>;
  /** RunTask: claims one queued task now, paused queue and rate limits notwithstanding; null if not claimable (missing or in flight). */
  claimNow(queue: string, id: string, now: number, leaseGraceMs: number): Promise<TaskRecord | 'missing' | 'in-flight'>;
  /** Writes attempts' outcomes (in one transaction); completions whose lease was lost are ignored (their attempt is still recorded). */
  complete(results: Completion[]): Promise<void>;
  /** Recorded attempts of a task (every generation of the name), oldest first. */
  listAttempts(queue: string, taskId: string): Promise<AttemptRecord[]>;
  /**
   * Other processes' news (PostgreSQL LISTEN/NOTIFY): `fn(queue, at, 'task')` when a task becomes due
   * at `at`, `fn(queue, at, 'running')` when a queue starts running (created, resumed, updated while
   * running). Absent on SQLite, where one process owns the file. Resolves to an unsubscribe function.
   */
  subscribe?(fn: (queue: string, at: number, news: QueueNews) => void): Promise<() => Promise<void>>;
  /**
   * At start: makes due (at `now`, or earlier if their lease already expired) the leased tasks whose lease
   * was taken by a store handle that is gone — closed, or its process died — and never a live handle's,
   * so a process starting beside another never re-dispatches the other's attempts in flight. Lease IDs
   * carry their handle's tag; SQLite knows the live handles because one process owns the file
   * (sqlite-owner.ts), PostgreSQL by the handles' advisory locks (postgres-presence.ts). Returns how many.
   */
  releaseOrphanedLeases(now: number): Promise<number>;
  /** Drops tombstones older than the reuse window, attempts older than retention, expired queue tombstones. */
  sweep(now: number, reuseWindowMs: number, retentionMs: number, queueTombstoneMs: number): Promise<void>;
}

// Cloud Tasks on the shared dispatcher (dispatch/dispatcher.ts): a lane is a queue, the store claims within
// the queue's shared token bucket and concurrency, and what is Tasks' own lives here — the headers Cloud
// Tasks sends (REFERENCE §7), success = 2xx, RetryConfig (maxAttempts and maxRetryDuration must both be
// exhausted; 429/503 back off harder and honour Retry-After).

import type { DispatchSource, LaneClaim, LaneStatus, Settled } from '../dispatch/dispatcher.js';
import { MAX_REDIRECTS, type AttemptOutcome, type HttpAttemptRequest } from '../dispatch/http-attempt.js';
import type { AttemptPreview } from '../dispatch/attempt-preview.js';
import type { Platform } from '../platform.js';
import type { AttemptRecord, Completion, QueueNews, QueueRecord, TaskRecord } from '../store/task-store.js';
import type { AllOf } from '../lib/all-of.js';
import { targetToken } from '../dispatch/http-target.js';
import { taskName } from './names.js';
import { nextDelayMs, retriesExhausted, retryAfterMs } from './retry.js';

/** A claimed task and the queue whose retry policy governs it. */
export interface ClaimedTask {
  task: TaskRecord;
  queue: QueueRecord;
}

/** How long a deleted queue's name stays blocked (Google: 7 days). */
export const QUEUE_TOMBSTONE_MS = 7 * 24 * 3_600_000;

/** A lease lasts dispatchDeadline + this, so a crashed process's attempts become due again. */
export const LEASE_GRACE_MS = 30_000;

/** Headers Cloud Tasks computes or reserves: a task's own values for these are dropped. */
const RESERVED = /^(host|content-length|user-agent|x-google-.*|x-appengine-.*|x-cloudtasks-.*|transfer-encoding|connection)$/i;

/** X-CloudTasks-TaskETA: seconds since the epoch, fractional. */
const etaHeader = (ms: number): string => (ms / 1000).toFixed(6);

const iso = (ms: number) => new Date(ms).toISOString();

export class TasksSource implements DispatchSource<ClaimedTask, Completion> {
  readonly product = 'cloudtasks' as const;

  constructor(
    private readonly platform: Platform,
    readonly worker: string,
  ) {}

  private get store() {
    return this.platform.store.tasks;
  }

  async lanes(): Promise<LaneStatus[]> {
    return (await this.store.listQueues()).map((q) => ({ id: q.id, running: q.state === 'RUNNING' }));
  }

  async claim(lane: string, now: number, max: number): Promise<LaneClaim<ClaimedTask>> {
    const c = await this.store.claim(lane, now, max, LEASE_GRACE_MS);
    const queue = c.queue;
    if (queue === null || queue.state !== 'RUNNING' || queue.deletedAt !== null) return { running: false, items: [], saturated: false, wakeAt: null };
    return { running: true, items: c.tasks.map((task) => ({ task, queue })), saturated: c.saturated, wakeAt: c.wakeAt };
  }

  laneOf(item: ClaimedTask): string {
    return item.queue.id;
  }

  request({ task, queue }: ClaimedTask): HttpAttemptRequest {
    const hr = task.httpRequest;
    const token = targetToken(hr);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(hr.headers)) if (!RESERVED.test(k)) headers[k] = v;
    headers['User-Agent'] = 'Google-Cloud-Tasks';
    headers['X-CloudTasks-QueueName'] = queue.id;
    headers['X-CloudTasks-TaskName'] = task.id;
    // dispatchCount already counts this attempt (the claim incremented it).
    headers['X-CloudTasks-TaskRetryCount'] = String(task.dispatchCount - 1);
    headers['X-CloudTasks-TaskExecutionCount'] = String(task.executionCount);
    headers['X-CloudTasks-TaskETA'] = etaHeader(task.scheduleTime);
    if (task.lastAttempt) {
      if (task.lastAttempt.httpStatus !== null) headers['X-CloudTasks-TaskPreviousResponse'] = String(task.lastAttempt.httpStatus);
      // Recorded traffic shows it empty for HTTP targets.
      headers['X-CloudTasks-TaskRetryReason'] = '';
    }
    return {
      url: hr.url,
      method: hr.httpMethod,
      headers,
      ...(hr.body ? { body: Buffer.from(hr.body, 'base64') } : {}),
      ...(token ? { token } : {}),
      deadlineMs: task.dispatchDeadlineMs,
      // target.proto (HttpRequest): "The Location header response from a redirect response [`300` - `399`] may
      // be followed. The redirect is not counted as a separate attempt." authplane follows (docs/tasks.md).
      followRedirects: MAX_REDIRECTS,
    };
  }

  /** What task `QUEUE/TASK`'s next attempt would send (`explain --task`). */
  async preview(id: string): Promise<AttemptPreview | undefined> {
    const [queueId, taskId, ...rest] = id.split('/');
    if (!queueId || !taskId || rest.length) return undefined;
    const [queue, task] = await Promise.all([this.store.getQueue(queueId), this.store.getTask(queueId, taskId)]);
    if (!queue || !task) return undefined;
    // A claim counts the attempt it hands out; the preview is of that attempt.
    const next = { ...task, dispatchCount: task.dispatchCount + 1 };
    return { caller: 'Cloud Tasks', resource: taskName({ project: this.platform.config.project.id, location: queue.location, queue: queue.id, task: task.id }), request: this.request({ task: next, queue }) };
  }

  settle({ task, queue }: ClaimedTask, o: AttemptOutcome): Settled<Completion> {
    const ok = o.httpStatus !== null && o.httpStatus >= 200 && o.httpStatus < 300;
    const now = o.responseTime ?? this.platform.clock();
    const responded = o.httpStatus !== null;
    let outcome: Completion['outcome'] = 'done';
    let nextAt = now;
    let retryReason: string | undefined;
    if (!ok) {
      const failures = task.dispatchCount;
      if (retriesExhausted(queue, failures, task.firstAttemptAt ?? o.dispatchTime, now)) {
        outcome = 'failed';
        retryReason = `no retry: maxAttempts (${queue.maxAttempts}) reached${queue.maxRetryDurationMs > 0 ? ` and maxRetryDuration (${queue.maxRetryDurationMs / 1000}s) passed` : ''}`;
      } else {
        outcome = 'retry';
        const retryAfter = retryAfterMs(o.retryAfter, now);
        const delay = nextDelayMs(queue, failures, o.httpStatus, retryAfter);
        nextAt = now + delay;
        retryReason =
          retryAfter !== undefined && delay === retryAfter
            ? `Retry-After: ${delay} ms`
            : `backoff ${delay} ms after failure ${failures}${o.httpStatus === 429 || o.httpStatus === 503 ? ` (doubled for ${o.httpStatus})` : ''}`;
      }
    }
    const lastAttempt = { scheduleTime: task.scheduleTime, dispatchTime: o.dispatchTime, responseTime: o.responseTime, httpStatus: o.httpStatus, error: o.error };
    const hr = task.httpRequest;
    const resource = taskName({ project: this.platform.config.project.id, location: queue.location, queue: queue.id, task: task.id });
    const token = hr.oidcToken ?? hr.oauthToken;
    return {
      completion: {
        seq: task.seq,
        leaseId: task.leaseId!,
        outcome,
        nextAt,
        responseCount: task.responseCount + (responded ? 1 : 0),
        executionCount: task.executionCount + (responded && o.httpStatus! < 500 ? 1 : 0),
        lastAttempt,
        // Field by field: on Node 20 a literal that begins with a spread takes V8's slow path for each property it
        // adds (docs/performance.md, "Object literals that begin with a spread").
        attempt: {
          scheduleTime: lastAttempt.scheduleTime,
          dispatchTime: lastAttempt.dispatchTime,
          responseTime: lastAttempt.responseTime,
          httpStatus: lastAttempt.httpStatus,
          error: lastAttempt.error,
          taskSeq: task.seq,
          queue: queue.id,
          taskId: task.id,
          attempt: task.dispatchCount,
          latencyMs: Math.round(o.latencyMs * 1000) / 1000,
          denial: o.denial,
          frontDoorRequestId: o.frontDoorRequestId,
          worker: this.worker,
        } satisfies AllOf<AttemptRecord>,
      },
      ...(outcome === 'retry' ? { wake: { lane: queue.id, at: nextAt } } : {}),
      describe: {
        api: 'cloudtasks.googleapis.com',
        method: hr.httpMethod,
        url: hr.url,
        resource,
        attempt: task.dispatchCount,
        target: `${hr.httpMethod} ${hr.url}`,
        scheduleTime: iso(task.scheduleTime),
        ...(outcome === 'retry' ? { retryTime: iso(nextAt) } : {}),
        ...(retryReason ? { retryReason } : {}),
        ...(token ? { principal: `serviceAccount:${token.serviceAccountEmail}` } : {}),
      },
    };
  }

  complete(batch: Completion[]): Promise<void> {
    return this.store.complete(batch);
  }

  async subscribe(fn: (lane: string, at: number, news: 'due' | 'running') => void): Promise<() => Promise<void>> {
    if (!this.store.subscribe) return async () => undefined;
    return this.store.subscribe((queue: string, at: number, news: QueueNews) => fn(queue, at, news === 'running' ? 'running' : 'due'));
  }

  releaseOrphanedLeases(now: number): Promise<number> {
    return this.store.releaseOrphanedLeases?.(now) ?? Promise.resolve(0);
  }

  async sweep(now: number): Promise<void> {
    const { nameReuseWindowMs, retentionMs } = this.platform.config.tasks;
    await this.store.sweep(now, nameReuseWindowMs, retentionMs, QUEUE_TOMBSTONE_MS);
  }
}

// The dispatcher: one per process. It claims due tasks queue by queue (the store makes each claim
// atomic and enforces the shared rate limit and concurrency), sends each attempt over HTTP, and
// writes outcomes back in batches. It sleeps on per-queue timers set to the exact time the store
// says the queue is next due, and wakes on local creates and (PostgreSQL) on NOTIFY from other
// processes; a slow safety sweep only catches what a lost notification would miss.

import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Platform } from '../platform.js';
import type { Completion, QueueRecord, TaskRecord } from '../store/task-store.js';
import { sendAttempt, type AttemptOutcome } from './http-attempt.js';
import { nextDelayMs, retriesExhausted, retryAfterMs } from './retry.js';
import { TaskTokenCache } from './token-cache.js';

export interface DispatcherOptions {
  /** Most tasks one claim takes. */
  maxBatch?: number;
  /** A lease lasts dispatchDeadline + this, so a crashed process's attempts become due again. */
  leaseGraceMs?: number;
  /** Safety sweep over every queue (missed notifications), ms. */
  safetyIntervalMs?: number;
  /** Housekeeping (tombstones, retention), ms. */
  sweepIntervalMs?: number;
}

/** How long a deleted queue's name stays blocked (Google: 7 days). */
export const QUEUE_TOMBSTONE_MS = 7 * 24 * 3_600_000;

interface QueueWake {
  timer?: NodeJS.Timeout;
  timerAt?: number;
  running: boolean;
  again: boolean;
  saturated: boolean;
  /**
   * The last claim or listing found the queue paused or gone: new tasks do not wake it (a claim
   * would find nothing), only news that it runs. Saves a claim per create on a paused queue.
   */
  idle: boolean;
  /** Bumped by news that the queue runs, so a claim that started before cannot mark it idle after. */
  epoch: number;
}

export class Dispatcher {
  readonly worker = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  readonly tokens: TaskTokenCache;
  private readonly wakes = new Map<string, QueueWake>();
  private readonly inFlight = new Set<Promise<void>>();
  private pending: Completion[] = [];
  private flushing: Promise<void> | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private intervals: NodeJS.Timeout[] = [];
  private unsubscribe: (() => Promise<void>) | undefined;
  private stopped = false;
  private readonly maxBatch: number;
  private readonly leaseGraceMs: number;
  /** Attempts sent by this process (bench, tests). */
  sent = 0;

  constructor(
    private readonly platform: Platform,
    private readonly opts: DispatcherOptions = {},
  ) {
    this.tokens = new TaskTokenCache(platform);
    this.maxBatch = opts.maxBatch ?? 200;
    this.leaseGraceMs = opts.leaseGraceMs ?? 30_000;
  }

  private get store() {
    return this.platform.store.tasks;
  }

  async start(): Promise<void> {
    await this.store.releaseOrphanedLeases?.(this.platform.clock());
    if (this.store.subscribe) {
      this.unsubscribe = await this.store.subscribe((queue, at, news) => (news === 'running' ? this.queueRuns(queue) : this.wake(queue, at)));
    }
    const safety = setInterval(() => void this.wakeAll(), this.opts.safetyIntervalMs ?? 5_000);
    const sweep = setInterval(() => void this.sweep(), this.opts.sweepIntervalMs ?? 60_000);
    safety.unref();
    sweep.unref();
    this.intervals.push(safety, sweep);
    await this.wakeAll();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const i of this.intervals) clearInterval(i);
    for (const w of this.wakes.values()) if (w.timer) clearTimeout(w.timer);
    // Let attempts in flight finish briefly; the rest keep their leases and run again elsewhere.
    await Promise.race([Promise.allSettled([...this.inFlight]), new Promise((r) => setTimeout(r, 2_000).unref())]);
    await this.flush();
    await this.unsubscribe?.();
  }

  private async wakeAll(): Promise<void> {
    if (this.stopped) return;
    try {
      // As in claimLoop: news that a queue runs, heard while the listing was on its way, wins over it.
      const epochs = new Map([...this.wakes].map(([id, w]) => [id, w.epoch]));
      for (const q of await this.store.listQueues()) {
        if (q.state === 'RUNNING') this.queueRuns(q.id);
        else {
          const w = this.wakeOf(q.id);
          if (w.epoch === (epochs.get(q.id) ?? 0)) w.idle = true;
        }
      }
    } catch (e) {
      console.error('authplane: tasks: cannot list queues:', (e as Error).message);
    }
  }

  private async sweep(): Promise<void> {
    const { nameReuseWindowMs, retentionMs } = this.platform.config.tasks;
    await this.store.sweep(this.platform.clock(), nameReuseWindowMs, retentionMs, QUEUE_TOMBSTONE_MS).catch((e: unknown) => console.error('authplane: tasks sweep:', (e as Error).message));
  }

  private wakeOf(queue: string): QueueWake {
    let w = this.wakes.get(queue);
    if (!w) this.wakes.set(queue, (w = { running: false, again: false, saturated: false, idle: false, epoch: 0 }));
    return w;
  }

  /** News that `queue` runs (created, resumed, updated): claim it again even if it was seen paused. */
  queueRuns(queue: string): void {
    const w = this.wakeOf(queue);
    w.idle = false;
    w.epoch++;
    this.wake(queue);
  }

  /** Asks for a claim on `queue` at `at` (default: now), unless the queue was last seen paused or gone. */
  wake(queue: string, at?: number): void {
    if (this.stopped) return;
    const w = this.wakeOf(queue);
    if (w.idle) return;
    const delay = at === undefined ? 0 : at - this.platform.clock();
    if (delay <= 0) {
      if (w.running) {
        w.again = true;
        return;
      }
      if (w.timer && (w.timerAt ?? 0) <= Date.now()) return; // an immediate claim is already queued
      this.setTimer(queue, w, 0);
      return;
    }
    if (w.timer && w.timerAt !== undefined && w.timerAt <= Date.now() + delay) return;
    this.setTimer(queue, w, delay);
  }

  private setTimer(queue: string, w: QueueWake, delay: number): void {
    if (w.timer) clearTimeout(w.timer);
    w.timerAt = Date.now() + delay;
    w.timer = setTimeout(() => {
      w.timer = undefined;
      w.timerAt = undefined;
      void this.claimLoop(queue, w);
    }, delay);
  }

  private async claimLoop(queue: string, w: QueueWake): Promise<void> {
    if (w.running) {
      w.again = true;
      return;
    }
    w.running = true;
    try {
      for (;;) {
        if (this.stopped) return;
        w.again = false;
        const now = this.platform.clock();
        const epoch = w.epoch;
        const claim = await this.store.claim(queue, now, this.maxBatch, this.leaseGraceMs);
        w.saturated = claim.saturated;
        if (claim.queue === null || claim.queue.state !== 'RUNNING' || claim.queue.deletedAt !== null) {
          if (w.epoch === epoch) w.idle = true;
          if (!w.again || w.idle) return;
          continue;
        }
        for (const t of claim.tasks) this.dispatch(t, claim.queue);
        if (claim.saturated) {
          // A completion will wake us; other processes' completions are caught by this fallback.
          this.wake(queue, this.platform.clock() + 50);
        } else if (claim.wakeAt !== null) {
          if (claim.wakeAt > this.platform.clock()) this.wake(queue, claim.wakeAt);
          else if (claim.tasks.length > 0) {
            // A full batch with more due: go again, but let I/O breathe first.
            await new Promise((r) => setImmediate(r));
            continue;
          } else this.wake(queue, this.platform.clock() + 1);
        }
        if (!w.again) return;
      }
    } catch (e) {
      console.error(`authplane: tasks: claim on queue ${queue} failed:`, (e as Error).message);
      if (!this.stopped) this.wake(queue, this.platform.clock() + 500);
    } finally {
      w.running = false;
    }
  }

  /** Sends one claimed attempt (also used by RunTask). */
  dispatch(task: TaskRecord, queue: QueueRecord): void {
    this.sent++;
    const p = sendAttempt(this.platform, task, queue.id, this.tokens)
      .then((outcome) => this.record(task, queue, outcome))
      .catch((e: unknown) => console.error('authplane: tasks: attempt failed unexpectedly:', e))
      .finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  private record(task: TaskRecord, queue: QueueRecord, o: AttemptOutcome): void {
    const ok = o.httpStatus !== null && o.httpStatus >= 200 && o.httpStatus < 300;
    const now = o.responseTime ?? this.platform.clock();
    const responded = o.httpStatus !== null;
    let outcome: Completion['outcome'] = 'done';
    let nextAt = now;
    if (!ok) {
      const failures = task.dispatchCount;
      if (retriesExhausted(queue, failures, task.firstAttemptAt ?? o.dispatchTime, now)) outcome = 'failed';
      else {
        outcome = 'retry';
        nextAt = now + nextDelayMs(queue, failures, o.httpStatus, retryAfterMs(o.retryAfter, now));
      }
    }
    const lastAttempt = { scheduleTime: task.scheduleTime, dispatchTime: o.dispatchTime, responseTime: o.responseTime, httpStatus: o.httpStatus, error: o.error };
    this.pending.push({
      seq: task.seq,
      leaseId: task.leaseId!,
      outcome,
      nextAt,
      responseCount: task.responseCount + (responded ? 1 : 0),
      executionCount: task.executionCount + (responded && o.httpStatus! < 500 ? 1 : 0),
      lastAttempt,
      attempt: {
        ...lastAttempt,
        taskSeq: task.seq,
        queue: queue.id,
        taskId: task.id,
        attempt: task.dispatchCount,
        latencyMs: Math.round(o.latencyMs * 1000) / 1000,
        denial: o.denial,
        worker: this.worker,
      },
    });
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.pending.length >= 500) {
      void this.flush();
      return;
    }
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = undefined;
      void this.flush();
    }, 2);
  }

  /** Writes buffered outcomes (one transaction per batch), then wakes the queues they affect. */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing.then(() => (this.pending.length ? this.flush() : undefined));
    if (this.pending.length === 0) return Promise.resolve();
    const batch = this.pending;
    this.pending = [];
    this.flushing = (async () => {
      try {
        await this.store.complete(batch);
      } catch (e) {
        // The leases will expire and the attempts run again: at-least-once, never lost.
        console.error(`authplane: tasks: could not record ${batch.length} attempts:`, (e as Error).message);
      } finally {
        this.flushing = undefined;
      }
      const touched = new Set<string>();
      for (const c of batch) {
        if (c.outcome === 'retry') this.wake(c.attempt.queue, c.nextAt);
        touched.add(c.attempt.queue);
      }
      for (const q of touched) if (this.wakes.get(q)?.saturated) this.wake(q);
    })();
    return this.flushing;
  }
}

// The one dispatcher design Google's three callers share (Cloud Tasks, Cloud Scheduler, Pub/Sub push): one
// per product per process. Work lives in the store, in lanes (a queue, a subscription, a location's jobs):
// the store claims due work of a lane atomically with a lease in the row (STYLE §6), so any number of
// processes share it and a process that dies leaves leases that expire. The dispatcher sleeps on one wait
// per lane, at the exact time the store says the lane is next due (platform.timers: the injected clock),
// wakes on local news and (PostgreSQL) on NOTIFY from other processes, sends each attempt over HTTP with its
// token (http-attempt.ts), logs it (attempt-log.ts), and writes outcomes back in batches. A slow safety
// sweep only catches what a lost notification would miss.
//
// What is product-specific comes from the DispatchSource: which lanes exist, the claim, the request (the
// headers Google adds), and what an outcome means (success rule, retry policy) — `settle`.

import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { DispatchAttempt } from '../observe/request-log.js';
import { requestLogFor } from '../observe/request-log.js';
import type { Platform } from '../platform.js';
import { attemptEntry, type AttemptDescription } from './attempt-log.js';
import { sendAttempt, type AttemptOutcome, type HttpAttemptRequest } from './http-attempt.js';
import type { TimerHandle } from './timers.js';
import { DispatchTokens } from './tokens.js';

/** A lane as listed at start and by the safety sweep. */
export interface LaneStatus {
  id: string;
  /** False while paused or gone: new work does not wake it, only news that it runs. */
  running: boolean;
}

/** What one claim of a lane took, and when the lane wants claiming again. */
export interface LaneClaim<W> {
  /** False: the lane is paused or gone (nothing was taken). */
  running: boolean;
  items: W[];
  /** Due work waits only for a free concurrency slot (a completion wakes the lane). */
  saturated: boolean;
  /** When to claim again (epoch ms); null = nothing to do until something changes. */
  wakeAt: number | null;
}

/** What an attempt's outcome means to the product. */
export interface Settled<C> {
  /** What to write back (in a batch with others, `complete`). */
  completion: C;
  /** Claim this lane again at this time once the completion is written (a retry, the next scheduled run). */
  wake?: { lane: string; at: number };
  /** The attempt as the request log tells it. */
  describe: AttemptDescription;
}

/** What a lane sees of other processes: work due at `at`, or the lane runs again. */
export type LaneNews = 'due' | 'running';

export interface DispatchSource<W, C> {
  readonly product: DispatchAttempt['product'];
  /** Every lane, at start and on the safety sweep. */
  lanes(): Promise<LaneStatus[]>;
  /** Atomically claims up to `max` due items of `lane` at `now`, each under a fresh lease. */
  claim(lane: string, now: number, max: number): Promise<LaneClaim<W>>;
  /** The lane an item belongs to. */
  laneOf(item: W): string;
  /** The HTTP request for a claimed item: target, the headers Google adds, token, deadline. */
  request(item: W): HttpAttemptRequest | Promise<HttpAttemptRequest>;
  /** What the outcome means: the completion, the retry or next run, the log's words. */
  settle(item: W, outcome: AttemptOutcome): Settled<C>;
  /** Writes completions, in one transaction; those whose lease was lost change nothing but their attempt record. */
  complete(batch: C[]): Promise<void>;
  /** Other processes' news (PostgreSQL LISTEN/NOTIFY); resolves to an unsubscribe function. */
  subscribe?(fn: (lane: string, at: number, news: LaneNews) => void): Promise<() => Promise<void>>;
  /** At start: releases the leases of processes that are gone. */
  releaseOrphanedLeases?(now: number): Promise<number>;
  /** Housekeeping (tombstones, retention). */
  sweep?(now: number): Promise<void>;
}

export interface DispatcherOptions {
  /** Most items one claim takes. */
  maxBatch?: number;
  /** Safety sweep over every lane (missed notifications), real ms. */
  safetyIntervalMs?: number;
  /** Housekeeping (its cut-offs are read from the platform clock), real ms. */
  sweepIntervalMs?: number;
}

interface LaneWake {
  timer?: TimerHandle;
  timerAt?: number;
  running: boolean;
  again: boolean;
  saturated: boolean;
  /**
   * The last claim or listing found the lane paused or gone: new work does not wake it (a claim would find
   * nothing), only news that it runs. Saves a claim per create on a paused queue.
   */
  idle: boolean;
  /** Bumped by news that the lane runs, so a claim that started before cannot mark it idle after. */
  epoch: number;
}

/** Which process sent an attempt: host:pid:random. */
export const workerId = (): string => `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;

export class Dispatcher<W, C> {
  readonly tokens: DispatchTokens;
  private readonly wakes = new Map<string, LaneWake>();
  private readonly inFlight = new Set<Promise<void>>();
  /**
   * Outcomes to write, each with its lane beside it, not spread into one object (docs/performance.md, "Object
   * literals that begin with a spread").
   */
  private pending: Array<{ settled: Settled<C>; lane: string }> = [];
  private flushing: Promise<void> | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private intervals: NodeJS.Timeout[] = [];
  private unsubscribe: (() => Promise<void>) | undefined;
  private stopped = false;
  private readonly maxBatch: number;
  /** Attempts sent by this process (bench, tests). */
  sent = 0;

  constructor(
    private readonly platform: Platform,
    private readonly source: DispatchSource<W, C>,
    private readonly opts: DispatcherOptions = {},
  ) {
    this.tokens = new DispatchTokens(platform);
    this.maxBatch = opts.maxBatch ?? 200;
  }

  private get clock() {
    return this.platform.clock;
  }

  async start(): Promise<void> {
    await this.source.releaseOrphanedLeases?.(this.clock());
    if (this.source.subscribe) {
      this.unsubscribe = await this.source.subscribe((lane, at, news) => (news === 'running' ? this.laneRuns(lane) : this.wake(lane, at)));
    }
    // Both run in real time: they look for lost notifications and old records, they decide no due time (a
    // test's hand-moved clock would otherwise fire thousands of them when it skips a day).
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
    for (const w of this.wakes.values()) w.timer?.cancel();
    // Shutdown grace in real time (not a dispatch decision): attempts in flight get a moment to finish; the
    // rest keep their leases and run again elsewhere.
    await Promise.race([Promise.allSettled([...this.inFlight]), new Promise((r) => setTimeout(r, 2_000).unref())]);
    await this.flush();
    await this.unsubscribe?.();
    // The attempts' log entries reach the file before the process (or a test) lets go of the data dir.
    await requestLogFor(this.platform).flush();
  }

  private async wakeAll(): Promise<void> {
    if (this.stopped) return;
    try {
      // As in claimLoop: news that a lane runs, heard while the listing was on its way, wins over it.
      const epochs = new Map([...this.wakes].map(([id, w]) => [id, w.epoch]));
      for (const l of await this.source.lanes()) {
        if (l.running) this.laneRuns(l.id);
        else {
          const w = this.wakeOf(l.id);
          if (w.epoch === (epochs.get(l.id) ?? 0)) w.idle = true;
        }
      }
    } catch (e) {
      console.error(`authplane: ${this.source.product}: cannot list what to dispatch:`, (e as Error).message);
    }
  }

  private async sweep(): Promise<void> {
    await this.source.sweep?.(this.clock()).catch((e: unknown) => console.error(`authplane: ${this.source.product} sweep:`, (e as Error).message));
  }

  private wakeOf(lane: string): LaneWake {
    let w = this.wakes.get(lane);
    if (!w) this.wakes.set(lane, (w = { running: false, again: false, saturated: false, idle: false, epoch: 0 }));
    return w;
  }

  /** News that `lane` runs (created, resumed, updated): claim it again even if it was seen paused. */
  laneRuns(lane: string): void {
    const w = this.wakeOf(lane);
    w.idle = false;
    w.epoch++;
    this.wake(lane);
  }

  /** Asks for a claim on `lane` at `at` (default: now), unless the lane was last seen paused or gone. */
  wake(lane: string, at?: number): void {
    if (this.stopped) return;
    const w = this.wakeOf(lane);
    if (w.idle) return;
    const now = this.clock();
    const when = at === undefined || at <= now ? now : at;
    if (when === now && w.running) {
      w.again = true;
      return;
    }
    // An earlier (or equally early) claim is already arranged.
    if (w.timer && w.timerAt !== undefined && w.timerAt <= when) return;
    w.timer?.cancel();
    w.timerAt = when;
    w.timer = this.platform.timers.at(when, () => {
      w.timer = undefined;
      w.timerAt = undefined;
      void this.claimLoop(lane, w);
    });
  }

  private async claimLoop(lane: string, w: LaneWake): Promise<void> {
    if (w.running) {
      w.again = true;
      return;
    }
    w.running = true;
    try {
      for (;;) {
        if (this.stopped) return;
        w.again = false;
        const now = this.clock();
        const epoch = w.epoch;
        const claim = await this.source.claim(lane, now, this.maxBatch);
        w.saturated = claim.saturated;
        if (!claim.running) {
          if (w.epoch === epoch) w.idle = true;
          if (!w.again || w.idle) return;
          continue;
        }
        for (const item of claim.items) this.dispatch(item);
        if (claim.saturated) {
          // A completion will wake us; other processes' completions are caught by this fallback.
          this.wake(lane, this.clock() + 50);
        } else if (claim.wakeAt !== null) {
          if (claim.wakeAt > this.clock()) this.wake(lane, claim.wakeAt);
          else if (claim.items.length > 0) {
            // A full batch with more due: go again, but let I/O breathe first.
            await new Promise((r) => setImmediate(r));
            continue;
          } else this.wake(lane, this.clock() + 1);
        }
        if (!w.again) return;
      }
    } catch (e) {
      console.error(`authplane: ${this.source.product}: claim on ${lane} failed:`, (e as Error).message);
      if (!this.stopped) this.wake(lane, this.clock() + 500);
    } finally {
      w.running = false;
    }
  }

  /** Sends one claimed item (also used for Google's "run now" RPCs: RunTask, RunJob). */
  dispatch(item: W): void {
    this.sent++;
    const p = Promise.resolve()
      .then(() => this.source.request(item))
      .then((req) => sendAttempt(this.platform, this.tokens, req))
      .then((outcome) => this.record(item, outcome))
      .catch((e: unknown) => console.error(`authplane: ${this.source.product}: attempt failed unexpectedly:`, e))
      .finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  private record(item: W, o: AttemptOutcome): void {
    const settled = this.source.settle(item, o);
    requestLogFor(this.platform).record(attemptEntry(this.platform, this.source.product, settled.describe, o));
    this.pending.push({ settled, lane: this.source.laneOf(item) });
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.pending.length >= 500) {
      void this.flush();
      return;
    }
    // Batching, not a time decision: a real 2 ms timer groups the outcomes of one burst into one write.
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = undefined;
      void this.flush();
    }, 2);
  }

  /** Writes buffered outcomes (one transaction per batch), then wakes the lanes they affect. */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing.then(() => (this.pending.length ? this.flush() : undefined));
    if (this.pending.length === 0) return Promise.resolve();
    const batch = this.pending;
    this.pending = [];
    this.flushing = (async () => {
      try {
        await this.source.complete(batch.map((p) => p.settled.completion));
      } catch (e) {
        // The leases will expire and the attempts run again: at-least-once, never lost.
        console.error(`authplane: ${this.source.product}: could not record ${batch.length} attempts:`, (e as Error).message);
      } finally {
        this.flushing = undefined;
      }
      const touched = new Set<string>();
      for (const { settled, lane } of batch) {
        if (settled.wake) this.wake(settled.wake.lane, settled.wake.at);
        touched.add(lane);
      }
      for (const l of touched) if (this.wakes.get(l)?.saturated) this.wake(l);
    })();
    return this.flushing;
  }
}

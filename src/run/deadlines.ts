// A front door's request timeouts without a timer per request. Every request of a service has the same timeout
// (services[].timeout), so deadlines fall due in arrival order: they wait in a queue, one wait on the platform's
// timers is armed for the earliest, and a request that finishes only marks its entry, which the queue drops
// once it reaches the head. A timeout shortened through the Admin API breaks the order for a moment; due()
// looks at every in-flight entry, so an out-of-order deadline still fires on time. A setTimeout and clearTimeout per request (what platform.timers does) put a Timeout
// object and a timer-list entry per distinct millisecond on every request's path.

import type { TimerHandle, Timers } from '../dispatch/timers.js';

interface Entry {
  readonly at: number;
  fire: (() => void) | undefined;
}

export class DeadlineQueue implements Timers {
  private entries: Entry[] = [];
  private head = 0;
  /** Entries not yet finished or fired. */
  private live = 0;
  /** The deadline the armed wait is for (undefined: none armed). */
  private armedAt: number | undefined;

  constructor(
    private readonly timers: Timers,
    private readonly clock: () => number,
  ) {}

  /** Calls `fire` once the clock reads `at`, unless cancelled first. */
  at(at: number, fire: () => void): TimerHandle {
    const e: Entry = { at, fire };
    this.entries.push(e);
    this.live++;
    if (this.armedAt === undefined || at < this.armedAt) this.arm(at);
    return {
      cancel: () => {
        if (e.fire === undefined) return;
        e.fire = undefined;
        this.live--;
        this.trim();
      },
    };
  }

  /**
   * Drops finished entries from the head; an empty queue reuses its array. A slow request at the head keeps
   * the finished ones behind it, so when they outnumber the live ones the queue is compacted (amortised O(1)).
   */
  private trim(): void {
    const entries = this.entries;
    while (this.head < entries.length && entries[this.head]!.fire === undefined) this.head++;
    if (this.head === entries.length) {
      entries.length = 0;
      this.head = 0;
    } else if (entries.length - this.head > 2 * this.live + 1024) {
      this.entries = entries.slice(this.head).filter((e) => e.fire !== undefined);
      this.head = 0;
    }
  }

  private arm(at: number): void {
    this.armedAt = at;
    // unref: a wait left armed after the last request finished must not keep the process alive.
    this.timers.at(at, () => this.due(at), { unref: true });
  }

  private due(armedFor: number): void {
    // A wait for a later deadline that an earlier one replaced: the earlier one's wait does the work.
    if (armedFor !== this.armedAt) return;
    this.armedAt = undefined;
    const now = this.clock();
    let next = Infinity;
    // In-flight entries only (finished ones are marked); deadlines expired by now fire, the earliest other is next.
    for (let i = this.head; i < this.entries.length; i++) {
      const e = this.entries[i]!;
      const fire = e.fire;
      if (fire === undefined) continue;
      if (e.at <= now) {
        e.fire = undefined;
        this.live--;
        fire();
      } else if (e.at < next) next = e.at;
    }
    this.trim();
    if (next !== Infinity && (this.armedAt === undefined || next < this.armedAt)) this.arm(next);
  }
}

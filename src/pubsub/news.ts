// Who is waiting for a subscription's messages in this process — streaming pulls, long-polling Pulls,
// the push dispatcher — and when to tell them: at once after a publish or a NACK (here, or in another
// process via the store's notifications), or at the time the store says the next message comes due
// (an ack deadline running out, a backoff ending).

import type { TimerHandle, Timers } from '../dispatch/timers.js';

type Listener = () => void;

export interface AckNews {
  subscription: string;
  /** Ack IDs no longer outstanding (acknowledged or NACKed). */
  ackIds: string[];
}

export class SubscriptionNews {
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly ackListeners = new Map<string, Set<(n: AckNews) => void>>();
  private readonly waits = new Map<string, { handle: TimerHandle; at: number }>();
  private readonly any: { due: (subscription: string) => void; changed: (subscription: string) => void }[] = [];
  private stopped = false;

  /** `timers` wait on the platform's (injectable) clock. */
  constructor(
    private readonly clock: () => number,
    private readonly timers: Timers,
  ) {}

  /** Hears every subscription's news: messages due, settings changed (the push dispatcher). */
  onAny(listener: { due: (subscription: string) => void; changed: (subscription: string) => void }): void {
    this.any.push(listener);
  }

  /** Calls `fn` whenever `subscription` may have messages due; returns the unsubscribe function. */
  on(subscription: string, fn: Listener): () => void {
    let set = this.listeners.get(subscription);
    if (!set) this.listeners.set(subscription, (set = new Set()));
    set.add(fn);
    return () => {
      set.delete(fn);
      if (set.size === 0) this.listeners.delete(subscription);
    };
  }

  /** Calls `fn` when ack IDs of `subscription` stop being outstanding (streams count what they hold). */
  onAcks(subscription: string, fn: (n: AckNews) => void): () => void {
    let set = this.ackListeners.get(subscription);
    if (!set) this.ackListeners.set(subscription, (set = new Set()));
    set.add(fn);
    return () => {
      set.delete(fn);
      if (set.size === 0) this.ackListeners.delete(subscription);
    };
  }

  /** Messages may be due now. */
  notify(subscription: string): void {
    if (this.stopped) return;
    for (const fn of this.listeners.get(subscription) ?? []) fn();
    for (const l of this.any) l.due(subscription);
  }

  /** A subscription was created, changed or deleted (push or pull, detached, …). */
  changed(subscription: string): void {
    if (this.stopped) return;
    for (const fn of this.listeners.get(subscription) ?? []) fn();
    for (const l of this.any) l.changed(subscription);
  }

  /** Everything may be due (the clock moved, a sweep ran). */
  notifyAll(): void {
    for (const sub of [...this.listeners.keys()]) this.notify(sub);
  }

  acked(subscription: string, ackIds: string[]): void {
    if (ackIds.length === 0) return;
    for (const fn of this.ackListeners.get(subscription) ?? []) fn({ subscription, ackIds });
  }

  /** Something of `subscription` comes due at `at` (epoch ms on the platform clock): notify then. */
  at(subscription: string, at: number | null): void {
    if (at === null || this.stopped) return;
    const cur = this.waits.get(subscription);
    if (cur && cur.at <= at) return;
    cur?.handle.cancel();
    const handle = this.timers.at(
      Math.max(at, this.clock()),
      () => {
        this.waits.delete(subscription);
        this.notify(subscription);
      },
      { unref: true },
    );
    this.waits.set(subscription, { handle, at });
  }

  stop(): void {
    this.stopped = true;
    for (const w of this.waits.values()) w.handle.cancel();
    this.waits.clear();
  }
}

// A clock tests move by hand: `now` stays where it is until the test advances it, and the timers asked of
// it (dispatch/timers.ts) fire, in time order, only as the clock passes their time. Pass `clock` and
// `timers` to startTestAuthplane; then retry schedules, cron runs and deadlines are exact, never slept.
import type { TimerHandle, Timers } from '../../src/dispatch/timers.js';

interface Pending {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

export class ManualClock implements Timers {
  private pending: Pending[] = [];
  private seq = 0;

  constructor(public nowMs: number) {}

  /** The clock function for the platform. */
  readonly clock = (): number => this.nowMs;

  at(at: number, fn: () => void): TimerHandle {
    const p: Pending = { at, seq: ++this.seq, fn, cancelled: false };
    this.pending.push(p);
    // Due already: fire on the next turn, as a real timer would.
    if (at <= this.nowMs) setImmediate(() => this.fireDue());
    return { cancel: () => void (p.cancelled = true) };
  }

  /** The times live timers wait for, ascending. */
  timerTimes(): number[] {
    return this.live()
      .map((p) => p.at)
      .sort((a, b) => a - b);
  }

  /** The earliest time a live timer waits for (undefined: none). */
  nextTimerAt(): number | undefined {
    let best: number | undefined;
    for (const p of this.pending) if (!p.cancelled && (best === undefined || p.at < best)) best = p.at;
    return best;
  }

  /** Moves the clock to `t` (never backwards), firing every timer due on the way, each at its own time. */
  async advanceTo(t: number): Promise<void> {
    for (;;) {
      const due = this.live().filter((p) => p.at <= t).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.nowMs = Math.max(this.nowMs, due.at);
      due.cancelled = true;
      due.fn();
      // Let the work it started take its next steps before the clock moves on.
      await new Promise((r) => setImmediate(r));
    }
    this.nowMs = Math.max(this.nowMs, t);
    this.compact();
  }

  advance(ms: number): Promise<void> {
    return this.advanceTo(this.nowMs + ms);
  }

  private fireDue(): void {
    for (const p of this.live().filter((x) => x.at <= this.nowMs).sort((a, b) => a.at - b.at || a.seq - b.seq)) {
      p.cancelled = true;
      p.fn();
    }
    this.compact();
  }

  private live(): Pending[] {
    return this.pending.filter((p) => !p.cancelled);
  }

  private compact(): void {
    if (this.pending.length > 256) this.pending = this.live();
  }
}

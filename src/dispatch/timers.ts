// Waiting on the platform's clock. Every due-time decision of the dispatchers (when a queue is claimed
// again, when a retry or a scheduled job is due, when an attempt's deadline passes) is "call me when
// the clock reads T", asked of a Timers built from the injected clock. Production uses clockTimers
// (setTimeout, re-armed until the injected clock really reads T); a test clock implements Timers itself
// and fires what is due when the test advances it, so retry schedules are tested exactly, without sleeping.

/** A pending call; cancel() is harmless after it fired. */
export interface TimerHandle {
  cancel(): void;
}

export interface Timers {
  /**
   * Calls `fn` once the clock reads `at` (epoch ms) or later. `unref`: the wait alone does not keep
   * the process alive (housekeeping).
   */
  at(at: number, fn: () => void, options?: { unref?: boolean }): TimerHandle;
}

/**
 * The longest wait one setTimeout takes: Node stores the delay as a signed 32-bit number of ms, and a larger
 * one (more than ~24.8 days) "will be set to 1" with a TimeoutOverflowWarning (Node's timers docs,
 * setTimeout). Cloud Tasks takes a scheduleTime up to 30 days ahead and a yearly cron job waits up to a year,
 * so a longer wait is taken in steps of at most this.
 */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * Timers on `clock` backed by setTimeout. A timeout may fire a little before the clock reads `at`
 * (libuv rounds to whole milliseconds against its cached loop time; an injected clock may run apart from
 * Date.now), so it is re-armed for the rest until the clock agrees; a wait longer than MAX_TIMEOUT_MS is
 * armed for MAX_TIMEOUT_MS and re-armed for the rest the same way.
 */
export function clockTimers(clock: () => number): Timers {
  return {
    at(at, fn, options) {
      let timer: NodeJS.Timeout | undefined;
      const arm = (): void => {
        const delay = at - clock();
        if (delay <= 0) {
          timer = undefined;
          fn();
          return;
        }
        timer = setTimeout(arm, Math.min(MAX_TIMEOUT_MS, Math.ceil(delay)));
        if (options?.unref) timer.unref();
      };
      // Due now: still asynchronous, as callers expect (they may hold state they set after asking).
      timer = setTimeout(arm, Math.min(MAX_TIMEOUT_MS, Math.max(0, Math.ceil(at - clock()))));
      if (options?.unref) timer.unref();
      return {
        cancel() {
          if (timer) clearTimeout(timer);
          timer = undefined;
        },
      };
    },
  };
}

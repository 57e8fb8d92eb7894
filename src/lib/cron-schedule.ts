// A Cloud Scheduler job's schedule: unix-cron (five fields: minute, hour, day of month, month, day of week; numbers, names
// JAN–DEC and SUN–SAT, 7 = Sunday, *, ranges, /steps, lists — Google's "Configure cron job schedules") in a tz
// database time zone ("utc" accepted, unset = UTC; job.proto). Evaluated with croner (docs/scheduler.md says
// why): day of month OR day of week as Vixie cron, and its documented daylight-saving rules — a fixed-time job
// whose time is skipped runs right after the gap, a repeated time runs once; interval jobs run on both passes
// through a repeated hour and skip a skipped one. Google says only that Scheduler "runs on wall clock time" and
// that DST "can cause jobs to run or not run unexpectedly".
// Croner's own extensions (seconds, L, W, #, ?, +, @macros) are refused: Google's parser does not take them.

import { Cron } from 'croner';
import { englishLikeSchedule } from './english-schedule.js';

/**
 * Why a schedule is refused: the words (`error`), the field, what to do instead when there is one clear fix
 * (`fix`, also in `error`: gcloud prints only the message), and — for a valid Google schedule authplane does not
 * emulate — `notEmulated` with the fix.
 */
export type ScheduleProblem = { error: string; field: 'schedule' | 'time_zone'; fix?: string; notEmulated?: { fix: string } };

/** One field: *, N or NAME, N-M, with /STEP, in a comma list. */
const FIELD = /^(\*|[0-9]{1,2}|[A-Za-z]{3})(-([0-9]{1,2}|[A-Za-z]{3}))?(\/[0-9]{1,2})?(,(\*|[0-9]{1,2}|[A-Za-z]{3})(-([0-9]{1,2}|[A-Za-z]{3}))?(\/[0-9]{1,2})?)*$/;

export class Schedule {
  private constructor(
    private readonly cron: Cron,
    readonly expression: string,
    readonly timeZone: string,
  ) {}

  /** The schedule, or why not (Google's INVALID_ARGUMENT words). */
  static parse(expression: string, timeZone: string): Schedule | ScheduleProblem {
    const english = englishLikeSchedule(expression);
    if (english) {
      const fix = english.cron
        ? `Use the unix-cron equivalent "${english.cron}".`
        : 'Write it as a unix-cron schedule: five fields (minute hour day-of-month month day-of-week), e.g. "*/5 * * * *" or "0 9 * * 1".';
      // The fix is in the message as well: gcloud prints only the message.
      return {
        error: `Schedule "${expression}" is an English-like (App Engine cron) schedule: Cloud Scheduler accepts it, but authplane does not emulate English-like schedules, only unix-cron. ${fix}`,
        field: 'schedule',
        notEmulated: { fix },
      };
    }
    const fields = expression.trim().split(/\s+/);
    if (fields.length !== 5 || !fields.every((f) => FIELD.test(f))) {
      return { error: `Schedule "${expression}" is not a valid unix-cron schedule: five fields (minute hour day-of-month month day-of-week) of numbers, names, *, ranges, steps and lists.`, field: 'schedule' };
    }
    const tz = normaliseTimeZone(timeZone);
    if (tz === undefined) return { error: `Time zone "${timeZone}" is not a time zone name from the tz database (for example America/New_York, Europe/Paris, or "utc").`, field: 'time_zone' };
    let cron: Cron;
    let first: Date | null;
    try {
      cron = new Cron(fields.join(' '), { timezone: tz, paused: true, mode: '5-part', domAndDow: false, fixedTimeRule: 'no-wildcard' });
      first = cron.nextRun(new Date(0));
    } catch (e) {
      return { error: `Schedule "${expression}" is not a valid unix-cron schedule: ${(e as Error).message.replace(/^CronPattern: /, '')}.`, field: 'schedule' };
    }
    // Well-formed but never due: only a day of month its months lack (30 or 31 February, 31 April), as day of
    // week "*" leaves the day of month alone to decide. A job needs a next run (job.proto: schedule_time, "the
    // next time the job is scheduled"); Google answers an unusable schedule with INVALID_ARGUMENT "Schedule or
    // time zone is invalid." (recorded in public reports for malformed ones; not recorded for this case).
    if (first === null) {
      const fix = 'Pick a day of month that every chosen month has (1–28 is safe), or add the months that have it.';
      return { error: `Schedule or time zone is invalid: schedule "${expression}" never runs — no date has its day of month in its months. ${fix}`, field: 'schedule', fix };
    }
    return new Schedule(cron, expression, timeZone);
  }

  /** The first run strictly after `after` (epoch ms). */
  nextAfter(after: number): number {
    const d = this.cron.nextRun(new Date(after));
    if (!d) throw new Error(`schedule "${this.expression}" has no run after ${new Date(after).toISOString()}`);
    return d.getTime();
  }

  /** The latest run at or before `t` (epoch ms), or undefined. */
  latestAtOrBefore(t: number): number | undefined {
    return this.cron.previousRuns(1, new Date(t + 1))[0]?.getTime();
  }

  /**
   * The run that follows an execution scheduled at `scheduled`, seen at `now`: the next by the schedule, or —
   * when that time has already passed (the execution ran long, or authplane was stopped) — one run now for the
   * latest missed time (Google: "a scheduled start time will be delayed if the previous execution has not ended").
   */
  runAfter(scheduled: number, now: number): number {
    const next = this.nextAfter(scheduled);
    if (next > now) return next;
    return this.latestAtOrBefore(now) ?? next;
  }
}

/** The IANA name for `tz` ("utc" and the empty string mean UTC), or undefined when the tz database lacks it. */
function normaliseTimeZone(tz: string): string | undefined {
  if (tz === '' || tz.toLowerCase() === 'utc') return 'UTC';
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: tz }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

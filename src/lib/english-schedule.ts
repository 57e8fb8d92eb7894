// Cloud Scheduler accepts English-like (App Engine cron) schedules as well as unix-cron: job.proto says
// "Crontab or English-like"; the grammar is App Engine's
// (https://cloud.google.com/appengine/docs/standard/scheduling-jobs-with-cron-yaml#cron_yaml_The_schedule_format):
// `every N (minutes|mins|hours)`, `every day HH:MM`, `every monday 09:00`, `1st,3rd monday of month 09:00`, …
// authplane does not emulate them; it recognises them so a valid Google schedule is refused as not emulated
// (never as invalid), and derives the unix-cron equivalent where one means the same.

/** `expression` read as an English-like schedule: whether it is one, and the unix-cron equivalent if there is a simple one. */
export function englishLikeSchedule(expression: string): { cron?: string } | undefined {
  const s = expression.trim().toLowerCase().replace(/\s+/g, ' ');
  const ordinal = '(?:\\d+(?:st|nd|rd|th)|first|second|third|fourth|fifth|last)';
  if (!/^every\b/.test(s) && !new RegExp(`^${ordinal}(?:,${ordinal})*\\b`).test(s)) return undefined;
  let m = /^every (\d+) (?:minutes?|mins?)$/.exec(s);
  if (m) {
    const n = Number(m[1]);
    // An interval that divides the hour repeats the same minutes every hour: */N means the same.
    return n >= 1 && n <= 60 && 60 % n === 0 ? { cron: n === 60 ? '0 * * * *' : `*/${n} * * * *` } : {};
  }
  m = /^every (\d+) hours?$/.exec(s);
  if (m) {
    const n = Number(m[1]);
    return n >= 1 && n <= 24 && 24 % n === 0 ? { cron: n === 24 ? '0 0 * * *' : `0 */${n} * * *` } : {};
  }
  m = /^every day (\d{1,2}):(\d{2})$/.exec(s);
  if (m && Number(m[1]) < 24 && Number(m[2]) < 60) return { cron: `${Number(m[2])} ${Number(m[1])} * * *` };
  return {};
}

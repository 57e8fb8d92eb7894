// Job ⇄ Google's Job message (job.proto, target.proto; REFERENCE §10): validation of what a user sets, with
// Google's defaults and limits, update masks, and the Job as GetJob reports it.

import { randomBytes } from 'node:crypto';
import { invalidArgument, notSupported } from '../apis/errors.js';
import { fromMs, snakeToCamel, toMs, type Obj, type ProtoTime } from '../apis/proto.js';
import { validateHttpTarget } from '../dispatch/http-target.js';
import type { JobRecord, JobSettings } from '../store/scheduler-store.js';
import { jobName } from './names.js';
import { Schedule } from '../lib/cron-schedule.js';

/** Google's defaults (job.proto; a real GetJob shows them materialised, REFERENCE §10). */
export const JOB_DEFAULTS = {
  retryCount: 0,
  maxRetryDurationMs: 0,
  minBackoffMs: 5_000,
  maxBackoffMs: 3_600_000,
  maxDoublings: 5,
  attemptDeadlineMs: 180_000,
} as const;

const MAX_RETRY_COUNT = 5;
const MIN_DEADLINE_MS = 15_000;
const MAX_DEADLINE_MS = 30 * 60_000;
const MAX_DESCRIPTION = 500;
const MAX_JOB_BYTES = 1024 * 1024;

/** Google-style generated job IDs when CreateJob names none. */
export const generateJobId = (): string => `job-${randomBytes(6).toString('hex')}`;

export const appEngineNotSupported = () =>
  notSupported(
    'authplane emulates Cloud Scheduler HTTP targets only: Pub/Sub and App Engine targets are not supported.',
    'Use an HTTP target (job.httpTarget with a uri, e.g. the service\'s run.app URL) instead of pubsubTarget / appEngineHttpTarget.',
  );

export interface ValidJob {
  settings: JobSettings;
  schedule: Schedule;
}

const dur = (v: unknown): number | undefined => (v === undefined || v === null ? undefined : toMs(v as ProtoTime));

const schedules = new Map<string, Schedule>();

/** The parsed schedule of a stored (so already validated) job; memoized, dispatch asks for it on every attempt. */
export function scheduleOf(j: Pick<JobSettings, 'schedule' | 'timeZone'>): Schedule {
  const key = `${j.timeZone}\n${j.schedule}`;
  let s = schedules.get(key);
  if (s === undefined) {
    const parsed = Schedule.parse(j.schedule, j.timeZone);
    if (!(parsed instanceof Schedule)) throw new Error(`stored job has an invalid schedule: ${parsed.error}`);
    if (schedules.size > 10_000) schedules.clear();
    schedules.set(key, (s = parsed));
  }
  return s;
}

/** Validates a Job message's settings (everything but its name and output-only fields). */
export function validateJob(job: Obj): ValidJob {
  if (job.pubsubTarget !== undefined || job.appEngineHttpTarget !== undefined) throw appEngineNotSupported();
  const description = typeof job.description === 'string' ? job.description : '';
  if (description.length > MAX_DESCRIPTION) throw invalidArgument(`Job.description must not contain more than ${MAX_DESCRIPTION} characters (got ${description.length}).`, 'job.description');
  const ht = job.httpTarget as Obj | undefined;
  if (!ht) throw invalidArgument('Job.http_target is required: authplane emulates HTTP target jobs (set httpTarget.uri).', 'job.http_target');
  const { target, headerBytes, bodyBytes } = validateHttpTarget(ht, { message: 'HttpTarget', path: 'job.http_target', urlField: 'uri', owner: 'job' });
  const size = target.url.length + headerBytes + bodyBytes + description.length;
  if (size > MAX_JOB_BYTES) throw invalidArgument(`Job size (${size} bytes) exceeds the maximum of ${MAX_JOB_BYTES} bytes.`, 'job');

  if (typeof job.schedule !== 'string' || job.schedule.trim() === '') throw invalidArgument('Job.schedule is required.', 'job.schedule');
  const timeZone = typeof job.timeZone === 'string' ? job.timeZone : '';
  const schedule = Schedule.parse(job.schedule, timeZone);
  if (!(schedule instanceof Schedule)) throw schedule.notEmulated ? notSupported(schedule.error, schedule.notEmulated.fix) : invalidArgument(schedule.error, `job.${schedule.field}`);

  const rc = (job.retryConfig ?? {}) as Obj;
  const retryCount = rc.retryCount === undefined ? JOB_DEFAULTS.retryCount : Number(rc.retryCount);
  if (!Number.isInteger(retryCount) || retryCount < 0 || retryCount > MAX_RETRY_COUNT) {
    throw invalidArgument(`RetryConfig.retry_count must be between 0 and ${MAX_RETRY_COUNT} (got ${retryCount}).`, 'job.retry_config.retry_count');
  }
  const maxDoublings = rc.maxDoublings === undefined ? JOB_DEFAULTS.maxDoublings : Number(rc.maxDoublings);
  if (!Number.isInteger(maxDoublings) || maxDoublings < 0) throw invalidArgument(`RetryConfig.max_doublings must not be negative (got ${maxDoublings}).`, 'job.retry_config.max_doublings');
  const retry = {
    maxRetryDurationMs: dur(rc.maxRetryDuration) ?? JOB_DEFAULTS.maxRetryDurationMs,
    minBackoffMs: dur(rc.minBackoffDuration) ?? JOB_DEFAULTS.minBackoffMs,
    maxBackoffMs: dur(rc.maxBackoffDuration) ?? JOB_DEFAULTS.maxBackoffMs,
  };
  for (const [k, field] of [
    ['maxRetryDurationMs', 'max_retry_duration'],
    ['minBackoffMs', 'min_backoff_duration'],
    ['maxBackoffMs', 'max_backoff_duration'],
  ] as const) {
    if (retry[k] < 0) throw invalidArgument(`RetryConfig.${field} must not be negative.`, `job.retry_config.${field}`);
  }
  if (retry.minBackoffMs > retry.maxBackoffMs) {
    throw invalidArgument(
      `RetryConfig.min_backoff_duration (${retry.minBackoffMs / 1000}s) must not be greater than max_backoff_duration (${retry.maxBackoffMs / 1000}s).`,
      'job.retry_config.min_backoff_duration',
    );
  }
  const attemptDeadlineMs = dur(job.attemptDeadline) ?? JOB_DEFAULTS.attemptDeadlineMs;
  if (attemptDeadlineMs < MIN_DEADLINE_MS || attemptDeadlineMs > MAX_DEADLINE_MS) {
    throw invalidArgument(`Job.attempt_deadline must be in the interval [15 seconds, 30 minutes] for HTTP targets (got ${attemptDeadlineMs / 1000}s).`, 'job.attempt_deadline');
  }
  return {
    settings: { description, httpTarget: target, schedule: job.schedule, timeZone, retryCount, maxDoublings, ...retry, attemptDeadlineMs },
    schedule,
  };
}

/** A job's settings as the Job message they came from (what an update mask edits). */
export function settingsMessage(j: JobSettings): Obj {
  const t = j.httpTarget;
  const httpTarget: Obj = { uri: t.url, httpMethod: t.httpMethod, headers: { ...t.headers } };
  if (t.body) httpTarget.body = Buffer.from(t.body, 'base64');
  if (t.oidcToken) httpTarget.oidcToken = { serviceAccountEmail: t.oidcToken.serviceAccountEmail, ...(t.oidcToken.audience ? { audience: t.oidcToken.audience } : {}) };
  if (t.oauthToken) httpTarget.oauthToken = { ...t.oauthToken };
  return {
    ...(j.description ? { description: j.description } : {}),
    httpTarget,
    schedule: j.schedule,
    ...(j.timeZone ? { timeZone: j.timeZone } : {}),
    retryConfig: {
      retryCount: j.retryCount,
      maxRetryDuration: fromMs(j.maxRetryDurationMs),
      minBackoffDuration: fromMs(j.minBackoffMs),
      maxBackoffDuration: fromMs(j.maxBackoffMs),
      maxDoublings: j.maxDoublings,
    },
    attemptDeadline: fromMs(j.attemptDeadlineMs),
  };
}

const UPDATABLE = [
  'description',
  'schedule',
  'timeZone',
  'attemptDeadline',
  'httpTarget.uri',
  'httpTarget.httpMethod',
  'httpTarget.headers',
  'httpTarget.body',
  'httpTarget.oidcToken',
  'httpTarget.oauthToken',
  'retryConfig.retryCount',
  'retryConfig.maxRetryDuration',
  'retryConfig.minBackoffDuration',
  'retryConfig.maxBackoffDuration',
  'retryConfig.maxDoublings',
] as const;
const OUTPUT_ONLY = new Set(['name', 'state', 'status', 'scheduleTime', 'lastAttemptTime', 'userUpdateTime']);

/**
 * UpdateJob: the current settings with the masked fields taken from `msg` (a field absent from `msg` is
 * cleared to its default). No mask: every field `msg` sets.
 */
export function applyUpdate(current: JobSettings, msg: Obj, paths: string[] | undefined): Obj {
  if (msg.pubsubTarget !== undefined || msg.appEngineHttpTarget !== undefined) throw appEngineNotSupported();
  const masked = new Set<string>();
  const wanted = paths && paths.length ? paths : Object.keys(msg).filter((k) => !OUTPUT_ONLY.has(k));
  for (const raw of wanted) {
    const p = raw.split('.').map(snakeToCamel).join('.');
    if (p === 'pubsubTarget' || p === 'appEngineHttpTarget' || p.startsWith('appEngineHttpTarget.') || p.startsWith('pubsubTarget.')) throw appEngineNotSupported();
    const matched = UPDATABLE.filter((u) => u === p || u.startsWith(p + '.'));
    if (matched.length === 0) {
      if (OUTPUT_ONLY.has(p)) throw invalidArgument(`Field ${raw} is output only and cannot be updated.`, 'update_mask');
      throw invalidArgument(`Invalid update_mask provided: "${raw}" is not a field of Job that can be updated.`, 'update_mask');
    }
    matched.forEach((m) => masked.add(m));
  }
  const out = settingsMessage(current);
  for (const path of masked) {
    const [top, sub] = path.split('.') as [string, string | undefined];
    const from = msg[top] as Obj | undefined;
    if (sub === undefined) {
      if (from === undefined) delete out[top];
      else out[top] = from;
      continue;
    }
    const into = ((out[top] as Obj | undefined) ?? (out[top] = {})) as Obj;
    const value = from?.[sub];
    if (value === undefined) delete into[sub];
    else into[sub] = value;
    // oidcToken and oauthToken are one oneof: setting one clears the other.
    if (value !== undefined && sub === 'oidcToken') delete into.oauthToken;
    if (value !== undefined && sub === 'oauthToken') delete into.oidcToken;
  }
  return out;
}

/** The Job message of a stored job, as GetJob answers it. */
export function toJobMessage(j: JobRecord): Obj {
  const settings = settingsMessage(j);
  const httpTarget = settings.httpTarget as Obj;
  // Google stores and shows the User-Agent it sends (a real GetJob, REFERENCE §10).
  httpTarget.headers = { ...(httpTarget.headers as Record<string, string>), 'User-Agent': 'Google-Cloud-Scheduler' };
  return {
    name: jobName({ project: j.project, location: j.location, job: j.id }),
    ...settings,
    userUpdateTime: fromMs(j.userUpdateTime),
    state: j.state,
    ...(j.status ? { status: j.status.code === 0 ? {} : { code: j.status.code } } : {}),
    // The next time the job is scheduled: a pending retry, or the next run (none while paused).
    ...(j.state === 'ENABLED' ? { scheduleTime: fromMs(j.retryAt !== null && j.retryAt < j.scheduleTime ? j.retryAt : j.scheduleTime) } : {}),
    ...(j.lastAttemptTime !== null ? { lastAttemptTime: fromMs(j.lastAttemptTime) } : {}),
  };
}

// Cloud Scheduler on the shared dispatcher (dispatch/dispatcher.ts). One lane holds every job: the store
// claims the jobs that are due, and the lane sleeps until the earliest next run, retry or lease expiry. What is
// Scheduler's own (REFERENCE §10, job.proto, target.proto) lives here:
// - the headers Google adds: User-Agent Google-Cloud-Scheduler, X-CloudScheduler: true,
//   X-CloudScheduler-JobName, X-CloudScheduler-ScheduleTime (RFC 3339, UTC), Content-Type
//   application/octet-stream for a body without one; Host and Content-Length computed;
// - the token is minted by the Cloud Scheduler service agent: without iam.serviceAccounts.getOpenIdToken /
//   getAccessToken on the job's account (roles/cloudscheduler.serviceAgent, granted on the project as Google
//   does when the API is enabled) the request goes out without one, so endpoints that require authentication
//   answer 403 (Google: revoking the role "results in 403 responses to endpoints requiring authentication");
// - success = 2xx; retries per RetryConfig (retryCount retries after the first attempt, unless maxRetryDuration
//   is still running), and never past the next scheduled run; one execution at a time.

import type { Dispatcher, DispatchSource, LaneClaim, LaneStatus, Settled } from '../dispatch/dispatcher.js';
import { backoffMs, retriesExhausted } from '../dispatch/backoff.js';
import { MAX_REDIRECTS, type AttemptOutcome, type HttpAttemptRequest } from '../dispatch/http-attempt.js';
import type { AttemptPreview } from '../dispatch/attempt-preview.js';
import { targetToken } from '../dispatch/http-target.js';
import { rpcStatusForHttp } from '../apis/errors.js';
import { serviceAccountResource } from '../iam/resources.js';
import type { Platform } from '../platform.js';
import type { JobCompletion, JobExecution, JobRecord, JobStatus } from '../store/scheduler-store.js';
import { GRPC_CODES } from '../verify/response.js';
import { scheduleOf } from './job-model.js';
import { jobName } from './names.js';

/** A claimed job: its attempt, and whether it holds the job's lease (a RunJob beside a running execution does not). */
export interface ClaimedJob {
  job: JobRecord;
  leased: boolean;
  execution: JobExecution;
}

export type SchedulerDispatcher = Dispatcher<ClaimedJob, JobCompletion>;

/** The one lane: every job of the emulated project. */
export const SCHEDULER_LANE = 'jobs';

/** A lease lasts attemptDeadline + this, so a crashed process's attempt becomes due again. */
export const LEASE_GRACE_MS = 30_000;

/** Headers Cloud Scheduler computes or reserves: a job's own values for these are dropped. */
const RESERVED = /^(host|content-length|user-agent|x-google-.*|x-appengine-.*|x-cloudscheduler.*|transfer-encoding|connection)$/i;

/** The Cloud Scheduler service agent of a project (REFERENCE §10). */
export const serviceAgent = (projectNumber: string): string => `serviceAccount:service-${projectNumber}@gcp-sa-cloudscheduler.iam.gserviceaccount.com`;

const iso = (ms: number) => new Date(ms).toISOString();
/** RFC 3339 in UTC, whole seconds when the time is (as Google writes schedule times). */
const rfc3339 = (ms: number) => iso(ms).replace('.000Z', 'Z');

/** Job.status of an attempt: OK, the HTTP status's google.rpc.Code, DEADLINE_EXCEEDED, or UNAVAILABLE (no answer). */
function statusOf(o: AttemptOutcome): JobStatus {
  if (o.httpStatus === null) return { code: GRPC_CODES[o.error?.startsWith('DEADLINE_EXCEEDED') ? 'DEADLINE_EXCEEDED' : 'UNAVAILABLE'] };
  return { code: GRPC_CODES[rpcStatusForHttp(o.httpStatus)] };
}

export class SchedulerSource implements DispatchSource<ClaimedJob, JobCompletion> {
  readonly product = 'cloudscheduler' as const;

  constructor(
    private readonly platform: Platform,
    readonly worker: string,
  ) {}

  private get store() {
    return this.platform.store.scheduler;
  }

  async lanes(): Promise<LaneStatus[]> {
    return [{ id: SCHEDULER_LANE, running: true }];
  }

  async claim(_lane: string, now: number, max: number): Promise<LaneClaim<ClaimedJob>> {
    const c = await this.store.claim(now, max, LEASE_GRACE_MS);
    return { running: true, items: c.jobs.map((job) => ({ job, leased: true, execution: job.execution! })), saturated: false, wakeAt: c.wakeAt };
  }

  laneOf(): string {
    return SCHEDULER_LANE;
  }

  request({ job, execution }: ClaimedJob): HttpAttemptRequest {
    const t = job.httpTarget;
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(t.headers)) if (!RESERVED.test(k)) headers[k] = v;
    headers['User-Agent'] = 'Google-Cloud-Scheduler';
    headers['X-CloudScheduler'] = 'true';
    // "will contain the job name": the job ID, as Cloud Tasks' X-CloudTasks-TaskName holds the task ID (docs/scheduler.md).
    headers['X-CloudScheduler-JobName'] = job.id;
    headers['X-CloudScheduler-ScheduleTime'] = rfc3339(execution.scheduleTime);
    const body = t.body ? Buffer.from(t.body, 'base64') : undefined;
    if (body && !Object.keys(headers).some((k) => k.toLowerCase() === 'content-type')) headers['Content-Type'] = 'application/octet-stream';
    // target.proto (HttpTarget): "For a redirected request, the response returned by the redirected request is considered."
    const req: HttpAttemptRequest = { url: t.url, method: t.httpMethod, headers, deadlineMs: job.attemptDeadlineMs, followRedirects: MAX_REDIRECTS, ...(body ? { body } : {}) };
    const token = targetToken(t);
    if (token) {
      const permission = token.kind === 'oidc' ? 'iam.serviceAccounts.getOpenIdToken' : 'iam.serviceAccounts.getAccessToken';
      const agent = serviceAgent(this.platform.config.project.number);
      if (this.platform.iam.check(agent, permission, serviceAccountResource(token.serviceAccountEmail)).allowed) req.token = token;
      else {
        req.withoutToken = `no token attached: the Cloud Scheduler service agent ${agent.slice('serviceAccount:'.length)} lacks ${permission} on ${token.serviceAccountEmail} (roles/cloudscheduler.serviceAgent on the project grants it)`;
        // Google overrides the job's own Authorization header with the token it would have minted.
        req.headers = Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== 'authorization'));
      }
    }
    return req;
  }

  /** What job `id`'s next run would send (`explain --job`): its next scheduled run, or now for a paused job. */
  async preview(id: string): Promise<AttemptPreview | undefined> {
    const job = await this.store.getJob(id);
    if (!job) return undefined;
    const at = job.state === 'ENABLED' ? job.scheduleTime : this.platform.clock();
    const execution: JobExecution = { scheduleTime: at, dueAt: at, firstAttemptAt: at, attempts: 0, forced: job.state !== 'ENABLED' };
    return { caller: 'Cloud Scheduler', resource: jobName({ project: this.platform.config.project.id, location: job.location, job: job.id }), request: this.request({ job, leased: false, execution }) };
  }

  settle({ job, leased, execution }: ClaimedJob, o: AttemptOutcome): Settled<JobCompletion> {
    const ok = o.httpStatus !== null && o.httpStatus >= 200 && o.httpStatus < 300;
    const now = o.responseTime ?? this.platform.clock();
    const schedule = scheduleOf(job);
    // A RunJob execution leaves the schedule where it was; a scheduled one is followed by the next run.
    const nextRun = execution.forced ? job.scheduleTime : schedule.runAfter(execution.scheduleTime, now);
    let retryAt: number | null = null;
    let retryReason: string | undefined;
    if (!ok) {
      const limits = { maxAttempts: 1 + job.retryCount, maxRetryDurationMs: job.maxRetryDurationMs };
      if (retriesExhausted(limits, execution.attempts, execution.firstAttemptAt, now)) {
        retryReason = job.retryCount === 0 && job.maxRetryDurationMs === 0 ? 'no retry: retryCount is 0; the job waits for its next scheduled run' : `no retry: retryCount (${job.retryCount}) reached`;
      } else {
        const at = now + backoffMs(job, execution.attempts);
        if (at < nextRun) {
          retryAt = at;
          retryReason = `backoff ${at - now} ms after failure ${execution.attempts}`;
        } else retryReason = `no retry: the next scheduled run (${rfc3339(nextRun)}) comes first`;
      }
    }
    const status = ok ? { code: 0 } : statusOf(o);
    const nextAt = retryAt ?? nextRun;
    const t = job.httpTarget;
    const token = t.oidcToken ?? t.oauthToken;
    return {
      completion: {
        id: job.id,
        leaseId: leased ? job.leaseId : null,
        version: job.version,
        lastAttemptTime: o.dispatchTime,
        status,
        scheduleTime: nextRun,
        retryAt,
        execution: retryAt === null ? null : execution,
        nextAt,
        attempt: {
          product: 'cloudscheduler',
          resource: job.id,
          item: String(execution.scheduleTime),
          attempt: execution.attempts,
          scheduleTime: execution.dueAt,
          dispatchTime: o.dispatchTime,
          responseTime: o.responseTime,
          httpStatus: o.httpStatus,
          latencyMs: Math.round(o.latencyMs * 1000) / 1000,
          denial: o.denial,
          frontDoorRequestId: o.frontDoorRequestId,
          error: o.error,
          worker: this.worker,
        },
      },
      ...(leased ? { wake: { lane: SCHEDULER_LANE, at: nextAt } } : {}),
      describe: {
        api: 'cloudscheduler.googleapis.com',
        method: t.httpMethod,
        url: t.url,
        resource: jobName({ project: this.platform.config.project.id, location: job.location, job: job.id }),
        attempt: execution.attempts,
        target: `${t.httpMethod} ${t.url}`,
        scheduleTime: iso(execution.dueAt),
        ...(retryAt !== null ? { retryTime: iso(retryAt) } : {}),
        ...(retryReason ? { retryReason } : {}),
        ...(token ? { principal: `serviceAccount:${token.serviceAccountEmail}` } : {}),
      },
    };
  }

  complete(batch: JobCompletion[]): Promise<void> {
    return this.store.complete(batch);
  }

  releaseOrphanedLeases(now: number): Promise<number> {
    return this.store.releaseOrphanedLeases?.(now) ?? Promise.resolve(0);
  }

  sweep(now: number): Promise<void> {
    return this.store.sweep(now, this.platform.config.tasks.retentionMs);
  }
}

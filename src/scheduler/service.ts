// google.cloud.scheduler.v1.CloudScheduler, transport-free: every RPC takes the calling IAM member and the
// request in the shared object shape (apis/proto.ts). gRPC (grpc.ts) and REST (rest.ts) are thin around it.
// Permissions are project-level, as on Google (jobs have no IAM policy of their own); creating or changing a
// job that runs as a service account needs iam.serviceAccounts.actAs on it (ACT_AS_DENIED).

import { requireActAs, requirePermission } from '../apis/caller.js';
import { alreadyExists, failedPrecondition, invalidArgument, notFound } from '../apis/errors.js';
import { pageSize } from '../apis/paging.js';
import type { Obj } from '../apis/proto.js';
import { projectResource } from '../iam/resources.js';
import type { Platform } from '../platform.js';
import type { JobRecord, JobSettings } from '../store/scheduler-store.js';
import type { SchedulerDispatcher } from './dispatch-source.js';
import { LEASE_GRACE_MS, SCHEDULER_LANE } from './dispatch-source.js';
import { applyUpdate, generateJobId, scheduleOf, toJobMessage, validateJob } from './job-model.js';
import { checkProject, jobName, locationName, parseJob, parseLocation, type JobName } from './names.js';
import type { Schedule } from '../lib/cron-schedule.js';

const DOMAIN = 'cloudscheduler.googleapis.com';
export const JOB_NOT_FOUND = 'Job not found.';
const MAX_PAGE = 500;

export class CloudSchedulerService {
  constructor(
    private readonly platform: Platform,
    private readonly dispatcher: SchedulerDispatcher,
  ) {}

  private get store() {
    return this.platform.store.scheduler;
  }
  private get now() {
    return this.platform.clock();
  }
  private get project() {
    return this.platform.config.project;
  }

  /**
   * Cloud Scheduler's permissions are checked on the project; its refusal names `name`, the location for
   * list and create (recorded: "… for the resource "projects/P/locations/L" …") and, by the same reading, the
   * job for the rest.
   */
  private need(caller: string, permission: string, name: string): void {
    requirePermission(this.platform, caller, permission, projectResource(this.project.id), DOMAIN, name);
  }

  private async liveJob(n: JobName): Promise<JobRecord> {
    checkProject(n, this.project.id, this.project.number);
    const j = await this.store.getJob(n.job);
    if (!j || j.location !== n.location) throw notFound(JOB_NOT_FOUND, jobName(n));
    return j;
  }

  private out(j: JobRecord): Obj {
    return toJobMessage({ ...j, project: this.project.id });
  }

  private async checkActAs(caller: string, s: JobSettings): Promise<void> {
    const t = s.httpTarget;
    const sa = t.oidcToken?.serviceAccountEmail ?? t.oauthToken?.serviceAccountEmail;
    if (!sa) return;
    await requireActAs(this.platform, caller, sa, DOMAIN);
  }

  async listJobs(caller: string, req: Obj): Promise<Obj> {
    const loc = parseLocation(req.parent);
    checkProject(loc, this.project.id, this.project.number);
    this.need(caller, 'cloudscheduler.jobs.list', locationName(loc));
    const size = pageSize(req.pageSize, MAX_PAGE);
    let after = '';
    if (req.pageToken) {
      after = Buffer.from(String(req.pageToken), 'base64url').toString('utf8');
      if (!/^[A-Za-z0-9_-]{1,500}$/.test(after)) throw invalidArgument('Invalid page_token: it must be a next_page_token returned by a previous ListJobs call.', 'page_token');
    }
    const all = (await this.store.listJobs()).filter((j) => j.location === loc.location && j.id > after);
    const page = all.slice(0, size);
    return { jobs: page.map((j) => this.out(j)), ...(all.length > size ? { nextPageToken: Buffer.from(page[page.length - 1]!.id).toString('base64url') } : {}) };
  }

  async getJob(caller: string, req: Obj): Promise<Obj> {
    const n = parseJob(req.name);
    checkProject(n, this.project.id, this.project.number);
    this.need(caller, 'cloudscheduler.jobs.get', jobName(n));
    return this.out(await this.liveJob(n));
  }

  async createJob(caller: string, req: Obj): Promise<Obj> {
    const loc = parseLocation(req.parent);
    checkProject(loc, this.project.id, this.project.number);
    this.need(caller, 'cloudscheduler.jobs.create', locationName(loc));
    const msg = req.job as Obj | undefined;
    if (!msg) throw invalidArgument('job is required.', 'job');
    let id = generateJobId();
    if (msg.name !== undefined && msg.name !== '') {
      const n = parseJob(msg.name, 'job.name');
      if (n.location !== loc.location || (n.project !== loc.project && n.project !== this.project.id && n.project !== this.project.number)) {
        throw invalidArgument(`job.name "${String(msg.name)}" must be in the location named by parent (${String(req.parent)}).`, 'job.name');
      }
      id = n.job;
    }
    const valid = validateJob(msg);
    await this.checkActAs(caller, valid.settings);
    const now = this.now;
    const record = newJobRecord({ project: this.project.id, location: loc.location, job: id }, valid.settings, valid.schedule, now, false);
    if ((await this.store.createJob(record)) === 'exists') {
      throw alreadyExists(jobName({ ...loc, job: id }), `Job ${jobName({ project: this.project.id, location: loc.location, job: id })} already exists.`);
    }
    this.dispatcher.wake(SCHEDULER_LANE, record.nextAt);
    return this.out(record);
  }

  async updateJob(caller: string, req: Obj): Promise<Obj> {
    const msg = req.job as Obj | undefined;
    if (!msg) throw invalidArgument('job is required.', 'job');
    const n = parseJob(msg.name, 'job.name');
    checkProject(n, this.project.id, this.project.number);
    this.need(caller, 'cloudscheduler.jobs.update', jobName(n));
    const cur = await this.liveJob(n);
    const merged = applyUpdate(cur, msg, (req.updateMask as { paths?: string[] } | undefined)?.paths);
    const valid = validateJob(merged);
    await this.checkActAs(caller, valid.settings);
    const now = this.now;
    const updated = await this.store.updateJob(rescheduled({ ...cur, ...valid.settings }, valid.schedule, now));
    if (!updated) throw notFound(JOB_NOT_FOUND, jobName(n));
    this.dispatcher.wake(SCHEDULER_LANE, updated.nextAt);
    return this.out(updated);
  }

  async deleteJob(caller: string, req: Obj): Promise<Obj> {
    const n = parseJob(req.name);
    checkProject(n, this.project.id, this.project.number);
    this.need(caller, 'cloudscheduler.jobs.delete', jobName(n));
    await this.liveJob(n);
    if (!(await this.store.deleteJob(n.job))) throw notFound(JOB_NOT_FOUND, jobName(n));
    return {};
  }

  async pauseJob(caller: string, req: Obj): Promise<Obj> {
    const n = parseJob(req.name);
    checkProject(n, this.project.id, this.project.number);
    this.need(caller, 'cloudscheduler.jobs.pause', jobName(n));
    const cur = await this.liveJob(n);
    if (cur.state !== 'ENABLED') {
      throw failedPrecondition(`Job ${jobName(n)} is ${cur.state}; only an ENABLED job can be paused.`, 'Resume a paused job with ResumeJob (gcloud scheduler jobs resume); UpdateJob recovers an UPDATE_FAILED one.');
    }
    const now = this.now;
    const updated = await this.store.updateJob({ ...cur, state: 'PAUSED', retryAt: null, execution: null, version: cur.version + 1, userUpdateTime: now });
    if (!updated) throw notFound(JOB_NOT_FOUND, jobName(n));
    return this.out(updated);
  }

  async resumeJob(caller: string, req: Obj): Promise<Obj> {
    const n = parseJob(req.name);
    checkProject(n, this.project.id, this.project.number);
    this.need(caller, 'cloudscheduler.jobs.enable', jobName(n));
    const cur = await this.liveJob(n);
    if (cur.state !== 'PAUSED') throw failedPrecondition(`Job ${jobName(n)} is ${cur.state}; only a PAUSED job can be resumed.`, 'Pause it first, or leave it: an ENABLED job already runs on its schedule.');
    // A resumed job runs next at its next scheduled time after now: runs missed while paused are not made up.
    const updated = await this.store.updateJob(rescheduled({ ...cur, state: 'ENABLED' }, scheduleOf(cur), this.now));
    if (!updated) throw notFound(JOB_NOT_FOUND, jobName(n));
    this.dispatcher.wake(SCHEDULER_LANE, updated.nextAt);
    return this.out(updated);
  }

  /** Dispatches now, even when the job is running (Google: "even if the job is already running") or paused. */
  async runJob(caller: string, req: Obj): Promise<Obj> {
    const n = parseJob(req.name);
    checkProject(n, this.project.id, this.project.number);
    this.need(caller, 'cloudscheduler.jobs.run', jobName(n));
    const cur = await this.liveJob(n);
    const now = this.now;
    const claimed = await this.store.claimNow(n.job, now, LEASE_GRACE_MS);
    if (claimed === 'missing') throw notFound(JOB_NOT_FOUND, jobName(n));
    // An attempt holds the lease: this one goes beside it, unleased, and changes no schedule.
    const item = claimed === 'in-flight' ? { job: cur, leased: false, execution: { scheduleTime: now, dueAt: now, firstAttemptAt: now, attempts: 1, forced: true } } : { job: claimed, leased: true, execution: claimed.execution! };
    this.dispatcher.dispatch(item);
    return this.out(claimed === 'in-flight' ? cur : claimed);
  }
}

/** A new job's record: enabled, due at its first run after `now`. */
export function newJobRecord(n: JobName, settings: JobSettings, schedule: Schedule, now: number, fromConfig: boolean): JobRecord {
  const next = schedule.nextAfter(now);
  return {
    id: n.job,
    project: n.project,
    location: n.location,
    ...settings,
    state: 'ENABLED',
    fromConfig,
    createdAt: now,
    userUpdateTime: now,
    version: 1,
    scheduleTime: next,
    retryAt: null,
    execution: null,
    leaseId: null,
    nextAt: next,
    lastAttemptTime: null,
    status: null,
  };
}

/** `j` after a user change at `now`: a new version, its next run recomputed, any pending retry dropped. */
export function rescheduled(j: JobRecord, schedule: Schedule, now: number): JobRecord {
  const next = schedule.nextAfter(now);
  return { ...j, version: j.version + 1, userUpdateTime: now, scheduleTime: next, retryAt: null, execution: null, nextAt: next };
}

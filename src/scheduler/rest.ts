// Cloud Scheduler v1 over REST on the API port: Google's URL templates (cloudscheduler.proto's http rules),
// proto3 JSON in and out (apis/rest-rpc.ts), and google.cloud.location.Locations as the client exposes it.

import { restRpcBinder } from '../apis/rest-rpc.js';
import type { Obj } from '../apis/proto.js';
import type { Router } from '../apis/router.js';
import { projectResource } from '../iam/resources.js';
import type { Platform } from '../platform.js';
import { jobName, locationName } from './names.js';
import { schedulerRoot } from './proto.js';
import type { CloudSchedulerService } from './service.js';

const PKG = 'google.cloud.scheduler.v1.';
const LOC = '/v1/projects/{project}/locations/{location}';
const JOB = `${LOC}/jobs/{job}`;

type Params = Record<string, string>;
const loc = (p: Params) => locationName({ project: p.project!, location: p.location! });
const job = (p: Params) => jobName({ project: p.project!, location: p.location!, job: p.job! });

export function schedulerRestRoutes(router: Router, platform: Platform, s: CloudSchedulerService): void {
  const bind = restRpcBinder(router, 'cloudscheduler.googleapis.com', schedulerRoot, PKG);
  const J = `${PKG}Job`;
  bind('get', `${LOC}/jobs`, { request: `${PKG}ListJobsRequest`, response: `${PKG}ListJobsResponse`, path: (p) => ({ parent: loc(p) }) }, (c, r) => s.listJobs(c, r));
  bind('post', `${LOC}/jobs`, { request: `${PKG}CreateJobRequest`, response: J, path: (p) => ({ parent: loc(p) }), body: 'job' }, (c, r) => s.createJob(c, r));
  bind('get', JOB, { request: `${PKG}GetJobRequest`, response: J, path: (p) => ({ name: job(p) }) }, (c, r) => s.getJob(c, r));
  bind('patch', JOB, { request: `${PKG}UpdateJobRequest`, response: J, path: (p, j) => ({ job: { ...((j.job as Obj | undefined) ?? {}), name: job(p) } }), body: 'job' }, (c, r) => s.updateJob(c, r));
  bind('delete', JOB, { request: `${PKG}DeleteJobRequest`, response: 'google.protobuf.Empty', path: (p) => ({ name: job(p) }) }, (c, r) => s.deleteJob(c, r));
  bind('post', `${JOB}:pause`, { request: `${PKG}PauseJobRequest`, response: J, path: (p) => ({ name: job(p) }), body: '*' }, (c, r) => s.pauseJob(c, r));
  bind('post', `${JOB}:resume`, { request: `${PKG}ResumeJobRequest`, response: J, path: (p) => ({ name: job(p) }), body: '*' }, (c, r) => s.resumeJob(c, r));
  bind('post', `${JOB}:run`, { request: `${PKG}RunJobRequest`, response: J, path: (p) => ({ name: job(p) }), body: '*' }, (c, r) => s.runJob(c, r));

  // google.cloud.location.Locations, which the client also exposes: the emulated project's region.
  const api = router.for('cloudscheduler.googleapis.com');
  const location = (p: Params) => ({ name: loc(p), locationId: p.location, displayName: p.location });
  const project = () => projectResource(platform.config.project.id);
  api.get('/v1/projects/{project}/locations', { permission: 'cloudscheduler.locations.list', on: project }, async (req) => ({
    body: { locations: [location({ project: req.params.project!, location: platform.config.project.region })] },
  }));
  api.get(LOC, { permission: 'cloudscheduler.locations.get', on: project }, async (req) => ({ body: location(req.params) }));
}

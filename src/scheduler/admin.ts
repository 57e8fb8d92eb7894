// authplane's own view of Cloud Scheduler (not Google's API): jobs and every recorded attempt with the front
// door's refusal code and, while authplane still holds it, the front door's explanation. `authplane scheduler`
// and the dashboard read these routes.

import { notFound } from '../apis/errors.js';
import type { Router } from '../apis/router.js';
import { attemptViews } from '../dispatch/attempt-log.js';
import { projectResource } from '../iam/resources.js';
import type { Platform } from '../platform.js';
import { jobName } from './names.js';
import { JOB_NOT_FOUND } from './service.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function schedulerAdminRoutes(router: Router, platform: Platform): void {
  const store = platform.store.scheduler;
  const api = router.for('cloudscheduler.googleapis.com');
  const project = () => projectResource(platform.config.project.id);

  api.get('/admin/v1/jobs', { permission: 'cloudscheduler.jobs.list', on: project }, async () => ({
    body: {
      jobs: (await store.listJobs()).map((j) => ({
        name: jobName({ project: platform.config.project.id, location: j.location, job: j.id }),
        id: j.id,
        state: j.state,
        schedule: j.schedule,
        timeZone: j.timeZone || 'UTC',
        uri: j.httpTarget.url,
        serviceAccount: j.httpTarget.oidcToken?.serviceAccountEmail ?? j.httpTarget.oauthToken?.serviceAccountEmail ?? null,
        scheduleTime: j.state === 'ENABLED' ? iso(j.retryAt !== null && j.retryAt < j.scheduleTime ? j.retryAt : j.scheduleTime) : null,
        lastAttemptTime: iso(j.lastAttemptTime),
        status: j.status,
        retryConfig: { retryCount: j.retryCount, maxRetryDurationMs: j.maxRetryDurationMs, minBackoffMs: j.minBackoffMs, maxBackoffMs: j.maxBackoffMs, maxDoublings: j.maxDoublings },
        fromConfig: j.fromConfig,
      })),
    },
  }));

  api.get('/admin/v1/jobs/{job}/attempts', { permission: 'cloudscheduler.jobs.get', on: project }, async (req) => {
    const id = req.params.job!;
    const j = await store.getJob(id);
    const attempts = await store.listAttempts(id);
    if (!j && attempts.length === 0) throw notFound(JOB_NOT_FOUND, `jobs/${id}`);
    return {
      body: {
        job: j ? { id: j.id, state: j.state, schedule: j.schedule, timeZone: j.timeZone || 'UTC', uri: j.httpTarget.url } : null,
        attempts: attemptViews(platform, jobName({ project: platform.config.project.id, location: j?.location ?? platform.config.project.region, job: id }), attempts).map((v, i) => ({ execution: iso(Number(attempts[i]!.item)), ...v })),
      },
    };
  });
}

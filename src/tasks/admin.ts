// authplane's own view of Cloud Tasks (not Google's API): queues, tasks and every recorded attempt
// with the front door's refusal code, so a user sees *why* attempt 3 failed. `authplane tasks`
// and the dashboard read these routes.

import { notFound } from '../apis/errors.js';
import type { Router } from '../apis/router.js';
import { projectResource, queueResource } from '../iam/resources.js';
import type { Platform } from '../platform.js';
import type { AttemptRecord } from '../store/task-store.js';
import { isRefusalCode, REFUSAL_CODES } from '../verify/codes.js';
import { frontDoorRefusal } from '../dispatch/attempt-log.js';
import { queueName } from './names.js';
import { QUEUE_NOT_FOUND } from './service.js';

const DOMAIN = 'cloudtasks.googleapis.com';
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function attemptView(platform: Platform, a: AttemptRecord) {
  // The front door's own words for this attempt's refusal, while its entry is in this process's log.
  const door = frontDoorRefusal(platform, a.frontDoorRequestId);
  return {
    attempt: a.attempt,
    scheduleTime: iso(a.scheduleTime),
    dispatchTime: iso(a.dispatchTime),
    responseTime: iso(a.responseTime),
    httpStatus: a.httpStatus,
    latencyMs: a.latencyMs,
    denial: a.denial,
    ...(a.denial && isRefusalCode(a.denial) ? { denialSummary: REFUSAL_CODES[a.denial].summary } : {}),
    frontDoorRequestId: a.frontDoorRequestId,
    ...(door?.explanation ? { explanation: door.explanation } : {}),
    ...(door?.remedy ? { remedy: door.remedy } : {}),
    error: a.error,
    worker: a.worker,
  };
}

export function tasksAdminRoutes(router: Router, platform: Platform): void {
  const store = platform.store.tasks;
  const api = router.for(DOMAIN);
  const onQueue = (req: { params: Record<string, string> }) => queueResource(req.params.queue!);

  api.get('/admin/v1/queues', { permission: 'cloudtasks.queues.list', on: () => projectResource(platform.config.project.id) }, async () => {
    const queues = await store.listQueues();
    return {
      body: {
        queues: queues.map((q) => ({
          name: queueName({ project: platform.config.project.id, location: q.location, queue: q.id }),
          id: q.id,
          state: q.state,
          rateLimits: { maxDispatchesPerSecond: q.maxDispatchesPerSecond, maxBurstSize: q.maxBurstSize, maxConcurrentDispatches: q.maxConcurrentDispatches },
          retryConfig: { maxAttempts: q.maxAttempts, maxRetryDurationMs: q.maxRetryDurationMs, minBackoffMs: q.minBackoffMs, maxBackoffMs: q.maxBackoffMs, maxDoublings: q.maxDoublings },
          fromConfig: q.fromConfig,
        })),
      },
    };
  });

  api.get('/admin/v1/queues/{queue}/tasks', { permission: 'cloudtasks.tasks.list', on: onQueue }, async (req) => {
    const queue = req.params.queue!;
    const q = await store.getQueue(queue);
    if (!q || q.deletedAt !== null) throw notFound(QUEUE_NOT_FOUND, `queues/${queue}`);
    const limit = Math.min(1000, Number(req.query.get('limit') ?? 100) || 100);
    const tasks = await store.listTasks(queue, Number(req.query.get('after') ?? 0), limit);
    return {
      body: {
        tasks: tasks.map((t) => ({
          id: t.id,
          seq: t.seq,
          url: t.httpRequest.url,
          scheduleTime: iso(t.scheduleTime),
          dispatchCount: t.dispatchCount,
          responseCount: t.responseCount,
          lastStatus: t.lastAttempt?.httpStatus ?? null,
          inFlight: t.leaseId !== null && t.nextAt > platform.clock(),
        })),
      },
    };
  });

  api.get('/admin/v1/queues/{queue}/tasks/{task}/attempts', { permission: 'cloudtasks.tasks.get', on: onQueue }, async (req) => {
    const { queue, task } = req.params as { queue: string; task: string };
    const t = await store.getTask(queue, task);
    const attempts = await store.listAttempts(queue, task);
    if (!t && attempts.length === 0) throw notFound(`No task ${task} in queue ${queue}, and no recorded attempts of one.`, `queues/${queue}/tasks/${task}`);
    return {
      body: {
        task: t
          ? { id: t.id, state: t.state, url: t.httpRequest.url, dispatchCount: t.dispatchCount, responseCount: t.responseCount, scheduleTime: iso(t.scheduleTime), finishedAt: iso(t.finishedAt) }
          : null,
        attempts: attempts.map((a) => attemptView(platform, a)),
      },
    };
  });
}

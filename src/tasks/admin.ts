// authplane's own view of Cloud Tasks (not Google's API): queues, tasks and every recorded attempt
// with the front door's refusal code, so a user sees *why* attempt 3 failed. `authplane tasks`
// and the dashboard read these routes.

import { notFound } from '../apis/errors.js';
import type { Router } from '../apis/router.js';
import { projectResource, queueResource } from '../iam/resources.js';
import type { Platform } from '../platform.js';
import { attemptViews } from '../dispatch/attempt-log.js';
import { queueName } from './names.js';
import { requestLogFor } from '../observe/request-log.js';
import { QUEUE_NOT_FOUND } from './service.js';

const DOMAIN = 'cloudtasks.googleapis.com';
/** Queued tasks counted per queue for /admin/v1/queues. */
const COUNT_LIMIT = 1000;
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function tasksAdminRoutes(router: Router, platform: Platform): void {
  const store = platform.store.tasks;
  const api = router.for(DOMAIN);
  const onQueue = (req: { params: Record<string, string> }) => queueResource(req.params.queue!);

  api.get('/admin/v1/queues', { permission: 'cloudtasks.queues.list', on: () => projectResource(platform.config.project.id) }, async () => {
    const queues = await store.listQueues();
    const now = platform.clock();
    // Counted over the first COUNT_LIMIT queued tasks: a dashboard figure, not a scan of a large backlog.
    const counts = await Promise.all(
      queues.map(async (q) => {
        const tasks = await store.listTasks(q.id, 0, COUNT_LIMIT);
        const inFlight = tasks.filter((t) => t.leaseId !== null && t.nextAt > now).length;
        return { tasks: tasks.length, inFlight, atLeast: tasks.length === COUNT_LIMIT };
      }),
    );
    return {
      body: {
        queues: queues.map((q, i) => ({
          name: queueName({ project: platform.config.project.id, location: q.location, queue: q.id }),
          id: q.id,
          state: q.state,
          rateLimits: { maxDispatchesPerSecond: q.maxDispatchesPerSecond, maxBurstSize: q.maxBurstSize, maxConcurrentDispatches: q.maxConcurrentDispatches },
          retryConfig: { maxAttempts: q.maxAttempts, maxRetryDurationMs: q.maxRetryDurationMs, minBackoffMs: q.minBackoffMs, maxBackoffMs: q.maxBackoffMs, maxDoublings: q.maxDoublings },
          fromConfig: q.fromConfig,
          counts: counts[i],
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
        recent: recentTasks(platform, queueName({ project: platform.config.project.id, location: q.location, queue }), new Set(tasks.map((t) => t.id))),
      },
    };
  });

  api.get('/admin/v1/queues/{queue}/tasks/{task}/attempts', { permission: 'cloudtasks.tasks.get', on: onQueue }, async (req) => {
    const { queue, task } = req.params as { queue: string; task: string };
    const t = await store.getTask(queue, task);
    const q = await store.getQueue(queue);
    const attempts = await store.listAttempts(queue, task);
    if (!t && attempts.length === 0) throw notFound(`No task ${task} in queue ${queue}, and no recorded attempts of one.`, `queues/${queue}/tasks/${task}`);
    return {
      body: {
        task: t
          ? { id: t.id, state: t.state, url: t.httpRequest.url, dispatchCount: t.dispatchCount, responseCount: t.responseCount, scheduleTime: iso(t.scheduleTime), finishedAt: iso(t.finishedAt) }
          : null,
        attempts: attemptViews(platform, `${queueName({ project: platform.config.project.id, location: q?.location ?? platform.config.project.region, queue })}/tasks/${task}`, attempts),
      },
    };
  });
}

/**
 * Tasks of a queue that were attempted lately but are no longer queued (done, or dropped after their last
 * retry), newest first, from the request log's attempt entries: Cloud Tasks deletes finished tasks, and
 * the dashboard still lists them so their attempts stay one click away.
 */
function recentTasks(platform: Platform, queue: string, queued: Set<string>) {
  const log = requestLogFor(platform);
  const out = new Map<string, { id: string; attempts: number; lastStatus: number; lastCode: string | null; lastTime: string }>();
  for (const e of log.recent({ resource: queue, surface: 'dispatch', limit: log.capacity })) {
    const id = e.dispatch!.resource.slice(queue.length + '/tasks/'.length);
    if (queued.has(id) || out.has(id)) continue;
    out.set(id, { id, attempts: e.dispatch!.attempt, lastStatus: e.status, lastCode: e.code ?? null, lastTime: e.time });
  }
  return [...out.values()].slice(0, 100);
}

// What bench/tasks.ts and bench/tasks-dispatch.ts dispatch: a backlog in BACKLOG_QUEUES queues of Google's
// 500/s cap, each task an OIDC-authenticated POST to the Cloud Run service `update`, which the front door checks
// (roles/run.invoker) and passes to a counting target in the bench's own process; and the two steps of a
// round, filling the paused queues and delivering what they hold.
import type { CloudTasksClient } from '@google-cloud/tasks';
import { pool } from './pool.js';

export const BACKLOG_QUEUES = 12; // 12 × Google's 500/s cap: the bar (5,000/s) is 10× one queue
export const BACKLOG_RATE = 500;
export const INVOKER_SA = 'tasks-invoker@demo-project.iam.gserviceaccount.com';
/** The service's run.app URL: the task's target and its token's audience. */
export const SERVICE_URL = 'https://update-123456789012.us-central1.run.app/';
export const LOCATION = 'projects/demo-project/locations/us-central1';

export const backlogQueue = (i: number): string => `${LOCATION}/queues/backlog-${i}`;

/** The task every backlog queue holds. */
export const BACKLOG_TASK = { httpRequest: { url: SERVICE_URL, oidcToken: { serviceAccountEmail: INVOKER_SA } } };

/** The config (before testConfig) for a backlog whose service passes to `upstream`; `queues` adds more queues. */
export function backlogConfig(upstream: string, queues: object[] = []): Record<string, unknown> {
  return {
    serviceAccounts: [{ name: 'tasks-invoker' }, { name: 'update-runtime' }],
    services: [{ name: 'update', upstream, serviceAccount: 'update-runtime' }],
    iam: { bindings: [{ resource: 'services/update', role: 'roles/run.invoker', members: [`serviceAccount:${INVOKER_SA}`] }] },
    queues: [
      ...queues,
      ...Array.from({ length: BACKLOG_QUEUES }, (_, i) => ({ name: `backlog-${i}`, rateLimits: { maxDispatchesPerSecond: BACKLOG_RATE, maxConcurrentDispatches: 1000 } })),
    ],
  };
}

/** The bench's target as delivery counts it: the requests it received, and a callback after each. */
export interface DeliveryCounter {
  count: number;
  onCount?: (() => void) | undefined;
}

const backlogQueues = (): string[] => Array.from({ length: BACKLOG_QUEUES }, (_, i) => backlogQueue(i));

/** Pauses every backlog queue and fills them in turn with `n` tasks through `create` (64 in flight). */
export async function fillBacklog(client: Pick<CloudTasksClient, 'pauseQueue'>, n: number, create: (parent: string, i: number) => Promise<unknown>): Promise<void> {
  await Promise.all(backlogQueues().map((name) => client.pauseQueue({ name })));
  await pool(n, 64, (i) => create(backlogQueue(i % BACKLOG_QUEUES), i));
}

/** Resumes every backlog queue; resolves to the tasks `target` received once it has `n` more, or after `timeoutMs`. */
export async function deliverBacklog(client: Pick<CloudTasksClient, 'resumeQueue'>, target: DeliveryCounter, n: number, timeoutMs: number): Promise<number> {
  const before = target.count;
  const delivered = new Promise<void>((resolve) => (target.onCount = () => target.count - before >= n && resolve()));
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.all(backlogQueues().map((name) => client.resumeQueue({ name })));
    await Promise.race([delivered, new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
  } finally {
    clearTimeout(timer);
    target.onCount = undefined;
  }
  return target.count - before;
}

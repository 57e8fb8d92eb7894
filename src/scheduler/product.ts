// Cloud Scheduler as an authplane product: REST on the API port, gRPC on the gRPC port, its dispatcher, the
// jobs declared in config, and the service agent's role Google grants when the API is enabled.

import { fromMs, type Obj } from '../apis/proto.js';
import type { AuthplaneConfig, SchedulerJobConfig } from '../config/types.js';
import { Dispatcher, workerId } from '../dispatch/dispatcher.js';
import type { Platform } from '../platform.js';
import type { Product, StartedProduct } from '../product.js';
import { schedulerAdminRoutes } from './admin.js';
import { SCHEDULER_LANE, SchedulerSource, serviceAgent, type SchedulerDispatcher } from './dispatch-source.js';
import { schedulerGrpc } from './grpc.js';
import { settingsMessage, validateJob } from './job-model.js';
import { schedulerRestRoutes } from './rest.js';
import { CloudSchedulerService, newJobRecord, rescheduled } from './service.js';

interface SchedulerRuntime {
  dispatcher: SchedulerDispatcher;
  service: CloudSchedulerService;
}

// One product object serves every authplane in the process (tests run several): state per platform.
const runtimes = new WeakMap<Platform, SchedulerRuntime>();

function runtime(platform: Platform): SchedulerRuntime {
  let rt = runtimes.get(platform);
  if (!rt) {
    const dispatcher: SchedulerDispatcher = new Dispatcher(platform, new SchedulerSource(platform, workerId()));
    rt = { dispatcher, service: new CloudSchedulerService(platform, dispatcher) };
    runtimes.set(platform, rt);
  }
  return rt;
}

/** The dispatcher of a running authplane (tests and the bench read its counters). */
export const schedulerDispatcher = (platform: Platform): SchedulerDispatcher => runtime(platform).dispatcher;

/** A config job as the Job message a client would send. */
function jobMessage(j: SchedulerJobConfig): Obj {
  const t = j.httpTarget;
  return {
    description: j.description,
    schedule: j.schedule,
    timeZone: j.timeZone,
    httpTarget: {
      uri: t.uri,
      httpMethod: t.httpMethod,
      headers: t.headers,
      ...(t.body !== undefined ? { body: Buffer.from(t.body, 'utf8') } : {}),
      ...(t.oidcToken ? { oidcToken: t.oidcToken } : {}),
      ...(t.oauthToken ? { oauthToken: t.oauthToken } : {}),
    },
    retryConfig: {
      retryCount: j.retryConfig.retryCount,
      maxRetryDuration: fromMs(j.retryConfig.maxRetryDurationMs),
      minBackoffDuration: fromMs(j.retryConfig.minBackoffMs),
      maxBackoffDuration: fromMs(j.retryConfig.maxBackoffMs),
      maxDoublings: j.retryConfig.maxDoublings,
    },
    attemptDeadline: fromMs(j.attemptDeadlineMs),
  };
}

/**
 * Applies config jobs: new ones are created (paused if asked); existing ones take the config's settings, with
 * their schedule recomputed only when the settings changed, so a restart never moves a run that is due.
 */
async function applyConfigJobs(platform: Platform): Promise<void> {
  const store = platform.store.scheduler;
  const { project } = platform.config;
  for (const j of platform.config.schedulerJobs) {
    const valid = validateJob(jobMessage(j));
    const now = platform.clock();
    const record = newJobRecord({ project: project.id, location: project.region, job: j.name }, valid.settings, valid.schedule, now, true);
    if ((await store.createJob(j.paused ? { ...record, state: 'PAUSED' } : record)) === 'created') continue;
    const cur = await store.getJob(j.name);
    if (!cur) continue;
    if (JSON.stringify(settingsMessage(cur)) === JSON.stringify(settingsMessage(valid.settings)) && cur.location === project.region) continue;
    await store.updateJob(rescheduled({ ...cur, ...valid.settings, location: project.region, fromConfig: true }, valid.schedule, now));
  }
}

export const schedulerProduct: Product = {
  name: 'scheduler',

  serviceAgentBindings(config: AuthplaneConfig) {
    // Google grants it when the Cloud Scheduler API is enabled (REFERENCE §10); revoke it to reproduce the 403s.
    return [{ resource: `projects/${config.project.id}`, role: 'roles/cloudscheduler.serviceAgent', members: [serviceAgent(config.project.number)] }];
  },

  routes(router, platform) {
    schedulerRestRoutes(router, platform, runtime(platform).service);
    schedulerAdminRoutes(router, platform);
  },

  grpc(server, platform) {
    schedulerGrpc(server, runtime(platform).service);
  },

  attemptPreviewers(platform) {
    return [{ kind: 'job', preview: (id) => new SchedulerSource(platform, 'explain').preview(id) }];
  },

  async start(platform: Platform): Promise<StartedProduct> {
    const { dispatcher } = runtime(platform);
    await applyConfigJobs(platform);
    await dispatcher.start();
    dispatcher.wake(SCHEDULER_LANE);
    return {
      listeners: [],
      async stop() {
        await dispatcher.stop();
        runtimes.delete(platform);
      },
    };
  },
};

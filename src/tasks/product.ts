// Cloud Tasks as an authplane product: REST on the API port, gRPC on server.grpcPort, the
// dispatcher, and the queues declared in config.

import type { Router } from '../apis/router.js';
import type { Platform } from '../platform.js';
import type { Product, StartedProduct } from '../product.js';
import { tasksAdminRoutes } from './admin.js';
import { Dispatcher, workerId } from '../dispatch/dispatcher.js';
import type { Completion } from '../store/task-store.js';
import { TasksSource, type ClaimedTask } from './dispatch-source.js';
import { tasksGrpc } from './grpc.js';
import { queueFromConfig } from './queue-model.js';
import { tasksRestRoutes } from './rest.js';
import { CloudTasksService } from './service.js';

export type TasksDispatcher = Dispatcher<ClaimedTask, Completion>;

interface TasksRuntime {
  dispatcher: TasksDispatcher;
  service: CloudTasksService;
}

// One product object serves every authplane in the process (tests run several): state per platform.
const runtimes = new WeakMap<Platform, TasksRuntime>();

function runtime(platform: Platform): TasksRuntime {
  let rt = runtimes.get(platform);
  if (!rt) {
    const dispatcher: TasksDispatcher = new Dispatcher(platform, new TasksSource(platform, workerId()));
    rt = { dispatcher, service: new CloudTasksService(platform, dispatcher) };
    runtimes.set(platform, rt);
  }
  return rt;
}

/** The dispatcher of a running authplane (tests and the bench read its counters). */
export const tasksDispatcher = (platform: Platform): TasksDispatcher => runtime(platform).dispatcher;

export const tasksProduct: Product = {
  name: 'tasks',

  routes(router: Router, platform: Platform): void {
    const { service } = runtime(platform);
    tasksRestRoutes(router, platform, service);
    tasksAdminRoutes(router, platform);
  },

  grpc(server, platform) {
    tasksGrpc(server, runtime(platform).service);
  },

  attemptPreviewers(platform) {
    return [{ kind: 'task', preview: (id) => new TasksSource(platform, 'explain').preview(id) }];
  },

  async start(platform: Platform): Promise<StartedProduct> {
    const { dispatcher } = runtime(platform);
    const { project } = platform.config;
    for (const q of platform.config.queues) {
      await platform.store.tasks.upsertConfigQueue({ ...queueFromConfig(q, project.id, project.region), createdAt: platform.clock() });
    }
    await dispatcher.start();
    return {
      listeners: [],
      async stop() {
        await dispatcher.stop();
        runtimes.delete(platform);
      },
    };
  },
};

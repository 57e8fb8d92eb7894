// Cloud Tasks v2 over REST on the API port: Google's URL templates (cloudtasks.proto's http rules),
// proto3 JSON in and out, enums as numbers with `$alt=json;enum-encoding=int` (what
// @google-cloud/tasks sends in fallback mode) and as names otherwise.

import type { Router } from '../apis/router.js';
import { restRpcBinder } from '../apis/rest-rpc.js';
import type { Platform } from '../platform.js';
import { locationName, queueName, taskName } from './names.js';
import { tasksRoot } from './proto.js';
import type { Obj } from '../apis/proto.js';
import type { CloudTasksService } from './service.js';

const PKG = 'google.cloud.tasks.v2.';
const LOC = '/v2/projects/{project}/locations/{location}';
const QUEUE = `${LOC}/queues/{queue}`;
const TASK = `${QUEUE}/tasks/{task}`;

type Params = Record<string, string>;
const loc = (p: Params) => locationName({ project: p.project, location: p.location });
const queue = (p: Params) => queueName({ project: p.project, location: p.location, queue: p.queue });
const task = (p: Params) => taskName({ project: p.project, location: p.location, queue: p.queue, task: p.task });

export function tasksRestRoutes(router: Router, platform: Platform, service: CloudTasksService): void {
  const bind = restRpcBinder(router, 'cloudtasks.googleapis.com', tasksRoot, PKG);
  const s = service;
  const Q = `${PKG}Queue`;
  const T = `${PKG}Task`;
  const EMPTY = 'google.protobuf.Empty';
  const POLICY = 'google.iam.v1.Policy';

  bind('get', `${LOC}/queues`, { request: `${PKG}ListQueuesRequest`, response: `${PKG}ListQueuesResponse`, path: (p) => ({ parent: loc(p) }) }, (c, r) => s.listQueues(c, r));
  bind('post', `${LOC}/queues`, { request: `${PKG}CreateQueueRequest`, response: Q, path: (p) => ({ parent: loc(p) }), body: 'queue' }, (c, r) => s.createQueue(c, r));
  bind('get', QUEUE, { request: `${PKG}GetQueueRequest`, response: Q, path: (p) => ({ name: queue(p) }) }, (c, r) => s.getQueue(c, r));
  bind('patch', QUEUE, { request: `${PKG}UpdateQueueRequest`, response: Q, path: (p, j) => ({ queue: { ...((j.queue as Obj | undefined) ?? {}), name: queue(p) } }), body: 'queue' }, async (c, r) => s.updateQueue(c, r));
  bind('delete', QUEUE, { request: `${PKG}DeleteQueueRequest`, response: EMPTY, path: (p) => ({ name: queue(p) }) }, (c, r) => s.deleteQueue(c, r));
  bind('post', `${QUEUE}:purge`, { request: `${PKG}PurgeQueueRequest`, response: Q, path: (p) => ({ name: queue(p) }), body: '*' }, (c, r) => s.purgeQueue(c, r));
  bind('post', `${QUEUE}:pause`, { request: `${PKG}PauseQueueRequest`, response: Q, path: (p) => ({ name: queue(p) }), body: '*' }, (c, r) => s.pauseQueue(c, r));
  bind('post', `${QUEUE}:resume`, { request: `${PKG}ResumeQueueRequest`, response: Q, path: (p) => ({ name: queue(p) }), body: '*' }, (c, r) => s.resumeQueue(c, r));
  bind('post', `${QUEUE}:getIamPolicy`, { request: 'google.iam.v1.GetIamPolicyRequest', response: POLICY, path: (p) => ({ resource: queue(p) }), body: '*' }, (c, r) => s.getIamPolicy(c, r));
  bind('post', `${QUEUE}:setIamPolicy`, { request: 'google.iam.v1.SetIamPolicyRequest', response: POLICY, path: (p) => ({ resource: queue(p) }), body: '*' }, (c, r) => s.setIamPolicy(c, r));
  bind(
    'post',
    `${QUEUE}:testIamPermissions`,
    { request: 'google.iam.v1.TestIamPermissionsRequest', response: 'google.iam.v1.TestIamPermissionsResponse', path: (p) => ({ resource: queue(p) }), body: '*' },
    (c, r) => s.testIamPermissions(c, r),
  );
  bind('get', `${QUEUE}/tasks`, { request: `${PKG}ListTasksRequest`, response: `${PKG}ListTasksResponse`, path: (p) => ({ parent: queue(p) }) }, (c, r) => s.listTasks(c, r));
  bind('post', `${QUEUE}/tasks`, { request: `${PKG}CreateTaskRequest`, response: T, path: (p) => ({ parent: queue(p) }), body: '*' }, (c, r) => s.createTask(c, r));
  bind('get', TASK, { request: `${PKG}GetTaskRequest`, response: T, path: (p) => ({ name: task(p) }) }, (c, r) => s.getTask(c, r));
  bind('delete', TASK, { request: `${PKG}DeleteTaskRequest`, response: EMPTY, path: (p) => ({ name: task(p) }) }, (c, r) => s.deleteTask(c, r));
  bind('post', `${TASK}:run`, { request: `${PKG}RunTaskRequest`, response: T, path: (p) => ({ name: task(p) }), body: '*' }, (c, r) => s.runTask(c, r));

  // google.cloud.location.Locations, which the client also exposes: the emulated project's region.
  const location = (p: Record<string, string>) => ({ name: loc(p), locationId: p.location, displayName: p.location });
  const project = () => `projects/${platform.config.project.id}`;
  const api = router.for('cloudtasks.googleapis.com');
  api.get('/v2/projects/{project}/locations', { permission: 'cloudtasks.locations.list', on: project }, async (req) => ({
    body: { locations: [location({ project: req.params.project!, location: platform.config.project.region })] },
  }));
  api.get(LOC, { permission: 'cloudtasks.locations.get', on: project }, async (req) => ({ body: location(req.params) }));
}

// google.cloud.tasks.v2.CloudTasks, transport-free: every RPC takes the calling IAM member and the
// request in the shared object shape (proto.ts) and returns the response in it. gRPC (grpc.ts)
// and REST (rest.ts) are thin translators around this. Refusals are DenialErrors with Google's
// status and words plus authplane's code.

import { alreadyExists, failedPrecondition, invalidArgument, notFound } from '../apis/errors.js';
import { pageSize } from '../apis/paging.js';
import { requireActAs, requirePermission } from '../apis/caller.js';
import { checkRequestedVersion, policyMessage, setPolicyMessage } from '../apis/iam-policy.js';
import { projectResource, queueResource } from '../iam/resources.js';
import type { Platform } from '../platform.js';
import type { NewTask, QueueRecord, TaskRecord } from '../store/task-store.js';
import type { TasksDispatcher } from './product.js';
import { checkProject, locationName, parseLocation, parseQueue, parseTask, queueName, taskName, type QueueName } from './names.js';
import { applyQueueMessage, expandMask, newQueueRecord, toQueueMessage } from './queue-model.js';
import type { Obj } from '../apis/proto.js';
import { generateTaskId, toTaskMessage, validateNewTask, viewOf } from './task-model.js';
import { LEASE_GRACE_MS, QUEUE_TOMBSTONE_MS } from './dispatch-source.js';

const DOMAIN = 'cloudtasks.googleapis.com';
export const QUEUE_NOT_FOUND = 'Queue does not exist. If you just created the queue, wait at least a minute for the queue to initialize.';
const TASK_TOMBSTONE =
  'The task no longer exists, though a task with this name existed recently. The task either successfully completed or was deleted.';
const TASK_NOT_FOUND = 'Requested entity was not found.';
const MAX_QUEUE_PAGE = 9800;
const MAX_TASK_PAGE = 1000;

interface PageToken {
  after: string | number;
}
const encodeToken = (t: PageToken) => Buffer.from(JSON.stringify(t)).toString('base64url');
function decodeToken(s: unknown): PageToken | undefined {
  if (s === undefined || s === '') return undefined;
  try {
    const t = JSON.parse(Buffer.from(String(s), 'base64url').toString('utf8')) as PageToken;
    if (t && (typeof t.after === 'string' || typeof t.after === 'number')) return t;
  } catch {
    // fall through
  }
  throw invalidArgument('Invalid page_token: it must be a next_page_token returned by a previous List call.', 'page_token');
}

export class CloudTasksService {
  constructor(
    private readonly platform: Platform,
    private readonly dispatcher: TasksDispatcher,
  ) {}

  private get store() {
    return this.platform.store.tasks;
  }
  private get now() {
    return this.platform.clock();
  }
  private get project() {
    return this.platform.config.project;
  }

  /** `name`: the resource's full name, which Cloud Tasks' refusal names ("… for the resource "projects/P/locations/L/queues/Q" …"). */
  private need(caller: string, permission: string, resource: string, name: string): void {
    requirePermission(this.platform, caller, permission, resource, DOMAIN, name);
  }

  /** A live queue at exactly this name (project and location included), or Google's NOT_FOUND. */
  private async liveQueue(n: QueueName): Promise<QueueRecord> {
    checkProject(n, this.project.id, this.project.number);
    const q = await this.store.getQueue(n.queue);
    if (!q || q.deletedAt !== null || q.location !== n.location) throw notFound(QUEUE_NOT_FOUND, queueName(n));
    return q;
  }

  private queueOut(q: QueueRecord): Obj {
    return toQueueMessage({ ...q, project: this.project.id });
  }

  private taskOut(t: TaskRecord, q: QueueRecord, view: unknown): Obj {
    return toTaskMessage(t, this.project.id, q.location, viewOf(view));
  }

  // Queues ------------------------------------------------------------------

  async listQueues(caller: string, req: Obj): Promise<Obj> {
    const loc = parseLocation(req.parent);
    checkProject(loc, this.project.id, this.project.number);
    this.need(caller, 'cloudtasks.queues.list', projectResource(this.project.id), locationName(loc));
    const filter = String(req.filter ?? '').trim();
    let state: string | undefined;
    if (filter) {
      const m = /^state\s*[:=]\s*(RUNNING|PAUSED|DISABLED)$/.exec(filter);
      if (!m) throw invalidArgument(`Invalid filter "${filter}": only "state: RUNNING", "state: PAUSED" or "state: DISABLED" is supported.`, 'filter');
      state = m[1];
    }
    const size = pageSize(req.pageSize, MAX_QUEUE_PAGE);
    const after = decodeToken(req.pageToken)?.after as string | undefined;
    const all = (await this.store.listQueues()).filter((q) => q.location === loc.location && (!state || q.state === state) && (after === undefined || q.id > after));
    const page = all.slice(0, size);
    return { queues: page.map((q) => this.queueOut(q)), ...(all.length > size ? { nextPageToken: encodeToken({ after: page[page.length - 1]!.id }) } : {}) };
  }

  async getQueue(caller: string, req: Obj): Promise<Obj> {
    const n = parseQueue(req.name);
    checkProject(n, this.project.id, this.project.number);
    this.need(caller, 'cloudtasks.queues.get', queueResource(n.queue), queueName(n));
    return this.queueOut(await this.liveQueue(n));
  }

  async createQueue(caller: string, req: Obj): Promise<Obj> {
    const loc = parseLocation(req.parent);
    checkProject(loc, this.project.id, this.project.number);
    this.need(caller, 'cloudtasks.queues.create', projectResource(this.project.id), locationName(loc));
    const msg = req.queue as Obj | undefined;
    if (!msg) throw invalidArgument('queue is required.', 'queue');
    const n = parseQueue(msg.name, 'queue.name');
    if (n.project !== loc.project || n.location !== loc.location) {
      throw invalidArgument(`queue.name "${String(msg.name)}" must be in the parent location ${String(req.parent)}.`, 'queue.name');
    }
    const record = applyQueueMessage(newQueueRecord({ ...n, project: this.project.id }, this.now), msg, expandMask(undefined));
    const result = await this.store.createQueue(record, this.now, QUEUE_TOMBSTONE_MS);
    if (result === 'exists') throw alreadyExists(queueName(n));
    if (result === 'recently-deleted') {
      throw failedPrecondition('The queue cannot be created because a queue with this name existed too recently.', 'Choose another queue name: a deleted queue\'s name stays reserved for 7 days.');
    }
    this.dispatcher.laneRuns(record.id);
    return this.queueOut(record);
  }

  /** UpdateQueue creates the queue when it does not exist, as on Google. */
  async updateQueue(caller: string, req: Obj): Promise<Obj> {
    const msg = req.queue as Obj | undefined;
    if (!msg) throw invalidArgument('queue is required.', 'queue');
    const n = parseQueue(msg.name, 'queue.name');
    checkProject(n, this.project.id, this.project.number);
    const mask = expandMask((req.updateMask as { paths?: string[] } | undefined)?.paths);
    const cur = await this.store.getQueue(n.queue);
    if (!cur || cur.deletedAt !== null) {
      return this.createQueue(caller, { parent: locationName(n), queue: msg });
    }
    this.need(caller, 'cloudtasks.queues.update', queueResource(n.queue), queueName(n));
    if (cur.location !== n.location) throw notFound(QUEUE_NOT_FOUND, queueName(n));
    const updated = await this.store.updateQueue(applyQueueMessage(cur, msg, mask));
    if (!updated) throw notFound(QUEUE_NOT_FOUND, queueName(n));
    this.dispatcher.laneRuns(n.queue);
    return this.queueOut(updated);
  }

  async deleteQueue(caller: string, req: Obj): Promise<Obj> {
    const n = parseQueue(req.name);
    checkProject(n, this.project.id, this.project.number);
    this.need(caller, 'cloudtasks.queues.delete', queueResource(n.queue), queueName(n));
    await this.liveQueue(n);
    if (!(await this.store.deleteQueue(n.queue, this.now))) throw notFound(QUEUE_NOT_FOUND, queueName(n));
    return {};
  }

  async purgeQueue(caller: string, req: Obj): Promise<Obj> {
    const n = parseQueue(req.name);
    checkProject(n, this.project.id, this.project.number);
    this.need(caller, 'cloudtasks.queues.purge', queueResource(n.queue), queueName(n));
    await this.liveQueue(n);
    await this.store.purgeQueue(n.queue, this.now);
    return this.queueOut(await this.liveQueue(n));
  }

  async pauseQueue(caller: string, req: Obj): Promise<Obj> {
    return this.setState(caller, req, 'PAUSED', 'cloudtasks.queues.pause');
  }

  async resumeQueue(caller: string, req: Obj): Promise<Obj> {
    return this.setState(caller, req, 'RUNNING', 'cloudtasks.queues.resume');
  }

  private async setState(caller: string, req: Obj, state: 'RUNNING' | 'PAUSED', permission: string): Promise<Obj> {
    const n = parseQueue(req.name);
    checkProject(n, this.project.id, this.project.number);
    this.need(caller, permission, queueResource(n.queue), queueName(n));
    const q = await this.liveQueue(n);
    const updated = await this.store.updateQueue({ ...q, state });
    if (!updated) throw notFound(QUEUE_NOT_FOUND, queueName(n));
    if (state === 'RUNNING') this.dispatcher.laneRuns(n.queue);
    return this.queueOut(updated);
  }

  // IAM ---------------------------------------------------------------------

  private async iamResource(resource: unknown): Promise<string> {
    const n = parseQueue(resource, 'resource');
    await this.liveQueue(n);
    return queueResource(n.queue);
  }

  async getIamPolicy(caller: string, req: Obj): Promise<Obj> {
    const r = await this.iamResource(req.resource);
    this.need(caller, 'cloudtasks.queues.getIamPolicy', r, String(req.resource));
    checkRequestedVersion(req);
    return policyMessage(this.platform.iam.getPolicy(r));
  }

  async setIamPolicy(caller: string, req: Obj): Promise<Obj> {
    const r = await this.iamResource(req.resource);
    this.need(caller, 'cloudtasks.queues.setIamPolicy', r, String(req.resource));
    return setPolicyMessage(this.platform, r, req);
  }

  async testIamPermissions(caller: string, req: Obj): Promise<Obj> {
    const r = await this.iamResource(req.resource);
    const asked = (req.permissions as string[] | undefined) ?? [];
    for (const p of asked) if (!p.startsWith('cloudtasks.')) throw invalidArgument(`Permission ${p} is not valid for this resource.`, 'permissions');
    const held = asked.filter((p) => this.platform.iam.check(caller, p, r).allowed);
    return held.length ? { permissions: held } : {};
  }

  // Tasks -------------------------------------------------------------------

  async listTasks(caller: string, req: Obj): Promise<Obj> {
    const n = parseQueue(req.parent, 'parent');
    checkProject(n, this.project.id, this.project.number);
    this.need(caller, 'cloudtasks.tasks.list', queueResource(n.queue), queueName(n));
    const q = await this.liveQueue(n);
    const size = pageSize(req.pageSize, MAX_TASK_PAGE);
    const after = Number(decodeToken(req.pageToken)?.after ?? 0);
    const rows = await this.store.listTasks(n.queue, after, size + 1);
    const page = rows.slice(0, size);
    return {
      tasks: page.map((t) => this.taskOut(t, q, req.responseView)),
      ...(rows.length > size ? { nextPageToken: encodeToken({ after: page[page.length - 1]!.seq }) } : {}),
    };
  }

  async getTask(caller: string, req: Obj): Promise<Obj> {
    const n = parseTask(req.name);
    checkProject(n, this.project.id, this.project.number);
    this.need(caller, 'cloudtasks.tasks.get', queueResource(n.queue), queueName(n));
    const q = await this.liveQueue(n);
    return this.taskOut(await this.liveTask(n.queue, n.task), q, req.responseView);
  }

  private async liveTask(queue: string, id: string): Promise<TaskRecord> {
    const t = await this.store.getTask(queue, id);
    const name = taskName({ project: this.project.id, location: this.project.region, queue, task: id });
    if (!t) throw notFound(TASK_NOT_FOUND, name);
    if (t.state !== 'queued') throw notFound(TASK_TOMBSTONE, name);
    return t;
  }

  async createTask(caller: string, req: Obj): Promise<Obj> {
    const n = parseQueue(req.parent, 'parent');
    checkProject(n, this.project.id, this.project.number);
    this.need(caller, 'cloudtasks.tasks.create', queueResource(n.queue), queueName(n));
    let task: NewTask;
    try {
      task = await this.newTask(caller, req, n);
    } catch (e) {
      // A missing queue is answered before anything wrong with the task, as when the queue was read first.
      await this.liveQueue(n);
      throw e;
    }
    // The queue is checked with the insert (TaskStore.insertTask's queueLocation), not read beforehand: the
    // read cost a create ≈ 9 µs of CPU on SQLite and a round trip on PostgreSQL (bench/tasks-create).
    const now = task.createTime;
    const result = await this.store.insertTask(task, now, this.platform.config.tasks.nameReuseWindowMs, n.location);
    if (!result.ok) {
      if (result.queueMissing) throw notFound(QUEUE_NOT_FOUND, queueName(n));
      throw alreadyExists(taskName({ project: this.project.id, location: n.location, queue: n.queue, task: task.id }));
    }
    this.dispatcher.wake(n.queue, task.scheduleTime);
    return toTaskMessage(result.task, this.project.id, n.location, viewOf(req.responseView));
  }

  /** The task a CreateTask request asks for, validated, once the caller may act as its service account. */
  private async newTask(caller: string, req: Obj, n: QueueName): Promise<NewTask> {
    const task = req.task as Obj | undefined;
    if (!task) throw invalidArgument('task is required.', 'task');
    let id: string;
    let named = false;
    if (task.name !== undefined && task.name !== '') {
      const tn = parseTask(task.name, 'task.name');
      if (tn.queue !== n.queue || tn.location !== n.location || (tn.project !== n.project && tn.project !== this.project.id && tn.project !== this.project.number)) {
        throw invalidArgument(`task.name "${String(task.name)}" must be in the queue named by parent (${String(req.parent)}).`, 'task.name');
      }
      id = tn.task;
      named = true;
    } else id = generateTaskId();
    const now = this.now;
    const valid = validateNewTask(task, now);
    const sa = valid.httpRequest.oidcToken?.serviceAccountEmail ?? valid.httpRequest.oauthToken?.serviceAccountEmail;
    if (sa) await requireActAs(this.platform, caller, sa, DOMAIN);
    return { queue: n.queue, id, named, ...valid, createTime: now };
  }

  async deleteTask(caller: string, req: Obj): Promise<Obj> {
    const n = parseTask(req.name);
    checkProject(n, this.project.id, this.project.number);
    this.need(caller, 'cloudtasks.tasks.delete', queueResource(n.queue), queueName(n));
    await this.liveQueue(n);
    const r = await this.store.deleteTask(n.queue, n.task, this.now);
    if (r === 'missing') throw notFound(TASK_NOT_FOUND, taskName(n));
    if (r === 'tombstone') throw notFound(TASK_TOMBSTONE, taskName(n));
    return {};
  }

  /** Dispatches now, even when the queue is paused or rate-limited; the old schedule is dropped. */
  async runTask(caller: string, req: Obj): Promise<Obj> {
    const n = parseTask(req.name);
    checkProject(n, this.project.id, this.project.number);
    this.need(caller, 'cloudtasks.tasks.run', queueResource(n.queue), queueName(n));
    const q = await this.liveQueue(n);
    const claimed = await this.store.claimNow(n.queue, n.task, this.now, LEASE_GRACE_MS);
    if (claimed === 'missing') {
      await this.liveTask(n.queue, n.task); // throws the right NOT_FOUND
      throw notFound(TASK_NOT_FOUND, taskName(n));
    }
    if (claimed === 'in-flight') {
      throw failedPrecondition('The task is being dispatched right now; RunTask can run it again once the current attempt completes.', 'Wait for the current attempt to finish (authplane tasks attempts shows it), then run the task again.');
    }
    this.dispatcher.dispatch({ task: claimed, queue: q });
    return this.taskOut(claimed, q, req.responseView);
  }
}

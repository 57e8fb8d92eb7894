// Cloud Tasks resource names: projects/P/locations/L[/queues/Q[/tasks/T]], with Google's ID rules.

import { apiRefusal, invalidArgument } from '../apis/errors.js';

const QUEUE_ID = /^[A-Za-z0-9-]{1,100}$/;
const TASK_ID = /^[A-Za-z0-9_-]{1,500}$/;
const PROJECT_ID = /^[A-Za-z0-9:.-]+$/;
const LOCATION_ID = /^[A-Za-z0-9-]+$/;

export interface LocationName {
  project: string;
  location: string;
}
export interface QueueName extends LocationName {
  queue: string;
}
export interface TaskName extends QueueName {
  task: string;
}

export const locationName = (l: LocationName) => `projects/${l.project}/locations/${l.location}`;
export const queueName = (q: QueueName) => `${locationName(q)}/queues/${q.queue}`;
export const taskName = (t: TaskName) => `${queueName(t)}/tasks/${t.task}`;

function parts(name: unknown, field: string, shape: string, n: number): string[] {
  if (typeof name !== 'string' || name === '') throw invalidArgument(`${field} is required and must be of the form ${shape}.`, field);
  const p = name.split('/');
  const keys = ['projects', 'locations', 'queues', 'tasks'];
  if (p.length !== n * 2 || p.some((s, i) => (i % 2 === 0 ? s !== keys[i / 2] : s === ''))) {
    throw invalidArgument(`Invalid resource field value in the request. ${field} "${name}" must be of the form ${shape}.`, field);
  }
  return p;
}

export function parseLocation(name: unknown, field = 'parent'): LocationName {
  const p = parts(name, field, 'projects/PROJECT_ID/locations/LOCATION_ID', 2);
  const out = { project: p[1]!, location: p[3]! };
  if (!PROJECT_ID.test(out.project) || !LOCATION_ID.test(out.location)) throw invalidArgument(`Invalid resource field value in the request. ${field} "${String(name)}" is not a valid location name.`, field);
  return out;
}

export function parseQueue(name: unknown, field = 'name'): QueueName {
  const p = parts(name, field, 'projects/PROJECT_ID/locations/LOCATION_ID/queues/QUEUE_ID', 3);
  const loc = parseLocation(p.slice(0, 4).join('/'), field);
  const queue = p[5]!;
  if (!QUEUE_ID.test(queue)) {
    throw invalidArgument(
      `Invalid resource field value in the request. Queue ID "${queue}" is invalid: QUEUE_ID can contain letters ([A-Za-z]), numbers ([0-9]), or hyphens (-). The maximum length is 100 characters.`,
      field,
    );
  }
  return { ...loc, queue };
}

export function parseTask(name: unknown, field = 'name'): TaskName {
  const p = parts(name, field, 'projects/PROJECT_ID/locations/LOCATION_ID/queues/QUEUE_ID/tasks/TASK_ID', 4);
  const q = parseQueue(p.slice(0, 6).join('/'), field);
  const task = p[7]!;
  if (!TASK_ID.test(task)) {
    throw invalidArgument(
      `Invalid resource field value in the request. Task ID "${task.length > 60 ? task.slice(0, 60) + '…' : task}" is invalid: TASK_ID can contain only letters ([A-Za-z]), numbers ([0-9]), hyphens (-), or underscores (_). The maximum length is 500 characters.`,
      field,
    );
  }
  return { ...q, task };
}

/** The emulator hosts one project, known by its ID or number; other projects look like Google's "no access". */
export function checkProject(loc: LocationName, projectId: string, projectNumber: string): void {
  if (loc.project === projectId || loc.project === projectNumber) return;
  throw apiRefusal('PROJECT_NOT_EMULATED', {
    project: loc.project,
    emulated: projectId,
    emulatedNumber: projectNumber,
    errorMetadata: { consumer: `projects/${loc.project}`, service: 'cloudtasks.googleapis.com' },
  });
}

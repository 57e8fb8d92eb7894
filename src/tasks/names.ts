// Cloud Tasks resource names: projects/P/locations/L[/queues/Q[/tasks/T]], with Google's ID rules.

import { invalidArgument } from '../apis/errors.js';
import { checkProject as checkProjectOf, locationName, nameParts, parseLocation, type LocationName } from '../apis/resource-names.js';

export { locationName, parseLocation, type LocationName };

const QUEUE_ID = /^[A-Za-z0-9-]{1,100}$/;
const TASK_ID = /^[A-Za-z0-9_-]{1,500}$/;
const KEYS = ['projects', 'locations', 'queues', 'tasks'] as const;

export interface QueueName extends LocationName {
  queue: string;
}
export interface TaskName extends QueueName {
  task: string;
}

export const queueName = (q: QueueName) => `${locationName(q)}/queues/${q.queue}`;
export const taskName = (t: TaskName) => `${queueName(t)}/tasks/${t.task}`;
export function parseQueue(name: unknown, field = 'name'): QueueName {
  const p = nameParts(name, field, 'projects/PROJECT_ID/locations/LOCATION_ID/queues/QUEUE_ID', KEYS, 3);
  const loc = parseLocation(p.slice(0, 4).join('/'), field);
  const queue = p[5]!;
  if (!QUEUE_ID.test(queue)) {
    throw invalidArgument(
      `Invalid resource field value in the request. Queue ID "${queue}" is invalid: QUEUE_ID can contain letters ([A-Za-z]), numbers ([0-9]), or hyphens (-). The maximum length is 100 characters.`,
      field,
    );
  }
  // Not `{ ...loc, queue }`: on every call (docs/performance.md, "Object literals that begin with a spread").
  return { project: loc.project, location: loc.location, queue };
}

export function parseTask(name: unknown, field = 'name'): TaskName {
  const p = nameParts(name, field, 'projects/PROJECT_ID/locations/LOCATION_ID/queues/QUEUE_ID/tasks/TASK_ID', KEYS, 4);
  const q = parseQueue(p.slice(0, 6).join('/'), field);
  const task = p[7]!;
  if (!TASK_ID.test(task)) {
    throw invalidArgument(
      `Invalid resource field value in the request. Task ID "${task.length > 60 ? task.slice(0, 60) + '…' : task}" is invalid: TASK_ID can contain only letters ([A-Za-z]), numbers ([0-9]), hyphens (-), or underscores (_). The maximum length is 500 characters.`,
      field,
    );
  }
  return { project: q.project, location: q.location, queue: q.queue, task };
}

/** The emulator hosts one project, known by its ID or number; other projects look like Google's "no access". */
export const checkProject = (loc: LocationName, projectId: string, projectNumber: string): void => checkProjectOf(loc, projectId, projectNumber, 'cloudtasks.googleapis.com');

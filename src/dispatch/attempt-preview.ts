// What one of Google's callers would send on its next attempt for one of its resources (a Cloud Scheduler
// job, a Pub/Sub push subscription, a Cloud Tasks task), built by the same code that builds real attempts,
// so `authplane explain --job|--subscription|--task` predicts what the attempt will meet at the front door.

import type { HttpAttemptRequest } from './http-attempt.js';

/** The kinds of resource whose next attempt can be explained, as the CLI names them. */
export const PREVIEW_KINDS = ['job', 'subscription', 'task'] as const;
export type PreviewKind = (typeof PREVIEW_KINDS)[number];

export interface AttemptPreview {
  /** Who sends it, in Google's words: "Cloud Scheduler", "Pub/Sub push", "Cloud Tasks". */
  caller: string;
  /** The resource's full name (projects/P/locations/L/jobs/J, projects/P/subscriptions/S, …/queues/Q/tasks/T). */
  resource: string;
  request: HttpAttemptRequest;
}

export interface AttemptPreviewer {
  kind: PreviewKind;
  /** The next attempt for the resource with this ID (a task: QUEUE/TASK); undefined when there is none such. */
  preview(id: string): Promise<AttemptPreview | undefined>;
}

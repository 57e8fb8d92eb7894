// A Cloud Tasks attempt as Cloud Tasks' operation log entry (REFERENCE §11 LG6, LG7 — a recorded entry):
//
//   logName   projects/P/logs/cloudtasks.googleapis.com%2Ftask_operations_log
//   resource  cloud_tasks_queue {project_id, location, queue_id, target_type}
//   jsonPayload {"@type": "type.googleapis.com/google.cloud.tasks.logging.v1.TaskActivityLog",
//                task: projects/P/locations/L/queues/Q/tasks/T,
//                attemptResponseLog: {attemptDuration, dispatchCount, responseCount, retryTime,
//                                     scheduleTime, status, targetAddress: "METHOD URL", targetType: "HTTP"}}
//   severity  ERROR for a failed attempt (recorded), INFO for a delivered one
//
// dispatchCount and responseCount are int64 (strings); status is the google.rpc.Code name ("UNKNOWN" when
// the target never answered, as recorded). The fourth resource label is taken to be target_type: the
// recording shows four labels but not their names. maxAttempts, recorded as 0, is left out: its meaning
// is not known. Google writes these only for queues whose stackdriverLoggingConfig.samplingRatio samples
// the task; the dispatcher marks the others googleVisible false.

import type { RequestLogEntry } from '../observe/request-log.js';
import { authplaneLabels } from './authplane-labels.js';
import { attemptOutcome, nameParts } from './dispatch-outcome.js';
import type { EntryContext, TimedEntry } from './entry-context.js';
import { shortInsertId } from './insert-id.js';
import { logName, type LogEntry } from './log-entry.js';
import { formatDuration, formatTimestamp, msToNs } from './proto-time.js';

export const TASK_OPERATIONS_LOG = 'cloudtasks.googleapis.com/task_operations_log';

/** `responseCount`: responses the task has had up to and including this attempt. */
export function tasksAttemptEntry(r: RequestLogEntry, ctx: EntryContext, responseCount: number): TimedEntry | undefined {
  const d = r.dispatch;
  if (!r.googleVisible || d === undefined || d.product !== 'cloudtasks') return undefined;
  const parts = nameParts(d.resource);
  const outcome = attemptOutcome(r);
  const endMs = Date.parse(r.time) + r.durationMs;
  const at = msToNs(endMs);
  const entry: LogEntry = {
    insertId: shortInsertId(r.id),
    jsonPayload: {
      '@type': 'type.googleapis.com/google.cloud.tasks.logging.v1.TaskActivityLog',
      attemptResponseLog: {
        attemptDuration: formatDuration(r.durationMs),
        dispatchCount: String(d.attempt),
        responseCount: String(responseCount),
        ...(d.retryTime !== undefined ? { retryTime: d.retryTime } : {}),
        scheduleTime: d.scheduleTime,
        status: outcome.rpcStatus,
        targetAddress: d.target,
        targetType: 'HTTP',
      },
      task: d.resource,
    },
    labels: authplaneLabels(r),
    logName: logName(ctx.projectId, TASK_OPERATIONS_LOG),
    receiveTimestamp: formatTimestamp(at),
    resource: {
      type: 'cloud_tasks_queue',
      labels: { location: parts['locations'] ?? ctx.region, project_id: ctx.projectId, queue_id: parts['queues'] ?? '', target_type: 'HTTP' },
    },
    severity: outcome.succeeded ? 'INFO' : 'ERROR',
    timestamp: formatTimestamp(at),
  };
  return { entry, at };
}

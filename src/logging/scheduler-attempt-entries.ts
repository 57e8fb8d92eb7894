// A Cloud Scheduler attempt as the two entries Cloud Scheduler writes (REFERENCE §10 end, SC4 — recorded
// entries, not documented):
//
//   logName   projects/P/logs/cloudscheduler.googleapis.com%2Fexecutions
//   resource  cloud_scheduler_job {job_id, location, project_id}
//   AttemptStarted   jsonPayload {"@type": "…scheduler.logging.AttemptStarted", jobName, scheduledTime,
//                                 targetType: "HTTP", url}, severity INFO
//   AttemptFinished  jsonPayload {"@type": "…scheduler.logging.AttemptFinished", jobName, targetType, url,
//                                 status (absent on success), debugInfo}, httpRequest {status}
//
// debugInfo as recorded: "URL_CRAWLED. Original HTTP response code number = 200",
// "URL_ERROR-ERROR_AUTHENTICATION. … = 401", "URL_ERROR-ERROR_OTHER. … = 403",
// "URL_ERROR-ERROR_NOT_FOUND. … = 404", "URL_UNREACHABLE-UNREACHABLE_5xx. … = 500". A failed attempt is
// ERROR (recorded alert filters select failures with severity>=ERROR).

import type { RequestLogEntry } from '../observe/request-log.js';
import { authplaneLabels } from './authplane-labels.js';
import { attemptOutcome, nameParts } from './dispatch-outcome.js';
import type { EntryContext, TimedEntry } from './entry-context.js';
import { shortInsertId } from './insert-id.js';
import { logName, type LogEntry } from './log-entry.js';
import { formatTimestamp, msToNs } from './proto-time.js';

export const SCHEDULER_EXECUTIONS_LOG = 'cloudscheduler.googleapis.com/executions';
const TYPE = 'type.googleapis.com/google.cloud.scheduler.logging';

function debugInfo(status: number): string | undefined {
  const kind =
    status >= 200 && status < 300
      ? 'URL_CRAWLED'
      : status === 401
        ? 'URL_ERROR-ERROR_AUTHENTICATION'
        : status === 404
          ? 'URL_ERROR-ERROR_NOT_FOUND'
          : status >= 500
            ? 'URL_UNREACHABLE-UNREACHABLE_5xx'
            : 'URL_ERROR-ERROR_OTHER';
  return `${kind}. Original HTTP response code number = ${status}`;
}

export function schedulerAttemptEntries(r: RequestLogEntry, ctx: EntryContext): TimedEntry[] {
  const d = r.dispatch;
  if (!r.googleVisible || d === undefined || d.product !== 'cloudscheduler') return [];
  const parts = nameParts(d.resource);
  const outcome = attemptOutcome(r);
  const resource = { type: 'cloud_scheduler_job', labels: { job_id: parts['jobs'] ?? '', location: parts['locations'] ?? ctx.region, project_id: ctx.projectId } };
  const labels = authplaneLabels(r);
  const log = logName(ctx.projectId, SCHEDULER_EXECUTIONS_LOG);
  const startMs = Date.parse(r.time);
  const started = msToNs(startMs);
  const finished = msToNs(startMs + r.durationMs);
  const startedEntry: LogEntry = {
    insertId: shortInsertId(r.id, 'started'),
    jsonPayload: { '@type': `${TYPE}.AttemptStarted`, jobName: d.resource, scheduledTime: d.scheduleTime, targetType: 'HTTP', url: outcome.url },
    labels,
    logName: log,
    receiveTimestamp: formatTimestamp(started),
    resource,
    severity: 'INFO',
    timestamp: formatTimestamp(started),
  };
  const finishedEntry: LogEntry = {
    ...(outcome.responded ? { httpRequest: { status: r.status } } : {}),
    insertId: shortInsertId(r.id, 'finished'),
    jsonPayload: {
      '@type': `${TYPE}.AttemptFinished`,
      ...(outcome.responded ? { debugInfo: debugInfo(r.status) } : {}),
      jobName: d.resource,
      ...(outcome.succeeded ? {} : { status: outcome.rpcStatus }),
      targetType: 'HTTP',
      url: outcome.url,
    },
    labels,
    logName: log,
    receiveTimestamp: formatTimestamp(finished),
    resource,
    severity: outcome.succeeded ? 'INFO' : 'ERROR',
    timestamp: formatTimestamp(finished),
  };
  return [
    { entry: startedEntry, at: started },
    { entry: finishedEntry, at: finished },
  ];
}

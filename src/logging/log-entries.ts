// The project's LogEntries, made from authplane's request log (src/observe/request-log.ts): every
// request it answered, as the log Google would have written for it —
//
//   surface 'run', 'iap'   → Cloud Run request logs            (run-request-entry.ts)
//   surface 'api'          → Cloud Audit Logs, refused calls   (audit-entry.ts)
//   surface 'dispatch'     → Cloud Tasks / Cloud Scheduler / Pub/Sub push attempt logs
//
// Entries Google would not write (googleVisible false: ingress blocks, unsampled task attempts) and
// surfaces Google does not log (gateway, metadata server, authplane's own API) are left out. The source
// is the request log's in-memory window (its newest `capacity` entries); DATA_DIR/requests.log keeps all.

import type { Platform } from '../platform.js';
import { requestLogFor, type RequestLogEntry } from '../observe/request-log.js';
import { auditEntry } from './audit-entry.js';
import { entryContextFor, type EntryContext, type TimedEntry } from './entry-context.js';
import { pubsubDeliveryEntry } from './pubsub-delivery-entry.js';
import { runRequestEntry } from './run-request-entry.js';
import { schedulerAttemptEntries } from './scheduler-attempt-entries.js';
import { tasksAttemptEntry } from './tasks-attempt-entry.js';

export function logEntries(records: readonly RequestLogEntry[], ctx: EntryContext): TimedEntry[] {
  const responseCount = taskResponseCounts(records);
  const out: TimedEntry[] = [];
  const add = (e: TimedEntry | undefined) => {
    if (e !== undefined) out.push(e);
  };
  for (const r of records) {
    switch (r.surface) {
      case 'run':
      case 'iap':
        add(runRequestEntry(r, ctx));
        break;
      case 'api':
        add(auditEntry(r, ctx));
        break;
      case 'dispatch':
        if (r.dispatch?.product === 'cloudtasks') add(tasksAttemptEntry(r, ctx, responseCount(r)));
        else if (r.dispatch?.product === 'cloudscheduler') out.push(...schedulerAttemptEntries(r, ctx));
        else add(pubsubDeliveryEntry(r, ctx));
        break;
    }
  }
  return out;
}

export function logEntriesFor(platform: Platform): TimedEntry[] {
  const log = requestLogFor(platform);
  return logEntries(log.recent({ limit: log.capacity }), entryContextFor(platform));
}

/** For each task attempt, the responses its task has had up to and including it (among the records at hand). */
function taskResponseCounts(records: readonly RequestLogEntry[]): (r: RequestLogEntry) => number {
  const byTask = new Map<string, { attempt: number; responded: boolean }[]>();
  for (const r of records) {
    if (r.surface !== 'dispatch' || r.dispatch?.product !== 'cloudtasks') continue;
    const list = byTask.get(r.dispatch.resource) ?? [];
    list.push({ attempt: r.dispatch.attempt, responded: r.status >= 100 });
    byTask.set(r.dispatch.resource, list);
  }
  return (r) => (byTask.get(r.dispatch!.resource) ?? []).filter((a) => a.attempt <= r.dispatch!.attempt && a.responded).length;
}

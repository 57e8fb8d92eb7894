// A Pub/Sub push delivery attempt. Google writes no log entry per push (none was found: push outcomes
// appear as the subscription/push_request_count metric, labelled response_code and response_class —
// https://cloud.google.com/pubsub/docs/push-troubleshooting), so this entry is authplane's own, kept
// minimal and in Google's vocabulary:
//
//   logName   projects/P/logs/pubsub.googleapis.com%2Fpush_deliveries          (authplane's name)
//   resource  pubsub_subscription {project_id, subscription_id}               (the metrics' resource)
//   httpRequest {requestMethod, requestUrl, status, latency}                  (when the endpoint answered)
//   jsonPayload {subscription, messageId, deliveryAttempt, pushEndpoint, responseCode, responseClass}
//
// responseClass uses the metric's documented classes: ack (200, 201, 202, 204, 102 — REFERENCE §9),
// remote_server_4xx, remote_server_5xx, deadline_exceeded, invalid (any other answer); "unreachable"
// (no answer before a deadline) is authplane's. Severity follows the status like Cloud Run's request logs.

import type { RequestLogEntry } from '../observe/request-log.js';
import { authplaneLabels } from './authplane-labels.js';
import { attemptOutcome, nameParts } from './dispatch-outcome.js';
import type { EntryContext, TimedEntry } from './entry-context.js';
import { shortInsertId } from './insert-id.js';
import { logName, type LogEntry } from './log-entry.js';
import { formatDuration, formatTimestamp, msToNs } from './proto-time.js';
import { severityForStatus } from './severity.js';

export const PUSH_DELIVERIES_LOG = 'pubsub.googleapis.com/push_deliveries';

const ACK = new Set([200, 201, 202, 204, 102]);

function responseClass(r: RequestLogEntry, responded: boolean, rpcStatus: string): string {
  if (!responded) return rpcStatus === 'DEADLINE_EXCEEDED' ? 'deadline_exceeded' : 'unreachable';
  if (ACK.has(r.status)) return 'ack';
  if (r.status >= 400 && r.status < 500) return 'remote_server_4xx';
  if (r.status >= 500) return 'remote_server_5xx';
  return 'invalid';
}

export function pubsubDeliveryEntry(r: RequestLogEntry, ctx: EntryContext): TimedEntry | undefined {
  const d = r.dispatch;
  if (!r.googleVisible || d === undefined || d.product !== 'pubsub') return undefined;
  const outcome = attemptOutcome(r);
  const endMs = Date.parse(r.time) + r.durationMs;
  const at = msToNs(endMs);
  const cls = responseClass(r, outcome.responded, outcome.rpcStatus);
  const entry: LogEntry = {
    ...(outcome.responded ? { httpRequest: { requestMethod: outcome.method, requestUrl: outcome.url, status: r.status, latency: formatDuration(r.durationMs) } } : {}),
    insertId: shortInsertId(r.id),
    jsonPayload: {
      subscription: d.resource,
      ...(d.messageId !== undefined ? { messageId: d.messageId } : {}),
      deliveryAttempt: d.attempt,
      pushEndpoint: outcome.url,
      ...(outcome.responded ? { responseCode: r.status } : {}),
      responseClass: cls,
    },
    labels: authplaneLabels(r),
    logName: logName(ctx.projectId, PUSH_DELIVERIES_LOG),
    receiveTimestamp: formatTimestamp(at),
    resource: { type: 'pubsub_subscription', labels: { project_id: ctx.projectId, subscription_id: nameParts(d.resource)['subscriptions'] ?? '' } },
    severity: outcome.responded ? severityForStatus(r.status) : 'ERROR',
    timestamp: formatTimestamp(at),
  };
  return { entry, at };
}

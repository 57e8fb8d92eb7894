// A front-door request (surface 'run', or 'iap' for a service behind IAP) as the Cloud Run request log
// entry Google writes for it, field by field after recorded entries (REFERENCE §11 LG2, LG3):
//
//   logName   projects/P/logs/run.googleapis.com%2Frequests
//   resource  cloud_run_revision {service_name, revision_name, configuration_name, location, project_id}
//   httpRequest {requestMethod, requestUrl, requestSize, status, responseSize, userAgent, remoteIp,
//                serverIp, referer, latency, protocol}  — sizes as strings, latency "0s" for refusals
//   severity  from the status (observed, not documented: severity.ts)
//   textPayload  Google's recorded words for a refusal, where they were recorded
//   trace, spanId, traceSampled  when the request carried a trace header
//
// requestUrl is the URL the client used: the run.app, cloudfunctions.net or custom-domain host it sent. A request
// that reached the front door by its local address (127.0.0.1:PORT) is shown at the service's run.app
// URL, as it would be on Google. Requests Google does not log (ingress blocks, googleVisible false)
// have no entry.

import type { RequestLogEntry } from '../observe/request-log.js';
import { authplaneLabels } from './authplane-labels.js';
import type { EntryContext, TimedEntry } from './entry-context.js';
import { runInsertId } from './insert-id.js';
import { logName, type HttpRequest, type LogEntry } from './log-entry.js';
import { formatDuration, formatTimestamp, msToNs } from './proto-time.js';
import { severityForStatus } from './severity.js';
import { traceFields } from './trace-fields.js';

export const RUN_REQUESTS_LOG = 'run.googleapis.com/requests';

const READ_MORE = 'Read more at https://cloud.google.com/run/docs/securing/authenticating Additional troubleshooting documentation can be found at:';

/** Google's textPayload for a refusal, where recorded (REFERENCE §11 LG3, §13 E2; the 401 text: recorded receiving-service log, third-party). */
function refusalText(r: RequestLogEntry): string | undefined {
  if (r.code === 'TOKEN_MISSING' && r.status === 403) {
    return `The request was not authenticated. Either allow unauthenticated invocations or set the proper Authorization header. ${READ_MORE} https://cloud.google.com/run/docs/troubleshooting#unauthorized-client`;
  }
  if (r.outcome === 'refused' && r.status === 401 && r.surface === 'run') return `The request was not authorized to invoke this service. ${READ_MORE} https://cloud.google.com/run/docs/troubleshooting#401`;
  if (r.status === 504) return 'The request has been terminated because it has reached the maximum request timeout. To change this limit, see https://cloud.google.com/run/docs/configuring/request-timeout';
  return undefined;
}

export function runRequestEntry(r: RequestLogEntry, ctx: EntryContext): TimedEntry | undefined {
  if (!r.googleVisible) return undefined;
  const view = ctx.service(r.service);
  const startMs = Date.parse(r.time);
  const at = msToNs(startMs);
  const http = r.http;
  const path = r.path + (http?.query ?? '');
  const host = r.host?.toLowerCase();
  const requestUrl = host !== undefined && view?.publicHosts.has(host) ? `https://${host}${path}` : `${view?.canonicalUrl ?? `https://${r.service}-${ctx.projectNumber}.${ctx.region}.run.app`}${path}`;
  const httpRequest: HttpRequest = {
    requestMethod: r.method,
    requestUrl,
    ...(http ? { requestSize: String(http.requestSize) } : {}),
    status: r.status,
    ...(http?.responseSize !== undefined ? { responseSize: String(http.responseSize) } : {}),
    ...(http?.userAgent !== undefined ? { userAgent: http.userAgent } : {}),
    ...(r.source ? { remoteIp: r.source.replace(/^::ffff:/, '') } : {}),
    ...(view?.serverIp !== undefined ? { serverIp: view.serverIp } : {}),
    ...(http?.referer !== undefined ? { referer: http.referer } : {}),
    latency: r.outcome === 'refused' ? '0s' : formatDuration(r.durationMs),
    ...(http ? { protocol: http.protocol } : {}),
  };
  const text = refusalText(r);
  const entry: LogEntry = {
    httpRequest,
    insertId: runInsertId(at, r.id),
    labels: authplaneLabels(r),
    logName: logName(ctx.projectId, RUN_REQUESTS_LOG),
    receiveTimestamp: formatTimestamp(msToNs(startMs + r.durationMs)),
    resource: {
      type: 'cloud_run_revision',
      labels: {
        configuration_name: r.service,
        location: ctx.region,
        project_id: ctx.projectId,
        revision_name: view?.revision ?? `${r.service}-00001`,
        service_name: r.service,
      },
    },
    severity: severityForStatus(r.status),
    timestamp: formatTimestamp(at),
    ...(text !== undefined ? { textPayload: text } : {}),
    ...traceFields(http, ctx.projectId),
  };
  return { entry, at };
}

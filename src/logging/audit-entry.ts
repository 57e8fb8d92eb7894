// A refused (or failed) call of a Google API as the Cloud Audit Logs entry Google writes for it:
// protoPayload is a google.cloud.audit.AuditLog (google/cloud/audit/audit_log.proto) — serviceName,
// methodName, resourceName, authenticationInfo.principalEmail, authorizationInfo [{resource, permission,
// granted}], requestMetadata {callerIp, callerSuppliedUserAgent}, status {code, message} — shaped after
// recorded entries: elastic/integrations packages/gcp/data_stream/audit/_dev/test/pipeline/test-audit.log
// (a PERMISSION_DENIED read: `"status":{"code":7,"message":"PERMISSION_DENIED"}`) and
// test-iamcredentials-googleapis-com.log (methodName "GenerateAccessToken").
//
// Choices where Google's rules were not found (docs/logging.md lists them):
// - only refused and failed calls are written: successful reads are Data Access logs, off by default,
//   and successful changes are not mapped yet;
// - the log is cloudaudit.googleapis.com/activity for methods that change configuration and
//   cloudaudit.googleapis.com/data_access for the rest (reads, token minting, task data);
// - resource `audited_resource` {service, method, project_id}, the generic audit resource (recorded for
//   admin.googleapis.com); severity ERROR;
// - methodName: gRPC's own (google.cloud.tasks.v2.CloudTasks.CreateTask); for REST, derived from the
//   URL (`:verb`, or List/Get/Create/Update/Delete + the collection) behind the API's RPC service name.

import type { RequestLogEntry } from '../observe/request-log.js';
import { googleAnswer, isRefusalCode } from '../verify/codes.js';
import { GRPC_CODES } from '../verify/response.js';
import { rpcStatusForHttp } from '../apis/errors.js';
import { authplaneLabels } from './authplane-labels.js';
import type { EntryContext, TimedEntry } from './entry-context.js';
import { shortInsertId } from './insert-id.js';
import { logName, type LogEntry } from './log-entry.js';
import { formatTimestamp, msToNs } from './proto-time.js';

export const AUDIT_ACTIVITY_LOG = 'cloudaudit.googleapis.com/activity';
export const AUDIT_DATA_ACCESS_LOG = 'cloudaudit.googleapis.com/data_access';

/** The RPC service each REST API's methods belong to (the gRPC names Google's audit logs use). */
const RPC_SERVICES: Record<string, string | ((resourceName: string) => string)> = {
  'cloudtasks.googleapis.com': 'google.cloud.tasks.v2.CloudTasks',
  'cloudscheduler.googleapis.com': 'google.cloud.scheduler.v1.CloudScheduler',
  'run.googleapis.com': (name) => (name.startsWith('namespaces/') ? 'google.cloud.run.v1.Services' : 'google.cloud.run.v2.Services'),
  'iam.googleapis.com': 'google.iam.admin.v1',
  'iap.googleapis.com': 'google.cloud.iap.v1.IdentityAwareProxyAdminService',
  'logging.googleapis.com': 'google.logging.v2.LoggingServiceV2',
  'cloudresourcemanager.googleapis.com': 'google.cloudresourcemanager.v1.Projects',
  'pubsub.googleapis.com': (name) => (name.includes('/subscriptions') ? 'google.pubsub.v1.Subscriber' : 'google.pubsub.v1.Publisher'),
  // Recorded without a service prefix: "GenerateAccessToken".
  'iamcredentials.googleapis.com': '',
};

/** Methods whose names the URL does not give. */
const METHOD_NAMES: Record<string, string> = {
  'logging.googleapis.com POST /v2/entries:list': 'google.logging.v2.LoggingServiceV2.ListLogEntries',
};

/** Google APIs that write no audit logs (the OAuth endpoints). */
const NOT_AUDITED = new Set(['oauth2.googleapis.com', 'www.googleapis.com']);

const CHANGES = /^(Create|Update|Patch|Replace|Delete|Set|Pause|Resume|Purge|Undelete|Enable|Disable|Add|Remove|Upload)/;
/** Task and message data are Data Access even when written (Cloud Tasks' CreateTask is DATA_WRITE). */
const DATA_WRITES = /^(CreateTask|DeleteTask|RunTask|Publish|Acknowledge|ModifyAckDeadline|Pull|StreamingPull)$/;

export function auditEntry(r: RequestLogEntry, ctx: EntryContext): TimedEntry | undefined {
  if (!r.googleVisible || r.status < 400 || !r.service.endsWith('.googleapis.com') || NOT_AUDITED.has(r.service) || r.path.startsWith('/admin/')) return undefined;
  const { methodName, resourceName } = describeCall(r);
  const shortMethod = methodName.slice(methodName.lastIndexOf('.') + 1);
  const log = CHANGES.test(shortMethod) && !DATA_WRITES.test(shortMethod) ? AUDIT_ACTIVITY_LOG : AUDIT_DATA_ACCESS_LOG;
  const startMs = Date.parse(r.time);
  const at = msToNs(startMs);
  const rpcStatus = rpcStatusOf(r);
  const email = r.principal?.replace(/^(user|serviceAccount):/, '');
  const permission = typeof r.evidence?.['permission'] === 'string' ? (r.evidence['permission'] as string) : undefined;
  const protoPayload: Record<string, unknown> = {
    '@type': 'type.googleapis.com/google.cloud.audit.AuditLog',
    status: { code: GRPC_CODES[rpcStatus], message: r.message ?? rpcStatus },
    authenticationInfo: email !== undefined && email !== r.principal ? { principalEmail: email } : {},
    ...(permission !== undefined ? { authorizationInfo: [{ resource: resourceName, permission, granted: false }] } : {}),
    requestMetadata: {
      ...(r.source ? { callerIp: r.source.replace(/^::ffff:/, '') } : {}),
      ...(r.http?.userAgent !== undefined ? { callerSuppliedUserAgent: r.http.userAgent } : {}),
    },
    serviceName: r.service,
    methodName,
    resourceName,
  };
  const entry: LogEntry = {
    insertId: shortInsertId(r.id),
    labels: authplaneLabels(r),
    logName: logName(ctx.projectId, log),
    protoPayload,
    receiveTimestamp: formatTimestamp(msToNs(startMs + r.durationMs)),
    resource: { type: 'audited_resource', labels: { method: methodName, project_id: ctx.projectId, service: r.service } },
    severity: 'ERROR',
    timestamp: formatTimestamp(at),
  };
  return { entry, at };
}

/** google.rpc.Code name of the refusal: the code table's API answer when it agrees with the status sent. */
function rpcStatusOf(r: RequestLogEntry): keyof typeof GRPC_CODES {
  if (r.code !== undefined && isRefusalCode(r.code)) {
    const answer = googleAnswer(r.code, 'api');
    if (answer.status === r.status && answer.rpcStatus !== undefined) return answer.rpcStatus;
  }
  const s = rpcStatusForHttp(r.status);
  return s === 'OK' ? 'UNKNOWN' : s;
}

/** methodName and resourceName of a REST or gRPC call, from its path. */
export function describeCall(r: Pick<RequestLogEntry, 'service' | 'method' | 'path'>): { methodName: string; resourceName: string } {
  const named = METHOD_NAMES[`${r.service} ${r.method} ${r.path}`];
  const grpc = /^\/([\w.]+)\/(\w+)$/.exec(r.path);
  if (grpc) return { methodName: `${grpc[1]}.${grpc[2]}`, resourceName: '' };
  const withoutVersion = r.path.replace(/^\/(?:apis\/[^/]+\/)?v\d[\w]*\//, '');
  const colon = withoutVersion.lastIndexOf(':');
  const verb = colon > withoutVersion.lastIndexOf('/') ? withoutVersion.slice(colon + 1) : undefined;
  const resourceName = verb !== undefined ? withoutVersion.slice(0, colon) : withoutVersion;
  const segments = resourceName.split('/').filter(Boolean);
  let method: string;
  if (verb !== undefined) method = pascal(verb);
  else {
    const endsWithCollection = segments.length % 2 === 1;
    const collection = segments[endsWithCollection ? segments.length - 1 : segments.length - 2] ?? 'resource';
    const kind = pascal(singular(collection));
    method =
      r.method === 'GET' || r.method === 'HEAD'
        ? endsWithCollection
          ? `List${pascal(collection)}`
          : `Get${kind}`
        : r.method === 'POST'
          ? `Create${kind}`
          : r.method === 'DELETE'
            ? `Delete${kind}`
            : r.method === 'PUT'
              ? `Replace${kind}`
              : `Update${kind}`;
  }
  if (named !== undefined) return { methodName: named, resourceName };
  const prefix = RPC_SERVICES[r.service];
  const service = typeof prefix === 'function' ? prefix(resourceName) : prefix;
  return { methodName: service ? `${service}.${method}` : method, resourceName };
}

function pascal(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function singular(collection: string): string {
  return collection.endsWith('ies') ? `${collection.slice(0, -3)}y` : collection.endsWith('s') ? collection.slice(0, -1) : collection;
}

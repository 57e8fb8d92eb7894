// Request-log entries → LogEntries, fed with entries built by hand (the dispatchers' attempts among them:
// they follow the DispatchAttempt type). Expected shapes are Google's recorded ones (REFERENCE §10, §11).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RequestLogEntry } from '../src/observe/request-log.js';
import type { EntryContext } from '../src/logging/entry-context.js';
import { logEntries } from '../src/logging/log-entries.js';
import type { LogEntry } from '../src/logging/log-entry.js';

const ctx: EntryContext = {
  projectId: 'demo-project',
  projectNumber: '123456789012',
  region: 'us-central1',
  service: (name) =>
    name === 'update'
      ? {
          revision: 'update-00001-abc',
          canonicalUrl: 'https://update-123456789012.us-central1.run.app',
          publicHosts: new Set(['update-123456789012.us-central1.run.app', 'update-abcdefghij-uc.a.run.app', 'us-central1-demo-project.cloudfunctions.net', 'api.example.com']),
          serverIp: '127.0.0.1',
        }
      : undefined,
};

let seq = 0;
function rec(over: Partial<RequestLogEntry>): RequestLogEntry {
  return {
    id: `req-${++seq}`,
    time: '2024-06-01T10:00:00.123Z',
    surface: 'run',
    service: 'update',
    method: 'GET',
    path: '/',
    source: '::ffff:10.0.0.7',
    internal: false,
    status: 200,
    outcome: 'proxied',
    googleVisible: true,
    durationMs: 12.5,
    ...over,
  };
}

const one = (r: RequestLogEntry): LogEntry => {
  const out = logEntries([r], ctx);
  assert.equal(out.length, 1, `one entry for ${JSON.stringify(r)}`);
  return out[0]!.entry;
};

describe('LogEntries from the request log', () => {
  it('a refused front-door request is a Cloud Run request log with Google\'s words and authplane\'s labels', () => {
    const e = one(
      rec({
        status: 403,
        outcome: 'refused',
        path: '/v1/update',
        code: 'TOKEN_MISSING',
        message: 'The request was not authenticated. Either allow public access or set the proper Authorization header',
        explanation: 'The request carried no ID token.',
        remedy: 'Send an ID token.',
        durationMs: 0.4,
        host: 'update-123456789012.us-central1.run.app',
        http: { query: '?a=1', userAgent: 'curl/8.5.0', requestSize: 534, protocol: 'HTTP/1.1', cloudTraceContext: '016d640caf845fbf8709486bc8dff9c7/1;o=1' },
      }),
    );
    assert.equal(e.logName, 'projects/demo-project/logs/run.googleapis.com%2Frequests');
    assert.deepEqual(e.resource, {
      type: 'cloud_run_revision',
      labels: { configuration_name: 'update', location: 'us-central1', project_id: 'demo-project', revision_name: 'update-00001-abc', service_name: 'update' },
    });
    assert.deepEqual(e.httpRequest, {
      requestMethod: 'GET',
      requestUrl: 'https://update-123456789012.us-central1.run.app/v1/update?a=1',
      requestSize: '534',
      status: 403,
      userAgent: 'curl/8.5.0',
      remoteIp: '10.0.0.7',
      serverIp: '127.0.0.1',
      latency: '0s',
      protocol: 'HTTP/1.1',
    });
    assert.equal(e.severity, 'WARNING');
    assert.equal(e.timestamp, '2024-06-01T10:00:00.123Z');
    assert.equal(e.receiveTimestamp, '2024-06-01T10:00:00.123400Z');
    assert.equal(
      e.textPayload,
      'The request was not authenticated. Either allow unauthenticated invocations or set the proper Authorization header. Read more at https://cloud.google.com/run/docs/securing/authenticating Additional troubleshooting documentation can be found at: https://cloud.google.com/run/docs/troubleshooting#unauthorized-client',
    );
    assert.equal(e.trace, 'projects/demo-project/traces/016d640caf845fbf8709486bc8dff9c7');
    assert.equal(e.spanId, '0000000000000001');
    assert.equal(e.traceSampled, true);
    assert.deepEqual(e.labels, {
      'authplane.dev/request-id': `req-${seq}`,
      'authplane.dev/denial': 'TOKEN_MISSING',
      'authplane.dev/explanation': 'The request carried no ID token.',
      'authplane.dev/remedy': 'Send an ID token.',
    });
    // 8 hex digits of seconds (1717236000 = 0x665af120), 6 of microseconds (123000 = 0x01e078), 10 more.
    assert.match(e.insertId, /^665af12001e078[0-9a-f]{10}$/);
  });

  it('a 401 carries the recorded 401 text; a permission 403 has no text (none was recorded)', () => {
    const unauthorized = one(rec({ status: 401, outcome: 'refused', code: 'AUDIENCE_MISMATCH' }));
    assert.equal(
      unauthorized.textPayload,
      'The request was not authorized to invoke this service. Read more at https://cloud.google.com/run/docs/securing/authenticating Additional troubleshooting documentation can be found at: https://cloud.google.com/run/docs/troubleshooting#401',
    );
    assert.equal(one(rec({ status: 403, outcome: 'refused', code: 'PERMISSION_DENIED' })).textPayload, undefined);
  });

  it('shows the URL the client used: its run.app, functions or custom-domain host, or the run.app URL for a local address', () => {
    assert.equal(one(rec({ host: 'API.example.com', path: '/orders' })).httpRequest?.requestUrl, 'https://api.example.com/orders');
    assert.equal(one(rec({ host: 'update-abcdefghij-uc.a.run.app', http: { requestSize: 1, protocol: 'HTTP/1.1' }, path: '/x' })).httpRequest?.requestUrl, 'https://update-abcdefghij-uc.a.run.app/x');
    assert.equal(one(rec({ host: 'us-central1-demo-project.cloudfunctions.net', http: { requestSize: 1, protocol: 'HTTP/1.1' }, path: '/report' })).httpRequest?.requestUrl, 'https://us-central1-demo-project.cloudfunctions.net/report');
    assert.equal(one(rec({ host: '127.0.0.1:9001', http: { requestSize: 1, protocol: 'HTTP/1.1' }, path: '/x' })).httpRequest?.requestUrl, 'https://update-123456789012.us-central1.run.app/x');
  });

  it('a proxied request: latency, response size, severity from the status, a traceparent', () => {
    const e = one(rec({ status: 500, durationMs: 112.114, http: { requestSize: 100, responseSize: 72757, protocol: 'HTTP/1.1', traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' } }));
    assert.equal(e.httpRequest?.latency, '0.112114s');
    assert.equal(e.httpRequest?.responseSize, '72757');
    assert.equal(e.severity, 'ERROR');
    assert.equal(e.trace, 'projects/demo-project/traces/4bf92f3577b34da6a3ce929d0e0e4736');
    assert.equal(e.spanId, '00f067aa0ba902b7');
    assert.equal(one(rec({ status: 204 })).severity, 'INFO');
    assert.equal(one(rec({ status: 404 })).severity, 'WARNING');
  });

  it('leaves out what Google does not log: ingress blocks, the gateway, the metadata server, authplane\'s own API', () => {
    const skipped = [
      rec({ status: 404, outcome: 'refused', code: 'INGRESS_BLOCKED', googleVisible: false }),
      rec({ surface: 'gateway', service: 'edge', status: 401 }),
      rec({ surface: 'metadata', service: 'scheduler', status: 403 }),
      rec({ surface: 'api', service: 'authplane.admin', path: '/admin/v1/requests', status: 403, outcome: 'refused' }),
      rec({ surface: 'api', service: 'cloudtasks.googleapis.com', path: '/admin/v1/queues', status: 403, outcome: 'refused' }),
      rec({ surface: 'api', service: 'oauth2.googleapis.com', path: '/token', status: 400, outcome: 'refused' }),
      // A successful read: Data Access logs are off by default.
      rec({ surface: 'api', service: 'cloudtasks.googleapis.com', path: '/v2/projects/demo-project/locations/us-central1/queues', status: 200, outcome: 'answered' }),
    ];
    assert.deepEqual(logEntries(skipped, ctx), []);
  });

  it('a refused API call is an audit log entry (google.cloud.audit.AuditLog)', () => {
    const e = one(
      rec({
        surface: 'api',
        service: 'iamcredentials.googleapis.com',
        method: 'POST',
        path: '/v1/projects/-/serviceAccounts/tasks-invoker@demo-project.iam.gserviceaccount.com:generateIdToken',
        status: 403,
        outcome: 'refused',
        principal: 'serviceAccount:tasks-no-role@demo-project.iam.gserviceaccount.com',
        code: 'IMPERSONATION_DENIED',
        message: "Permission 'iam.serviceAccounts.getOpenIdToken' denied on resource (or it may not exist).",
        evidence: { permission: 'iam.serviceAccounts.getOpenIdToken' },
        http: { requestSize: 10, protocol: 'HTTP/1.1', userAgent: 'google-api-nodejs-client/9' },
      }),
    );
    assert.equal(e.logName, 'projects/demo-project/logs/cloudaudit.googleapis.com%2Fdata_access');
    assert.equal(e.severity, 'ERROR');
    assert.deepEqual(e.resource, { type: 'audited_resource', labels: { method: 'GenerateIdToken', project_id: 'demo-project', service: 'iamcredentials.googleapis.com' } });
    assert.deepEqual(e.protoPayload, {
      '@type': 'type.googleapis.com/google.cloud.audit.AuditLog',
      status: { code: 7, message: "Permission 'iam.serviceAccounts.getOpenIdToken' denied on resource (or it may not exist)." },
      authenticationInfo: { principalEmail: 'tasks-no-role@demo-project.iam.gserviceaccount.com' },
      authorizationInfo: [{ resource: 'projects/-/serviceAccounts/tasks-invoker@demo-project.iam.gserviceaccount.com', permission: 'iam.serviceAccounts.getOpenIdToken', granted: false }],
      requestMetadata: { callerIp: '10.0.0.7', callerSuppliedUserAgent: 'google-api-nodejs-client/9' },
      serviceName: 'iamcredentials.googleapis.com',
      methodName: 'GenerateIdToken',
      resourceName: 'projects/-/serviceAccounts/tasks-invoker@demo-project.iam.gserviceaccount.com',
    });
    assert.equal(e.labels?.['authplane.dev/denial'], 'IMPERSONATION_DENIED');
  });

  it('names audited methods as Google\'s RPCs, and files changes under activity', () => {
    const method = (over: Partial<RequestLogEntry>) => {
      const e = one(rec({ surface: 'api', status: 403, outcome: 'refused', ...over }));
      return [(e.protoPayload as { methodName: string }).methodName, e.logName.split('%2F')[1]];
    };
    assert.deepEqual(method({ service: 'cloudtasks.googleapis.com', path: '/google.cloud.tasks.v2.CloudTasks/CreateTask', method: 'POST' }), ['google.cloud.tasks.v2.CloudTasks.CreateTask', 'data_access']);
    assert.deepEqual(method({ service: 'cloudtasks.googleapis.com', path: '/v2/projects/p/locations/l/queues', method: 'POST' }), ['google.cloud.tasks.v2.CloudTasks.CreateQueue', 'activity']);
    assert.deepEqual(method({ service: 'cloudtasks.googleapis.com', path: '/v2/projects/p/locations/l/queues/q/tasks', method: 'GET' }), ['google.cloud.tasks.v2.CloudTasks.ListTasks', 'data_access']);
    assert.deepEqual(method({ service: 'run.googleapis.com', path: '/v2/projects/p/locations/l/services/s:setIamPolicy', method: 'POST' }), ['google.cloud.run.v2.Services.SetIamPolicy', 'activity']);
    assert.deepEqual(method({ service: 'iam.googleapis.com', path: '/v1/projects/p/serviceAccounts/a@b/keys/k', method: 'DELETE' }), ['google.iam.admin.v1.DeleteKey', 'activity']);
    assert.deepEqual(method({ service: 'logging.googleapis.com', path: '/v2/entries:list', method: 'POST' }), ['google.logging.v2.LoggingServiceV2.ListLogEntries', 'data_access']);
  });

  it('a Cloud Tasks attempt is a TaskActivityLog with the queue as its resource', () => {
    const task = 'projects/demo-project/locations/us-central1/queues/upgrades/tasks/t1';
    const attempt = (n: number, status: number, extra: Partial<RequestLogEntry> = {}) =>
      rec({
        surface: 'dispatch',
        service: 'upgrades',
        method: 'PUT',
        status,
        outcome: status >= 200 && status < 300 ? 'answered' : 'refused',
        time: `2024-06-01T10:00:0${n}.000Z`,
        durationMs: 1.25,
        dispatch: { product: 'cloudtasks', resource: task, attempt: n, target: 'PUT https://update-123456789012.us-central1.run.app/', scheduleTime: `2024-06-01T10:00:0${n}.000Z`, ...(status === 200 ? {} : { retryTime: `2024-06-01T10:00:0${n + 1}.000Z` }), frontDoorRequestId: `fd-${n}` },
        ...extra,
      });
    const out = logEntries([attempt(1, 0, { error: 'connect ECONNREFUSED' }), attempt(2, 403, { code: 'PERMISSION_DENIED' }), attempt(3, 200)], ctx).map((t) => t.entry);
    assert.equal(out.length, 3);
    const [first, second, third] = out;
    assert.equal(first!.logName, 'projects/demo-project/logs/cloudtasks.googleapis.com%2Ftask_operations_log');
    assert.deepEqual(first!.resource, { type: 'cloud_tasks_queue', labels: { location: 'us-central1', project_id: 'demo-project', queue_id: 'upgrades', target_type: 'HTTP' } });
    assert.deepEqual(first!.jsonPayload, {
      '@type': 'type.googleapis.com/google.cloud.tasks.logging.v1.TaskActivityLog',
      attemptResponseLog: {
        attemptDuration: '0.001250s',
        dispatchCount: '1',
        responseCount: '0',
        retryTime: '2024-06-01T10:00:02.000Z',
        scheduleTime: '2024-06-01T10:00:01.000Z',
        status: 'UNKNOWN',
        targetAddress: 'PUT https://update-123456789012.us-central1.run.app/',
        targetType: 'HTTP',
      },
      task,
    });
    assert.equal(first!.severity, 'ERROR');
    assert.equal(first!.timestamp, '2024-06-01T10:00:01.001250Z');
    const log2 = second!.jsonPayload!['attemptResponseLog'] as Record<string, unknown>;
    assert.deepEqual([log2['dispatchCount'], log2['responseCount'], log2['status']], ['2', '1', 'PERMISSION_DENIED']);
    assert.equal(second!.labels?.['authplane.dev/front-door-request-id'], 'fd-2');
    const log3 = third!.jsonPayload!['attemptResponseLog'] as Record<string, unknown>;
    assert.deepEqual([log3['dispatchCount'], log3['responseCount'], log3['status'], log3['retryTime']], ['3', '2', 'OK', undefined]);
    assert.equal(third!.severity, 'INFO');
    // An attempt the queue does not sample is not in Google's logs.
    assert.deepEqual(logEntries([attempt(4, 200, { googleVisible: false })], ctx), []);
  });

  it('a Cloud Scheduler attempt is AttemptStarted then AttemptFinished', () => {
    const job = 'projects/demo-project/locations/us-central1/jobs/nightly';
    const attempt = (status: number, extra: Partial<RequestLogEntry> = {}) =>
      rec({ surface: 'dispatch', service: 'nightly', method: 'POST', status, durationMs: 50, dispatch: { product: 'cloudscheduler', resource: job, attempt: 1, target: 'POST https://update-123456789012.us-central1.run.app/', scheduleTime: '2024-06-01T03:00:00Z' }, ...extra });
    const [started, finished] = logEntries([attempt(200)], ctx).map((t) => t.entry);
    assert.equal(started!.logName, 'projects/demo-project/logs/cloudscheduler.googleapis.com%2Fexecutions');
    assert.deepEqual(started!.resource, { type: 'cloud_scheduler_job', labels: { job_id: 'nightly', location: 'us-central1', project_id: 'demo-project' } });
    assert.deepEqual(started!.jsonPayload, { '@type': 'type.googleapis.com/google.cloud.scheduler.logging.AttemptStarted', jobName: job, scheduledTime: '2024-06-01T03:00:00Z', targetType: 'HTTP', url: 'https://update-123456789012.us-central1.run.app/' });
    assert.deepEqual(finished!.jsonPayload, { '@type': 'type.googleapis.com/google.cloud.scheduler.logging.AttemptFinished', debugInfo: 'URL_CRAWLED. Original HTTP response code number = 200', jobName: job, targetType: 'HTTP', url: 'https://update-123456789012.us-central1.run.app/' });
    assert.deepEqual(finished!.httpRequest, { status: 200 });
    assert.equal(finished!.severity, 'INFO');
    assert.notEqual(started!.insertId, finished!.insertId);
    const failures: [number, string, string][] = [
      [401, 'UNAUTHENTICATED', 'URL_ERROR-ERROR_AUTHENTICATION. Original HTTP response code number = 401'],
      [403, 'PERMISSION_DENIED', 'URL_ERROR-ERROR_OTHER. Original HTTP response code number = 403'],
      [404, 'NOT_FOUND', 'URL_ERROR-ERROR_NOT_FOUND. Original HTTP response code number = 404'],
      [500, 'INTERNAL', 'URL_UNREACHABLE-UNREACHABLE_5xx. Original HTTP response code number = 500'],
    ];
    for (const [status, rpc, debugInfo] of failures) {
      const f = logEntries([attempt(status)], ctx)[1]!.entry;
      assert.equal(f.jsonPayload!['status'], rpc);
      assert.equal(f.jsonPayload!['debugInfo'], debugInfo);
      assert.equal(f.severity, 'ERROR');
    }
    const timedOut = logEntries([attempt(0, { error: 'DEADLINE_EXCEEDED: no response within 180s' })], ctx)[1]!.entry;
    assert.equal(timedOut.jsonPayload!['status'], 'DEADLINE_EXCEEDED');
    assert.equal(timedOut.httpRequest, undefined);
  });

  it('a Pub/Sub push delivery is an entry on its subscription, classed as the push metrics class responses', () => {
    const sub = 'projects/demo-project/subscriptions/orders-push';
    const delivery = (status: number, extra: Partial<RequestLogEntry> = {}) =>
      rec({ surface: 'dispatch', service: 'orders-push', method: 'POST', status, durationMs: 3, dispatch: { product: 'pubsub', resource: sub, messageId: '2070443601311540', attempt: 2, target: 'POST https://update-123456789012.us-central1.run.app/push', scheduleTime: '2024-06-01T10:00:00Z' }, ...extra });
    const e = logEntries([delivery(403)], ctx)[0]!.entry;
    assert.equal(e.logName, 'projects/demo-project/logs/pubsub.googleapis.com%2Fpush_deliveries');
    assert.deepEqual(e.resource, { type: 'pubsub_subscription', labels: { project_id: 'demo-project', subscription_id: 'orders-push' } });
    assert.deepEqual(e.jsonPayload, { subscription: sub, messageId: '2070443601311540', deliveryAttempt: 2, pushEndpoint: 'https://update-123456789012.us-central1.run.app/push', responseCode: 403, responseClass: 'remote_server_4xx' });
    assert.deepEqual(e.httpRequest, { requestMethod: 'POST', requestUrl: 'https://update-123456789012.us-central1.run.app/push', status: 403, latency: '0.003s' });
    assert.equal(e.severity, 'WARNING');
    assert.equal(logEntries([delivery(204)], ctx)[0]!.entry.jsonPayload!['responseClass'], 'ack');
    assert.equal(logEntries([delivery(503)], ctx)[0]!.entry.jsonPayload!['responseClass'], 'remote_server_5xx');
    assert.equal(logEntries([delivery(0, { error: 'deadline exceeded after 10s' })], ctx)[0]!.entry.jsonPayload!['responseClass'], 'deadline_exceeded');
  });
});

// Cloud Logging's entries.list end to end: real requests through real front doors and the REST API
// (test/support/logging-scenario.ts), then the project's logs read with the filters people type —
// entry shapes, newest-first order, paging, and Google's refusals for bad filters and bad requests.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startLoggingScenario, type LoggingScenario } from './support/logging-scenario.js';

type Entry = {
  insertId: string;
  timestamp: string;
  severity: string;
  logName: string;
  resource: { type: string; labels: Record<string, string> };
  httpRequest?: Record<string, unknown>;
  labels: Record<string, string>;
  textPayload?: string;
  protoPayload?: Record<string, unknown>;
  trace?: string;
};

const PROJECT = ['projects/demo-project'];

describe('Cloud Logging entries.list', () => {
  let s: LoggingScenario;
  const entries = async (filter: string, extra: Record<string, unknown> = {}): Promise<Entry[]> => {
    const r = await s.list({ resourceNames: PROJECT, filter, orderBy: 'timestamp desc', ...extra });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    return (r.json['entries'] as Entry[] | undefined) ?? [];
  };
  const requestIds = (list: Entry[]) => list.map((e) => e.labels['authplane.dev/request-id']);
  const refusal = async (body: unknown, status: number) => {
    const r = await s.list(body);
    assert.equal(r.status, status, JSON.stringify(r.json));
    return (r.json['error'] as { message: string; status: string; details?: { fieldViolations?: { field: string }[] }[] });
  };

  before(async () => {
    s = await startLoggingScenario();
  });
  after(async () => {
    await s?.stop();
  });

  it('answers gcloud logging read\'s request: the 403s just caused, newest first, as Cloud Run request logs', async () => {
    // gcloud logging read "resource.type=cloud_run_revision AND httpRequest.status=403" --limit=10 sends this.
    const since = new Date(Date.now() - 86_400_000).toISOString().replace('Z', '000Z');
    const list = await entries(`timestamp>="${since}" AND resource.type=cloud_run_revision AND httpRequest.status=403`, { pageSize: 10 });
    assert.deepEqual(requestIds(list), [s.ids.noRole, s.ids.noToken]);
    const [noRole, noToken] = list;
    for (const e of list) {
      assert.equal(e.logName, 'projects/demo-project/logs/run.googleapis.com%2Frequests');
      assert.equal(e.severity, 'WARNING');
      assert.equal(e.resource.type, 'cloud_run_revision');
      assert.equal(e.resource.labels['service_name'], 'update');
      assert.equal(e.resource.labels['configuration_name'], 'update');
      assert.equal(e.resource.labels['location'], 'us-central1');
      assert.equal(e.resource.labels['project_id'], 'demo-project');
      assert.match(e.resource.labels['revision_name']!, /^update-00001-[a-z]{3}$/);
      assert.equal(e.httpRequest!['latency'], '0s');
      assert.equal(e.httpRequest!['remoteIp'], '127.0.0.1');
      assert.equal(e.httpRequest!['protocol'], 'HTTP/1.1');
      assert.match(String(e.httpRequest!['requestSize']), /^\d+$/);
      assert.match(e.insertId, /^[0-9a-f]{24}$/);
      assert.ok(e.labels['authplane.dev/explanation'] && e.labels['authplane.dev/remedy']);
    }
    assert.equal(noToken!.httpRequest!['requestUrl'], `${s.updateUrl}/v1/update?taskId=42`);
    assert.equal(noToken!.httpRequest!['userAgent'], 'logging-test/1.0');
    assert.equal(noToken!.httpRequest!['requestMethod'], 'GET');
    assert.equal(noToken!.labels['authplane.dev/denial'], 'TOKEN_MISSING');
    assert.match(noToken!.textPayload!, /^The request was not authenticated\. Either allow unauthenticated invocations or set the proper Authorization header\./);
    assert.equal(noRole!.labels['authplane.dev/denial'], 'PERMISSION_DENIED');
    assert.equal(noRole!.labels['authplane.dev/principal'], 'serviceAccount:tasks-no-role@demo-project.iam.gserviceaccount.com');
    assert.match(noRole!.labels['authplane.dev/remedy']!, /roles\/run\.invoker/);
    assert.ok(Date.parse(noRole!.timestamp) > Date.parse(noToken!.timestamp));
  });

  it('shows a 401 at the run.app URL even when it came to the local address, with Google\'s 401 words', async () => {
    const [e, ...rest] = await entries('httpRequest.status=401');
    assert.equal(rest.length, 0);
    assert.equal(e!.labels['authplane.dev/request-id'], s.ids.wrongAudience);
    assert.equal(e!.httpRequest!['requestUrl'], `${s.updateUrl}/v1/update`);
    assert.equal(e!.labels['authplane.dev/denial'], 'AUDIENCE_MISMATCH');
    assert.match(e!.textPayload!, /^The request was not authorized to invoke this service\./);
  });

  it('a request that passed: its URL, latency, response size, trace and INFO severity', async () => {
    const [e, ...rest] = await entries('resource.labels.service_name=update AND httpRequest.status=200');
    assert.equal(rest.length, 0);
    assert.equal(e!.labels['authplane.dev/request-id'], s.ids.ok);
    assert.equal(e!.httpRequest!['requestUrl'], `${s.updateHashedUrl}/ok`);
    assert.equal(e!.httpRequest!['responseSize'], String(Buffer.byteLength(s.upstreamBody)));
    assert.match(String(e!.httpRequest!['latency']), /^\d+(\.\d{3,9})?s$/);
    assert.notEqual(e!.httpRequest!['latency'], '0s');
    assert.equal(e!.severity, 'INFO');
    assert.equal(e!.trace, 'projects/demo-project/traces/105445aa7843bc8bf206b12000100000');
    assert.equal(e!.textPayload, undefined);
    assert.equal(e!.labels['authplane.dev/denial'], undefined);
  });

  it('has no entry for the request ingress blocked (Google does not log it); authplane\'s own log has it', async () => {
    assert.deepEqual(await entries('resource.labels.service_name="internal-only"'), []);
    assert.deepEqual(await entries('httpRequest.status=404'), []);
    const own = (await (await s.ap.api(`/admin/v1/requests/${s.ids.ingress}`)).json()) as { code: string; status: number };
    assert.deepEqual([own.status, own.code], [404, 'INGRESS_BLOCKED']);
  });

  it('a refused API call is an audit log entry', async () => {
    const [e, ...rest] = await entries('logName:"cloudaudit.googleapis.com" AND protoPayload.methodName="GenerateIdToken"');
    assert.equal(rest.length, 0);
    assert.equal(e!.labels['authplane.dev/request-id'], s.ids.apiRefusal);
    assert.equal(e!.logName, 'projects/demo-project/logs/cloudaudit.googleapis.com%2Fdata_access');
    assert.equal(e!.severity, 'ERROR');
    const p = e!.protoPayload!;
    assert.equal(p['@type'], 'type.googleapis.com/google.cloud.audit.AuditLog');
    assert.equal(p['serviceName'], 'iamcredentials.googleapis.com');
    assert.equal(p['resourceName'], 'projects/-/serviceAccounts/tasks-invoker@demo-project.iam.gserviceaccount.com');
    assert.deepEqual(p['authenticationInfo'], { principalEmail: 'tasks-no-role@demo-project.iam.gserviceaccount.com' });
    assert.equal((p['status'] as { code: number }).code, 7);
    assert.match((p['status'] as { message: string }).message, /^Permission 'iam\.serviceAccounts\.getOpenIdToken' denied/);
    assert.equal((p['requestMetadata'] as Record<string, string>)['callerSuppliedUserAgent'], 'logging-test/1.0');
    assert.ok(e!.labels['authplane.dev/denial']);
  });

  it('filters by severity rank, by time, by authplane\'s labels, and by plain text', async () => {
    assert.deepEqual(requestIds(await entries('severity>=WARNING')), [s.ids.apiRefusal, s.ids.noRole, s.ids.wrongAudience, s.ids.noToken]);
    assert.deepEqual(requestIds(await entries('severity>=ERROR')), [s.ids.apiRefusal]);
    const [ok] = await entries('httpRequest.status=200');
    assert.deepEqual(requestIds(await entries(`timestamp>"${ok!.timestamp}"`)), [s.ids.apiRefusal, s.ids.noRole]);
    assert.deepEqual(requestIds(await entries(`timestamp<="${ok!.timestamp}" resource.type=cloud_run_revision`)), [s.ids.ok, s.ids.wrongAudience, s.ids.noToken]);
    assert.deepEqual(requestIds(await entries('labels."authplane.dev/denial"=("TOKEN_MISSING" OR "AUDIENCE_MISMATCH")')), [s.ids.wrongAudience, s.ids.noToken]);
    assert.deepEqual(requestIds(await entries('"taskId=42"')), [s.ids.noToken]);
    assert.deepEqual(requestIds(await entries('httpRequest.requestUrl=~"/v1/\\\\w+$" OR NOT httpRequest.status<400 -protoPayload:*')), [s.ids.noRole, s.ids.wrongAudience, s.ids.noToken]);
  });

  it('orders oldest first by default, newest first on request, and pages through either way', async () => {
    const all = await entries('', { orderBy: 'timestamp asc', pageSize: 100 });
    assert.deepEqual(requestIds(all), [s.ids.noToken, s.ids.wrongAudience, s.ids.ok, s.ids.noRole, s.ids.apiRefusal]);
    const byDefault = await s.list({ resourceNames: PROJECT });
    assert.deepEqual(requestIds(byDefault.json['entries'] as Entry[]), requestIds(all));
    for (const orderBy of ['timestamp asc', 'timestamp desc']) {
      const pages: string[][] = [];
      let pageToken: string | undefined;
      do {
        // The page size may change between pages (gcloud asks for fewer on the last one).
        const r = await s.list({ resourceNames: PROJECT, orderBy, pageSize: pages.length === 0 ? 2 : 1, ...(pageToken ? { pageToken } : {}) });
        assert.equal(r.status, 200, JSON.stringify(r.json));
        pages.push(requestIds(r.json['entries'] as Entry[]));
        pageToken = r.json['nextPageToken'] as string | undefined;
      } while (pageToken !== undefined);
      const expected = orderBy === 'timestamp asc' ? requestIds(all) : requestIds(all).reverse();
      assert.deepEqual(pages, [expected.slice(0, 2), ...expected.slice(2).map((id) => [id])]);
    }
    // No entries at all: proto3 JSON leaves the empty list out.
    const none = await s.list({ resourceNames: PROJECT, filter: 'unicorn' });
    assert.deepEqual(none.json, {});
  });

  it('refuses a page token used with other parameters, or not issued by it', async () => {
    const first = await s.list({ resourceNames: PROJECT, filter: 'resource.type=cloud_run_revision', pageSize: 1 });
    const pageToken = first.json['nextPageToken'] as string;
    assert.ok(pageToken);
    const other = await refusal({ resourceNames: PROJECT, filter: 'severity>=WARNING', pageSize: 1, pageToken }, 400);
    assert.equal(other.status, 'INVALID_ARGUMENT');
    assert.match(other.message, /page_token/);
    assert.match((await refusal({ resourceNames: PROJECT, filter: 'resource.type=cloud_run_revision', orderBy: 'timestamp desc', pageToken }, 400)).message, /page_token/);
    assert.match((await refusal({ resourceNames: PROJECT, pageToken: 'not-a-token' }, 400)).message, /page_token/);
  });

  it('refuses a filter it cannot parse with Google\'s 400 and the position, never an empty answer', async () => {
    const cases: [string, string][] = [
      ['resource.type=cloud_run_revision AND', "Unparseable filter: syntax error at line 1, column 37, token '<EOF>'"],
      ['resource.type=cloud_run_revision AND ', "Unparseable filter: syntax error at line 1, column 37, token ' '"],
      ['timestamp>=2024-06-12T03:23:45Z', "Unparseable filter: syntax error at line 1, column 25, token ':'"],
      ['severity>=WARNING\nAND )', "Unparseable filter: syntax error at line 2, column 5, token ')'"],
    ];
    for (const [filter, message] of cases) {
      const e = await refusal({ resourceNames: PROJECT, filter }, 400);
      assert.deepEqual([e.status, e.message, e.details], ['INVALID_ARGUMENT', message, undefined], filter);
    }
    assert.match((await refusal({ resourceNames: PROJECT, filter: 'resource.tipe=x' }, 400)).message, /Field not found: 'tipe'/);
    assert.match((await refusal({ resourceNames: PROJECT, filter: 'textPayload=~"(?<=a)b"' }, 400)).message, /Invalid regular expression/);
    // Refused listings are logged (as audit entries of Cloud Logging itself); successful ones are not.
    const audited = await entries('protoPayload.methodName="google.logging.v2.LoggingServiceV2.ListLogEntries"');
    assert.ok(audited.length >= 6, `${audited.length} refused listings logged`);
    assert.ok(audited.every((e) => e.severity === 'ERROR' && (e.protoPayload!['status'] as { code: number }).code === 3));
  });

  it('reads the body as Google does: names, types, sizes, orders and resource names', async () => {
    const field = (e: Awaited<ReturnType<typeof refusal>>) => e.details?.[0]?.fieldViolations?.[0]?.field;
    assert.equal(field(await refusal({ resourceNames: PROJECT, limit: 5 }, 400)), 'limit');
    assert.equal(field(await refusal({ resourceNames: PROJECT, pageSize: 1001 }, 400)), 'page_size');
    assert.equal(field(await refusal({ resourceNames: PROJECT, pageSize: -1 }, 400)), 'page_size');
    assert.equal(field(await refusal({ resourceNames: PROJECT, pageSize: 'ten' }, 400)), 'page_size');
    assert.equal(field(await refusal({ resourceNames: PROJECT, pageSize: 2.5 }, 400)), 'page_size');
    assert.equal(field(await refusal({ resourceNames: PROJECT, filter: 7 }, 400)), 'filter');
    assert.equal(field(await refusal({ resourceNames: 'projects/demo-project' }, 400)), 'resource_names');
    assert.equal(field(await refusal({ resourceNames: PROJECT, orderBy: 'timestamp' }, 400)), 'order_by');
    assert.equal(field(await refusal({ filter: 'severity>=ERROR' }, 400)), 'resource_names');
    assert.equal(field(await refusal({ resourceNames: ['demo-project'] }, 400)), 'resource_names[0]');
    const other = await refusal({ resourceNames: ['projects/someone-else'] }, 403);
    assert.equal(other.status, 'PERMISSION_DENIED');
    // UNIMPLEMENTED over HTTP 400: a 5xx would have gcloud retry it (verify/codes.ts NOT_SUPPORTED).
    assert.equal((await refusal({ resourceNames: ['organizations/123'] }, 400)).status, 'UNIMPLEMENTED');
    // Accepted: snake_case names, null as the default, the project number, a log view, the deprecated projectIds, pageSize as a string.
    for (const body of [
      { resource_names: ['projects/123456789012'], page_size: '2', order_by: 'TIMESTAMP DESC', filter: null },
      { resourceNames: ['projects/demo-project/locations/global/buckets/_Default/views/_AllLogs'], pageSize: 2 },
      { projectIds: ['demo-project'], pageSize: 2 },
    ]) {
      const r = await s.list(body);
      assert.equal(r.status, 200, `${JSON.stringify(body)}: ${JSON.stringify(r.json)}`);
      assert.equal((r.json['entries'] as Entry[]).length, 2);
    }
  });

  it('needs logging.logEntries.list on the project', async () => {
    const r = await s.list({ resourceNames: PROJECT }, await s.accessToken('tasks-no-role'));
    assert.equal(r.status, 403);
    const error = r.json['error'] as { status: string; details: { reason: string; domain: string; metadata: Record<string, string> }[] };
    assert.equal(error.status, 'PERMISSION_DENIED');
    assert.deepEqual(error.details[0], { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'IAM_PERMISSION_DENIED', domain: 'logging.googleapis.com', metadata: { permission: 'logging.logEntries.list' } });
  });
});

// The Logging query language's meaning on LogEntries built by hand: each field type, missing and
// defaulted fields, `:*`, NULL_VALUE, arrays, global search, RE2 regular expressions, the functions,
// and the filters refused before they run (an undefined field, a bad regular expression, a bad call).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DenialError } from '../src/verify/denial.js';
import { compileFilter } from '../src/logging/filter-eval.js';

const refusal = {
  httpRequest: { requestMethod: 'GET', requestUrl: 'https://update-123456789012.us-central1.run.app/v1/update?x=1', requestSize: '534', status: 403, remoteIp: '10.1.2.3', latency: '0s', protocol: 'HTTP/1.1', userAgent: 'Google-Cloud-Tasks' },
  insertId: '6111722f000b5b4c4d4071e2',
  labels: { 'authplane.dev/denial': 'PERMISSION_DENIED', 'authplane.dev/request-id': 'r-1' },
  logName: 'projects/demo-project/logs/run.googleapis.com%2Frequests',
  receiveTimestamp: '2024-06-01T10:00:00.250Z',
  resource: { type: 'cloud_run_revision', labels: { service_name: 'update', location: 'us-central1', project_id: 'demo-project' } },
  severity: 'WARNING',
  timestamp: '2024-06-01T10:00:00.123456Z',
  textPayload: 'The request was not authorized to invoke this service.',
};

const ok = {
  httpRequest: { requestMethod: 'PUT', requestUrl: 'https://update-123456789012.us-central1.run.app/', status: 200, responseSize: '72757', latency: '0.112114537s' },
  insertId: '6111722f000b5b4c4d4071e3',
  labels: { 'authplane.dev/request-id': 'r-2' },
  logName: 'projects/demo-project/logs/run.googleapis.com%2Frequests',
  resource: { type: 'cloud_run_revision', labels: { service_name: 'update' } },
  severity: 'INFO',
  timestamp: '2024-06-01T12:00:00Z',
  trace: 'projects/demo-project/traces/016d640caf845fbf8709486bc8dff9c7',
};

const task = {
  insertId: 'pu08t2d3phz',
  jsonPayload: {
    '@type': 'type.googleapis.com/google.cloud.tasks.logging.v1.TaskActivityLog',
    attemptResponseLog: { attemptDuration: '0.001250s', dispatchCount: '10', responseCount: '9', status: 'PERMISSION_DENIED', targetAddress: 'PUT https://update-123456789012.us-central1.run.app/' },
    task: 'projects/demo-project/locations/us-central1/queues/upgrades/tasks/t1',
    tags: ['blue', 'green'],
    score: 7.5,
    retried: true,
    nothing: null,
    nested: [{ name: 'a' }, { name: 'b' }],
  },
  logName: 'projects/demo-project/logs/cloudtasks.googleapis.com%2Ftask_operations_log',
  resource: { type: 'cloud_tasks_queue', labels: { queue_id: 'upgrades' } },
  severity: 'ERROR',
  timestamp: '2024-06-02T00:00:00Z',
};

const audit = {
  insertId: '0abc',
  logName: 'projects/demo-project/logs/cloudaudit.googleapis.com%2Fdata_access',
  protoPayload: {
    '@type': 'type.googleapis.com/google.cloud.audit.AuditLog',
    status: { code: 7, message: "Permission 'iam.serviceAccounts.getOpenIdToken' denied on resource (or it may not exist)." },
    authenticationInfo: { principalEmail: 'tasks-no-role@demo-project.iam.gserviceaccount.com' },
    requestMetadata: { callerIp: '127.0.0.1' },
    serviceName: 'iamcredentials.googleapis.com',
    methodName: 'GenerateIdToken',
  },
  resource: { type: 'audited_resource', labels: { service: 'iamcredentials.googleapis.com' } },
  severity: 'ERROR',
  timestamp: '2024-06-03T00:00:00Z',
};

const all = { refusal, ok, task, audit } as const;
type Name = keyof typeof all;

/** The names of the entries the filter selects. */
function select(filter: string): Name[] {
  const test = compileFilter(filter);
  return (Object.keys(all) as Name[]).filter((n) => test(all[n]));
}

function refused(filter: string): DenialError {
  try {
    compileFilter(filter);
  } catch (e) {
    assert.ok(e instanceof DenialError, String(e));
    assert.equal(e.denial.status, 400);
    assert.equal(e.denial.rpcStatus, 'INVALID_ARGUMENT');
    return e;
  }
  assert.fail(`${filter} was accepted`);
}

describe('Logging query language: evaluation', () => {
  it('an empty filter selects everything', () => {
    assert.deepEqual(select(''), ['refusal', 'ok', 'task', 'audit']);
  });

  it('compares strings without regard to case; ":" is a substring; "=" is the whole value', () => {
    assert.deepEqual(select('resource.type=CLOUD_RUN_REVISION'), ['refusal', 'ok']);
    assert.deepEqual(select('resource.type="cloud_run"'), []);
    assert.deepEqual(select('resource.type:run'), ['refusal', 'ok']);
    assert.deepEqual(select('httpRequest.requestUrl:"/V1/update"'), ['refusal']);
    assert.deepEqual(select('resource.type!=cloud_run_revision'), ['task', 'audit']);
    assert.deepEqual(select('insertId>"6111722f000b5b4c4d4071e2"'), ['ok', 'task']);
    assert.deepEqual(select('logName="projects/demo-project/logs/run.googleapis.com%2Frequests"'), ['refusal', 'ok']);
  });

  it('compares numbers as numbers (int64 fields arrive as strings)', () => {
    assert.deepEqual(select('httpRequest.status=403'), ['refusal']);
    assert.deepEqual(select('httpRequest.status>=400'), ['refusal']);
    assert.deepEqual(select('httpRequest.status<300 httpRequest.status>0'), ['ok']);
    assert.deepEqual(select('httpRequest.status="200"'), ['ok']);
    assert.deepEqual(select('httpRequest.requestSize>99'), ['refusal']);
    assert.deepEqual(select('httpRequest.responseSize>=72757'), ['ok']);
    // A value that does not convert to the field's type fails the comparison, != included.
    assert.deepEqual(select('httpRequest.status=forbidden'), []);
    assert.deepEqual(select('httpRequest.status!=forbidden'), []);
    assert.deepEqual(select('httpRequest.status=403.5'), []);
    assert.deepEqual(select('jsonPayload.score>7'), ['task']);
    assert.deepEqual(select('jsonPayload.score=7.5e0'), ['task']);
  });

  it('orders severities by rank, by name in any case or by number', () => {
    assert.deepEqual(select('severity>=WARNING'), ['refusal', 'task', 'audit']);
    assert.deepEqual(select('severity>=error'), ['task', 'audit']);
    assert.deepEqual(select('severity<WARNING'), ['ok']);
    assert.deepEqual(select('severity=400'), ['refusal']);
    assert.deepEqual(select('severity=(INFO OR WARNING)'), ['refusal', 'ok']);
    assert.deepEqual(select('severity>=LOUD'), []);
  });

  it('compares timestamps as instants: RFC 3339 with offsets, bare dates, fractions', () => {
    assert.deepEqual(select('timestamp>="2024-06-01T11:00:00Z"'), ['ok', 'task', 'audit']);
    assert.deepEqual(select('timestamp>="2024-06-01T13:00:00+02:00" timestamp<"2024-06-02"'), ['ok']);
    assert.deepEqual(select('timestamp="2024-06-01T10:00:00.123456Z"'), ['refusal']);
    assert.deepEqual(select('timestamp>"2024-06-01T10:00:00.123455999Z" timestamp<"2024-06-01T10:00:00.1234561Z"'), ['refusal']);
    assert.deepEqual(select('timestamp>2024-06-02'), ['audit']);
    assert.deepEqual(select('timestamp>="2024-06-02" AND timestamp<="2024-06-02"'), ['task']);
    assert.deepEqual(select('receiveTimestamp>"2024-06-01"'), ['refusal']);
    assert.deepEqual(select('timestamp>"yesterday"'), []);
  });

  it('compares durations by length', () => {
    assert.deepEqual(select('httpRequest.latency>"100ms"'), ['ok']);
    assert.deepEqual(select('httpRequest.latency<"1us"'), ['refusal', 'task', 'audit']);
    assert.deepEqual(select('httpRequest.latency>0.1s'), ['ok']);
    assert.deepEqual(select('httpRequest.latency="112114537ns"'), ['ok']);
  });

  it('defaults absent LogEntry fields, and fails every comparison on absent payload and label keys', () => {
    assert.deepEqual(select('trace=""'), ['refusal', 'task', 'audit']);
    assert.deepEqual(select('httpRequest.status=0'), ['task', 'audit']);
    assert.deepEqual(select('traceSampled=false'), ['refusal', 'ok', 'task', 'audit']);
    assert.deepEqual(select('labels."authplane.dev/denial"=PERMISSION_DENIED'), ['refusal']);
    assert.deepEqual(select('labels."authplane.dev/denial"!=PERMISSION_DENIED'), []);
    assert.deepEqual(select('NOT labels."authplane.dev/denial"=PERMISSION_DENIED'), ['ok', 'task', 'audit']);
    assert.deepEqual(select('jsonPayload.nearest_store!="x"'), []);
    assert.deepEqual(select('NOT jsonPayload.nearest_store="x"'), ['refusal', 'ok', 'task', 'audit']);
    // Map and Struct keys keep their case.
    assert.deepEqual(select('labels."AUTHPLANE.DEV/DENIAL":*'), []);
    assert.deepEqual(select('jsonPayload.Task:*'), []);
  });

  it('tests presence with ":*", and JSON null with NULL_VALUE', () => {
    assert.deepEqual(select('trace:*'), ['ok']);
    assert.deepEqual(select('httpRequest:*'), ['refusal', 'ok']);
    assert.deepEqual(select('labels."authplane.dev/denial":*'), ['refusal']);
    assert.deepEqual(select('jsonPayload.nothing=NULL_VALUE'), ['task']);
    assert.deepEqual(select('jsonPayload.score=NULL_VALUE'), []);
    assert.deepEqual(select('jsonPayload.nothing="NULL_VALUE"'), []);
    assert.deepEqual(select('jsonPayload.nothing:*'), ['task']);
  });

  it('reads jsonPayload and protoPayload: nested keys, arrays (any member), bools, @type', () => {
    assert.deepEqual(select('jsonPayload.attemptResponseLog.status=PERMISSION_DENIED'), ['task']);
    assert.deepEqual(select('jsonPayload.@type="type.googleapis.com/google.cloud.tasks.logging.v1.TaskActivityLog"'), ['task']);
    assert.deepEqual(select('jsonPayload."@type":TaskActivityLog'), ['task']);
    assert.deepEqual(select('jsonPayload.tags=green'), ['task']);
    assert.deepEqual(select('jsonPayload.nested.name=b'), ['task']);
    assert.deepEqual(select('jsonPayload.retried=TRUE'), ['task']);
    // jsonPayload values keep their JSON types: dispatchCount "10" is a string, so it compares as text.
    assert.deepEqual(select('jsonPayload.attemptResponseLog.dispatchCount>="3"'), []);
    assert.deepEqual(select('jsonPayload.attemptResponseLog.dispatchCount="10"'), ['task']);
    // protoPayload is a protocol buffer: its field names match in any case or in snake_case.
    assert.deepEqual(select('protoPayload.status.code=7'), ['audit']);
    assert.deepEqual(select('protoPayload.authentication_info.principal_email:"tasks-no-role"'), ['audit']);
    assert.deepEqual(select('protoPayload.METHODNAME=generateidtoken'), ['audit']);
    assert.deepEqual(select('protoPayload.serviceName="iamcredentials.googleapis.com"'), ['audit']);
  });

  it('searches every field for a bare value, and a whole message or payload with ":"', () => {
    assert.deepEqual(select('"not authorized"'), ['refusal']);
    assert.deepEqual(select('google-cloud-tasks'), ['refusal']);
    assert.deepEqual(select('upgrades'), ['task']);
    assert.deepEqual(select('403'), ['refusal']);
    assert.deepEqual(select('unicorn'), []);
    assert.deepEqual(select('update run.app'), ['refusal', 'ok', 'task']);
    assert.deepEqual(select('jsonPayload:"/tasks/t1"'), ['task']);
    assert.deepEqual(select('httpRequest:"HTTP/1.1"'), ['refusal']);
    assert.deepEqual(select('labels:permission_denied'), ['refusal']);
    assert.deepEqual(select('textPayload:(not authorized)'), ['refusal']);
    assert.deepEqual(select('textPayload:("authorized" AND "unicorn")'), []);
  });

  it('matches RE2 regular expressions, case-sensitive and unanchored, on string fields only', () => {
    assert.deepEqual(select('httpRequest.requestUrl=~"/v1/\\\\w+"'), ['refusal']);
    assert.deepEqual(select('httpRequest.requestUrl=~"/V1/"'), []);
    assert.deepEqual(select('httpRequest.requestUrl=~"(?i)/V1/"'), ['refusal']);
    assert.deepEqual(select('logName=~"requests$"'), ['refusal', 'ok']);
    assert.deepEqual(select('logName!~"requests$"'), ['task', 'audit']);
    assert.deepEqual(select('resource.labels.service_name=~("^upd" OR "^bill")'), ['refusal', 'ok']);
    assert.deepEqual(select('textPayload=~"[[:upper:]]he request"'), ['refusal']);
    // Not a string field: no match, whichever way.
    assert.deepEqual(select('httpRequest.status=~"40"'), []);
    assert.deepEqual(select('httpRequest.status!~"40"'), []);
    // Missing: no match either way.
    assert.deepEqual(select('labels.none!~"x"'), []);
  });

  it('runs log_id, sample, ip_in_net and SEARCH', () => {
    assert.deepEqual(select('log_id("run.googleapis.com/requests")'), ['refusal', 'ok']);
    assert.deepEqual(select('log_id("cloudaudit.googleapis.com/data_access")'), ['audit']);
    assert.deepEqual(select('sample(insertId, 1)'), ['refusal', 'ok', 'task', 'audit']);
    assert.deepEqual(select('sample(labels."authplane.dev/denial", 1)'), ['refusal']);
    const half = select('sample(insertId, 0.5)');
    assert.deepEqual(select('sample(insertId, 0.5)'), half, 'the same sample every time');
    assert.deepEqual(select('ip_in_net(httpRequest.remoteIp, "10.1.0.0/16")'), ['refusal']);
    assert.deepEqual(select('ip_in_net(httpRequest.remoteIp, "10.2.0.0/16")'), []);
    assert.deepEqual(select('SEARCH("Authorized")'), ['refusal']);
    assert.deepEqual(select('SEARCH("authoriz")'), []);
    assert.deepEqual(select('SEARCH(textPayload, "service request")'), ['refusal']);
    assert.deepEqual(select('SEARCH("`invoke this SERVICE`")'), ['refusal']);
  });

  it('refuses a filter it cannot run, before reading any entry', () => {
    const syntax = refused('resource.type=');
    assert.equal(syntax.denial.message, "Unparseable filter: syntax error at line 1, column 15, token '<EOF>'");
    assert.equal(syntax.denial.details, undefined, 'recorded gcloud output shows no detail for this error');
    assert.match(refused('thud=1').denial.message, /Field not found: 'thud'/);
    assert.match(refused('textPayload.thud:x').denial.message, /Field not found: 'thud'/);
    assert.match(refused('httpRequest.statuss=1').denial.message, /Field not found: 'statuss'/);
    assert.match(refused('metadata.serviceName:"cloudfunctions.googleapis.com"').denial.message, /Field not found: 'serviceName'/);
    // RE2 has no back-references or look-arounds; JavaScript would have accepted them.
    assert.match(refused('textPayload=~"(a)\\\\1"').denial.message, /Invalid regular expression/);
    assert.match(refused('textPayload=~"(?=a)"').denial.message, /Invalid regular expression/);
    assert.match(refused('sample(insertId, 2)').denial.message, /fraction/);
    assert.match(refused('ip_in_net(httpRequest.remoteIp, "10.1.2.0/99")').denial.message, /not an IP address or range/);
    assert.match(refused('frobnicate(insertId)').denial.message, /Unknown function/);
    assert.match(refused('log_id("x") = true').denial.message, /cannot be compared/);
    assert.match(refused('x'.repeat(20_001)).denial.message, /maximum is 20000/);
    assert.match(refused(`${'('.repeat(9000)}a${')'.repeat(9000)}`).denial.message, /more than 100 deep \(at line 1, column 101\)/);
    assert.throws(() => compileFilter('cast(timestamp, STRING) =~ "x"'), (e: unknown) => e instanceof DenialError && e.denial.rpcStatus === 'UNIMPLEMENTED');
  });
});

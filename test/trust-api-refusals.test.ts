// Refusals of Google's APIs are Denials like the front door's: Google's status and body, the code in
// x-authplane-denial (a trailer on gRPC), and an entry in the request log with the explanation, the remedy
// and the caller — so a refused CreateTask or generateIdToken is as visible as a refused request.

import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { after, before, describe, it } from 'node:test';
import { serviceDefinition } from '../src/apis/grpc-server.js';
import type { RequestLogEntry } from '../src/observe/request-log.js';
import { SERVICE_NAME, tasksRoot } from '../src/tasks/proto.js';
import { startTestAuthplane, type TestAuthplane } from './support/authplane.js';

const PROJECT = 'demo-project';
const sa = (name: string) => `${name}@${PROJECT}.iam.gserviceaccount.com`;
const QUEUE = `projects/${PROJECT}/locations/us-central1/queues/work`;

describe('API refusals are Denials, in Google\'s shape and in the request log', () => {
  let ap: TestAuthplane;
  let enqueuer: string;
  let owner: string;

  before(async () => {
    ap = await startTestAuthplane({
      defaultPrincipal: null,
      iam: {
        bindings: [
          { resource: `projects/${PROJECT}`, role: 'roles/cloudtasks.enqueuer', members: [`serviceAccount:${sa('enqueuer')}`] },
          { resource: `projects/${PROJECT}`, role: 'roles/owner', members: ['user:owner@example.com'] },
        ],
      },
      serviceAccounts: [{ name: 'enqueuer' }, { name: 'runner' }],
      services: [{ name: 'hello', upstream: 'http://127.0.0.1:9' }],
      workloads: [{ name: 'job', serviceAccount: 'runner' }],
      queues: [{ name: 'work' }],
    });
    enqueuer = (await ap.platform.identity.mintAccessToken(`serviceAccount:${sa('enqueuer')}`)).token;
    owner = (await ap.platform.identity.mintAccessToken('user:owner@example.com')).token;
  });

  after(async () => ap?.stop());

  const logged = async (id: string): Promise<RequestLogEntry> => {
    const r = await ap.api(`/admin/v1/requests/${id}`, { headers: { authorization: `Bearer ${owner}` } });
    assert.equal(r.status, 200, await r.clone().text());
    return (await r.json()) as RequestLogEntry;
  };

  const expectRefusal = async (res: Response, status: number, code: string, rpcStatus: string, principal = `serviceAccount:${sa('enqueuer')}`) => {
    const text = await res.text();
    assert.equal(res.status, status, text);
    assert.equal(res.headers.get('x-authplane-denial'), code);
    const body = JSON.parse(text) as { error: { code: number; status: string; message: string; details?: { '@type': string; reason?: string }[] } };
    assert.equal(body.error.code, status);
    assert.equal(body.error.status, rpcStatus);
    const id = res.headers.get('x-authplane-request-id');
    assert.ok(id, 'an API refusal names its request id');
    const entry = await logged(id);
    assert.equal(entry.code, code);
    assert.equal(entry.surface, 'api');
    assert.equal(entry.status, status);
    assert.equal(entry.principal, principal);
    assert.ok(entry.explanation && entry.explanation.length > 20, 'explained');
    assert.ok(entry.remedy && entry.remedy.length > 20, 'with a remedy');
    return { body, entry };
  };

  it('CreateTask without actAs on the task\'s account: 403 ACT_AS_DENIED, logged with the fix', async () => {
    const res = await ap.api(`/v2/${QUEUE}/tasks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${enqueuer}` },
      body: JSON.stringify({ task: { httpRequest: { url: 'https://hello-123456789012.us-central1.run.app/', oidcToken: { serviceAccountEmail: sa('runner') } } } }),
    });
    const { body, entry } = await expectRefusal(res, 403, 'ACT_AS_DENIED', 'PERMISSION_DENIED');
    assert.match(body.error.message, /iam\.serviceAccounts\.actAs/);
    assert.match(entry.remedy!, /roles\/iam\.serviceAccountUser/);
    assert.match(entry.remedy!, new RegExp(sa('runner')));
  });

  // Each product refuses a missing permission in its own recorded words; authplane's code, evidence and fix
  // stay in x-authplane-denial, ErrorInfo and the log.
  describe('a missing permission in each product\'s own words', () => {
    let runner: string;
    before(async () => {
      runner = (await ap.platform.identity.mintAccessToken(`serviceAccount:${sa('runner')}`)).token;
    });
    const asRunner = () => ({ authorization: `Bearer ${runner}` });
    const errorInfo = (body: { error: { details?: { '@type': string; reason?: string; domain?: string; metadata?: Record<string, string> }[] } }) =>
      body.error.details?.find((d) => d['@type'] === 'type.googleapis.com/google.rpc.ErrorInfo');

    it('Cloud Tasks (REST and gRPC): The principal … lacks IAM permission "cloudtasks.tasks.create" for the resource "<queue>"', async () => {
      const words = `The principal (user or service account) lacks IAM permission "cloudtasks.tasks.create" for the resource "${QUEUE}" (or the resource may not exist).`;
      const task = { httpRequest: { url: 'https://hello-123456789012.us-central1.run.app/' } };
      const res = await ap.api(`/v2/${QUEUE}/tasks`, { method: 'POST', headers: asRunner(), body: JSON.stringify({ task }) });
      const { body, entry } = await expectRefusal(res, 403, 'PERMISSION_DENIED', 'PERMISSION_DENIED', `serviceAccount:${sa('runner')}`);
      assert.equal(body.error.message, words);
      assert.deepEqual(errorInfo(body), { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'IAM_PERMISSION_DENIED', domain: 'cloudtasks.googleapis.com', metadata: { permission: 'cloudtasks.tasks.create' } });
      assert.match(entry.remedy!, /roles\/cloudtasks\.enqueuer/);

      const Client = grpc.makeGenericClientConstructor(serviceDefinition(tasksRoot(), SERVICE_NAME), 'CloudTasks');
      const client = new Client(ap.platform.grpcHostPort!, grpc.credentials.createInsecure()) as unknown as Record<string, (req: unknown, md: grpc.Metadata, cb: (e: grpc.ServiceError | null) => void) => void>;
      const md = new grpc.Metadata();
      md.set('authorization', `Bearer ${runner}`);
      const err = await new Promise<grpc.ServiceError>((resolve, reject) => client['CreateTask']!({ parent: QUEUE, task }, md, (e) => (e ? resolve(e) : reject(new Error('CreateTask succeeded')))));
      (client as unknown as grpc.Client).close();
      assert.equal(err.code, grpc.status.PERMISSION_DENIED);
      assert.equal(err.details, words);
      assert.equal(err.metadata.get('x-authplane-denial')[0], 'PERMISSION_DENIED');
    });

    it('Cloud Scheduler: The principal … lacks IAM permission "cloudscheduler.jobs.create" for the resource "<location>"', async () => {
      const parent = `projects/${PROJECT}/locations/us-central1`;
      const res = await ap.api(`/v1/${parent}/jobs`, {
        method: 'POST',
        headers: asRunner(),
        body: JSON.stringify({ name: `${parent}/jobs/nightly`, schedule: '0 3 * * *', httpTarget: { uri: 'https://hello-123456789012.us-central1.run.app/' } }),
      });
      const { body } = await expectRefusal(res, 403, 'PERMISSION_DENIED', 'PERMISSION_DENIED', `serviceAccount:${sa('runner')}`);
      assert.equal(body.error.message, `The principal (user or service account) lacks IAM permission "cloudscheduler.jobs.create" for the resource "${parent}" (or the resource may not exist).`);
      assert.equal(errorInfo(body)?.domain, 'cloudscheduler.googleapis.com');
    });

    it('Pub/Sub: User not authorized to perform this action.', async () => {
      const res = await ap.api(`/v1/projects/${PROJECT}/topics/not-mine`, { method: 'PUT', headers: asRunner(), body: '{}' });
      const { body, entry } = await expectRefusal(res, 403, 'PERMISSION_DENIED', 'PERMISSION_DENIED', `serviceAccount:${sa('runner')}`);
      assert.equal(body.error.message, 'User not authorized to perform this action.');
      assert.deepEqual(errorInfo(body)?.metadata, { permission: 'pubsub.topics.create' });
      assert.equal(entry.evidence?.['permission'], 'pubsub.topics.create');
    });
  });

  it('generateIdToken without Token Creator: 403 IMPERSONATION_DENIED with Google\'s ErrorInfo', async () => {
    const res = await ap.api(`/v1/projects/-/serviceAccounts/${sa('runner')}:generateIdToken`, {
      method: 'POST',
      headers: { authorization: `Bearer ${enqueuer}` },
      body: JSON.stringify({ audience: 'https://hello-123456789012.us-central1.run.app' }),
    });
    const { body, entry } = await expectRefusal(res, 403, 'IMPERSONATION_DENIED', 'PERMISSION_DENIED');
    assert.equal(body.error.message, "Permission 'iam.serviceAccounts.getOpenIdToken' denied on resource (or it may not exist).");
    const info = body.error.details?.find((d) => d['@type'] === 'type.googleapis.com/google.rpc.ErrorInfo');
    assert.equal(info?.reason, 'IAM_PERMISSION_DENIED');
    assert.match(entry.remedy!, /roles\/iam\.serviceAccountTokenCreator/);
  });

  it('setIamPolicy without permission: 403 PERMISSION_DENIED, and nothing changes', async () => {
    const before = ap.platform.iam.getPolicy('services/hello');
    const res = await ap.api('/v2/projects/demo-project/locations/us-central1/services/hello:setIamPolicy', {
      method: 'POST',
      headers: { authorization: `Bearer ${enqueuer}` },
      body: JSON.stringify({ policy: { bindings: [{ role: 'roles/run.invoker', members: ['allUsers'] }] } }),
    });
    const { entry } = await expectRefusal(res, 403, 'PERMISSION_DENIED', 'PERMISSION_DENIED');
    assert.equal(entry.evidence?.['permission'], 'run.services.setIamPolicy');
    assert.deepEqual(ap.platform.iam.getPolicy('services/hello'), before);
  });

  it('over gRPC: Google\'s status and message, the code in the x-authplane-denial trailer, and the log entry', async () => {
    const Client = grpc.makeGenericClientConstructor(serviceDefinition(tasksRoot(), SERVICE_NAME), 'CloudTasks');
    const client = new Client(ap.platform.grpcHostPort!, grpc.credentials.createInsecure()) as unknown as Record<string, (req: unknown, md: grpc.Metadata, cb: (e: grpc.ServiceError | null) => void) => void>;
    const md = new grpc.Metadata();
    md.set('authorization', `Bearer ${enqueuer}`);
    const err = await new Promise<grpc.ServiceError>((resolve, reject) =>
      client['CreateTask']!({ parent: QUEUE, task: { httpRequest: { url: 'https://hello-123456789012.us-central1.run.app/', oidcToken: { serviceAccountEmail: sa('runner') } } } }, md, (e) =>
        e ? resolve(e) : reject(new Error('CreateTask succeeded')),
      ),
    );
    (client as unknown as grpc.Client).close();
    assert.equal(err.code, grpc.status.PERMISSION_DENIED);
    assert.match(err.details, /iam\.serviceAccounts\.actAs/);
    assert.equal(err.metadata.get('x-authplane-denial')[0], 'ACT_AS_DENIED');
    const id = String(err.metadata.get('x-authplane-request-id')[0]);
    const entry = await logged(id);
    assert.equal(entry.code, 'ACT_AS_DENIED');
    assert.equal(entry.path, '/google.cloud.tasks.v2.CloudTasks/CreateTask');
    assert.match(entry.remedy!, /roles\/iam\.serviceAccountUser/);
  });

  it('the metadata server\'s refusals too: Google\'s words, the code, the log entry', async () => {
    const md = `http://${ap.metadataHost('job')}/computeMetadata/v1/instance/service-accounts/default`;
    const cases: [string, Record<string, string>, number, string, string][] = [
      ['no Metadata-Flavor', {}, 403, 'METADATA_FLAVOR_MISSING', 'Missing required header "Metadata-Flavor": "Google"'],
      ['through a proxy', { 'Metadata-Flavor': 'Google', 'X-Forwarded-For': '10.0.0.1' }, 403, 'METADATA_FLAVOR_MISSING', 'Request had an X-Forwarded-For header'],
      ['identity without audience', { 'Metadata-Flavor': 'Google' }, 400, 'INVALID_ARGUMENT', 'non-empty audience parameter required'],
    ];
    for (const [name, headers, status, code, words] of cases) {
      const r = await fetch(name.startsWith('identity') ? `${md}/identity` : `${md}/email`, { headers });
      assert.equal(r.status, status, name);
      assert.equal(r.headers.get('metadata-flavor'), 'Google', `${name}: every answer carries Metadata-Flavor`);
      assert.equal(r.headers.get('x-authplane-denial'), code, name);
      assert.ok((await r.text()).startsWith(words), name);
      const entry = await logged(r.headers.get('x-authplane-request-id')!);
      assert.equal(entry.surface, 'metadata');
      assert.equal(entry.code, code);
      assert.ok(entry.remedy, name);
    }
  });
});

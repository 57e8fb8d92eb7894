// Bad input gets Google's error naming the field, never a 5xx, and changes nothing (issue 13's acceptance).
// Malformed requests are generated from the request messages' descriptors (test/support/proto-fuzz.ts)
// around a valid request of each method — Cloud Tasks, IAM Credentials, the IAM policy methods of projects,
// service accounts, Cloud Run services, IAP and queues, Cloud Run Admin, the OAuth token and tokeninfo
// endpoints over REST, and Cloud Tasks over gRPC — and each is checked: no 5xx (no INTERNAL/UNKNOWN on gRPC),
// Google's error shape with the x-authplane-denial code and the field named, state (queue, tasks, policies,
// keys) unchanged after every refusal, and nothing the generator marks invalid accepted. Valid requests
// still work afterwards, with exactly the values sent.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import type protobuf from 'protobufjs';
import { startTestAuthplane, type TestAuthplane } from './support/authplane.js';
import { bodyMutations, queryMutations, type Json, type Mutation } from './support/proto-fuzz.js';
import { descriptor } from '../src/apis/proto.js';
import { lookupType as tasksType } from '../src/tasks/proto.js';
import { DENIAL_HEADER } from '../src/verify/response.js';

const PROJECT = 'demo-project';
const LOC = `projects/${PROJECT}/locations/us-central1`;
const QUEUE = `${LOC}/queues/fuzz`;
const SA = (n: string) => `${n}@${PROJECT}.iam.gserviceaccount.com`;
const OWNER = 'user:developer@example.com';
const CLIENT_ID = '123456789012-fuzz.apps.googleusercontent.com';
const iamType = (n: string) => descriptor('google-iam-v1.json').lookupType(`google.iam.v1.${n}`);
const credType = (n: string) => descriptor('google-iam-credentials-v1.json').lookupType(`google.iam.credentials.v1.${n}`);
const runType = (n: string) => descriptor('google-cloud-run-v2.json').lookupType(`google.cloud.run.v2.${n}`);
const adminType = (n: string) => descriptor('google-iam-admin-v1.json').lookupType(`google.iam.admin.v1.${n}`);
const RPC_STATUSES = new Set(['INVALID_ARGUMENT', 'FAILED_PRECONDITION', 'OUT_OF_RANGE', 'UNAUTHENTICATED', 'PERMISSION_DENIED', 'NOT_FOUND', 'ABORTED', 'ALREADY_EXISTS', 'RESOURCE_EXHAUSTED', 'UNIMPLEMENTED']);

/** A REST method and a valid request of it. */
interface RestTarget {
  name: string;
  method: 'POST' | 'PATCH' | 'GET';
  path: string;
  /** The request message the body is (or the body's field `bodyField` of it). */
  type: protobuf.Type;
  bodyField?: string;
  base?: Record<string, Json>;
  query?: string;
  /** Fields bound by the path (not to be sent as query parameters). */
  bound?: string[];
  /** A POST whose HTTP rule has no body: its fields bind to query parameters, as a GET's do. */
  bodyless?: boolean;
  /** Undoes what an accepted request changed. */
  restore?: () => Promise<void>;
}

describe('malformed input over REST and gRPC', () => {
  let ap: TestAuthplane;
  const baselinePolicies: Record<string, { role: string; members: string[] }[]> = {};

  before(async () => {
    ap = await startTestAuthplane({
      serviceAccounts: [{ name: 'target' }, { name: 'runner' }],
      iam: {
        bindings: [
          { resource: 'serviceAccounts/target', role: 'roles/iam.serviceAccountTokenCreator', members: [OWNER] },
          { resource: 'serviceAccounts/runner', role: 'roles/iam.serviceAccountTokenCreator', members: [OWNER] },
          { resource: 'services/hello', role: 'roles/run.invoker', members: ['serviceAccount:runner'] },
          { resource: 'iap/hello', role: 'roles/iap.httpsResourceAccessor', members: [OWNER] },
        ],
      },
      services: [{ name: 'hello', upstream: 'http://127.0.0.1:9', iap: { enabled: true, oauthClientId: CLIENT_ID } }],
      queues: [{ name: 'fuzz' }],
    });
    // Nothing may be dispatched while tasks are created: the queue is paused.
    assert.equal((await ap.api(`/v2/${QUEUE}:pause`, { method: 'POST', body: '{}' })).status, 200);
    for (const r of RESOURCES) baselinePolicies[r] = ap.platform.iam.getPolicy(r).bindings;
  });
  after(async () => {
    await ap?.stop();
  });

  const RESOURCES = [`projects/${PROJECT}`, `serviceAccounts/${SA('target')}`, 'services/hello', 'iap/hello', 'queues/fuzz'];

  /** Everything a refused request must leave as it was. */
  async function state(): Promise<string> {
    const q = await ap.platform.store.tasks.getQueue('fuzz');
    const tasks = await ap.platform.store.tasks.listTasks('fuzz', 0, 10_000);
    const policies = RESOURCES.map((r) => ap.platform.iam.getPolicy(r));
    const keys = ap.platform.identity.keys.publishedFor(SA('target')).map((k) => k.record.kid);
    return JSON.stringify({ q, tasks: tasks.map((t) => [t.id, t.httpRequest, t.scheduleTime]), policies, keys });
  }

  async function restorePolicy(resource: string): Promise<void> {
    await ap.platform.iam.setPolicy(resource, baselinePolicies[resource]!, null);
  }

  const stats = { rest: 0, grpc: 0, refused: 0 };

  /** Sends one malformed REST request and checks the answer and the state. */
  async function sendRest(t: RestTarget, m: Mutation, body: Json, query: string): Promise<void> {
    const before = await state();
    const url = `${t.path}${query ? `?${query}` : ''}`;
    const r = await ap.api(url, t.method === 'GET' ? {} : t.bodyless ? { method: t.method } : { method: t.method, body: typeof body === 'string' ? body : JSON.stringify(body) });
    const text = await r.text();
    const what = `${t.name}: ${m.label} → ${r.status} ${text.slice(0, 300)}`;
    stats.rest++;
    assert.ok(r.status < 500, `no 5xx: ${what}`);
    if (r.status < 300) {
      assert.equal(m.expect, 'any', `accepted what Google refuses: ${what}`);
      await t.restore?.();
      return;
    }
    stats.refused++;
    assert.ok(r.headers.get(DENIAL_HEADER), `${DENIAL_HEADER} header: ${what}`);
    const { error } = JSON.parse(text) as { error: { code: number; message: string; status: string; details?: { '@type': string; fieldViolations?: unknown[] }[] } };
    assert.equal(error.code, r.status, what);
    assert.ok(RPC_STATUSES.has(error.status), `a google.rpc status: ${what}`);
    assert.ok(typeof error.message === 'string' && error.message.length > 0, what);
    if (r.status === 400) {
      const badRequest = error.details?.find((d) => d['@type'] === 'type.googleapis.com/google.rpc.BadRequest');
      assert.ok((badRequest?.fieldViolations?.length ?? 0) > 0 || error.message.includes(m.field), `a field violation or the field named: ${what}`);
    }
    assert.equal(await state(), before, `a refused request changes nothing: ${what}`);
  }

  async function fuzzRest(t: RestTarget): Promise<void> {
    if (t.bodyless) {
      const ok = await ap.api(`${t.path}${t.query ? `?${t.query}` : ''}`, { method: t.method });
      assert.ok(ok.status < 300, `${t.name}: the valid request works: ${ok.status} ${await ok.text()}`);
      // A body has nowhere to go.
      await sendRest({ ...t, bodyless: false }, { label: 'a body on a method without one', field: 'options', value: null, expect: 'refused' }, { options: { requestedPolicyVersion: 3 } }, t.query ?? '');
    } else if (t.base) {
      // The valid request first: it must work (and is where the mutations start from).
      const ok = await ap.api(`${t.path}${t.query ? `?${t.query}` : ''}`, { method: t.method, body: JSON.stringify(t.base) });
      assert.ok(ok.status < 300, `${t.name}: the valid request works: ${ok.status} ${await ok.text()}`);
      await t.restore?.();
      const bodyType = t.bodyField ? (t.type.fields[t.bodyField]!.resolve().resolvedType as protobuf.Type) : t.type;
      for (const m of bodyMutations(bodyType, t.base, t.bodyField ?? '')) await sendRest(t, m, m.value, t.query ?? '');
      // Not an object at all.
      for (const raw of ['[]', '"x"', '5', '{"a":']) await sendRest(t, { label: `body ${raw}`, field: 'request body', value: raw, expect: 'refused' }, raw, t.query ?? '');
    }
    for (const m of queryMutations(t.type, t.bound ?? [])) {
      // Only a GET binds its request's fields to query parameters here; other methods get the unknown one.
      if (t.method !== 'GET' && !t.bodyless && m.field !== 'zzUnknownParam') continue;
      await sendRest(t, m, t.base ?? {}, [t.query, m.value as string].filter(Boolean).join('&'));
    }
  }

  test('Cloud Tasks REST', async () => {
    const future = new Date(ap.platform.clock() + 86_400_000).toISOString();
    await fuzzRest({
      name: 'CreateTask',
      method: 'POST',
      path: `/v2/${QUEUE}/tasks`,
      type: tasksType('google.cloud.tasks.v2.CreateTaskRequest'),
      base: {
        task: {
          httpRequest: { url: 'https://hello-123456789012.us-central1.run.app/work', httpMethod: 'PUT', headers: { 'x-a': '1' }, body: Buffer.from('{"a":1}').toString('base64'), oidcToken: { serviceAccountEmail: SA('runner'), audience: 'https://hello-123456789012.us-central1.run.app' } },
          scheduleTime: future,
          dispatchDeadline: '30s',
        },
        responseView: 'FULL',
      },
      bound: ['parent'],
      restore: () => ap.platform.store.tasks.purgeQueue('fuzz', ap.platform.clock()).then(() => undefined),
    });
    const queueBase = { rateLimits: { maxDispatchesPerSecond: 10, maxConcurrentDispatches: 5 }, retryConfig: { maxAttempts: 3, minBackoff: '1s', maxBackoff: '10s', maxDoublings: 2, maxRetryDuration: '100s' }, stackdriverLoggingConfig: { samplingRatio: 0.5 } };
    await fuzzRest({
      name: 'UpdateQueue',
      method: 'PATCH',
      path: `/v2/${QUEUE}`,
      type: tasksType('google.cloud.tasks.v2.UpdateQueueRequest'),
      bodyField: 'queue',
      base: queueBase,
      query: 'updateMask=rateLimits.maxDispatchesPerSecond,rateLimits.maxConcurrentDispatches,retryConfig,stackdriverLoggingConfig',
      // An accepted update (null: the default) is undone by the valid one.
      restore: async () => {
        await ap.api(`/v2/${QUEUE}?updateMask=rateLimits.maxDispatchesPerSecond,rateLimits.maxConcurrentDispatches,retryConfig,stackdriverLoggingConfig`, { method: 'PATCH', body: JSON.stringify(queueBase) });
      },
    });
    await fuzzRest({ name: 'ListTasks', method: 'GET', path: `/v2/${QUEUE}/tasks`, type: tasksType('google.cloud.tasks.v2.ListTasksRequest'), bound: ['parent'] });
    await fuzzRest({ name: 'ListQueues', method: 'GET', path: `/v2/${LOC}/queues`, type: tasksType('google.cloud.tasks.v2.ListQueuesRequest'), bound: ['parent'] });
    await fuzzRest({ name: 'PauseQueue', method: 'POST', path: `/v2/${QUEUE}:pause`, type: tasksType('google.cloud.tasks.v2.PauseQueueRequest'), base: {}, bound: ['name'] });
  });

  const policyBase = (resource: string, role: string) => ({
    policy: { bindings: [...baselinePolicies[resource]!, { role, members: ['user:alice@example.com', `serviceAccount:${SA('runner')}`] }], version: 1 },
    updateMask: 'bindings,etag',
  });
  const policyTargets = (): RestTarget[] => [
    { name: 'projects', base: `/v1/projects/${PROJECT}`, resource: `projects/${PROJECT}`, role: 'roles/viewer', get: 'POST' as const },
    // IAM v1: `post: "/v1/{resource=projects/*/serviceAccounts/*}:getIamPolicy"` without a body (iam.proto).
    { name: 'service accounts', base: `/v1/projects/-/serviceAccounts/${SA('target')}`, resource: `serviceAccounts/${SA('target')}`, role: 'roles/iam.serviceAccountUser', get: 'POST-query' as const },
    { name: 'Cloud Run services', base: `/v2/${LOC}/services/hello`, resource: 'services/hello', role: 'roles/run.invoker', get: 'GET' as const },
    { name: 'IAP', base: `/v1/projects/${PROJECT}/iap_web/cloud_run-us-central1/services/hello`, resource: 'iap/hello', role: 'roles/iap.httpsResourceAccessor', get: 'POST' as const },
    { name: 'queues', base: `/v2/${QUEUE}`, resource: 'queues/fuzz', role: 'roles/cloudtasks.viewer', get: 'POST' as const },
  ].flatMap((p) => [
    { name: `${p.name} setIamPolicy`, method: 'POST' as const, path: `${p.base}:setIamPolicy`, type: iamType('SetIamPolicyRequest'), base: policyBase(p.resource, p.role), bound: ['resource'], restore: () => restorePolicy(p.resource) },
    p.get === 'GET'
      ? { name: `${p.name} getIamPolicy`, method: 'GET' as const, path: `${p.base}:getIamPolicy`, type: iamType('GetIamPolicyRequest'), bound: ['resource'] }
      : p.get === 'POST-query'
        ? { name: `${p.name} getIamPolicy`, method: 'POST' as const, bodyless: true, path: `${p.base}:getIamPolicy`, query: 'options.requestedPolicyVersion=3', type: iamType('GetIamPolicyRequest'), bound: ['resource'] }
        : { name: `${p.name} getIamPolicy`, method: 'POST' as const, path: `${p.base}:getIamPolicy`, type: iamType('GetIamPolicyRequest'), base: { options: { requestedPolicyVersion: 3 } }, bound: ['resource'] },
    { name: `${p.name} testIamPermissions`, method: 'POST' as const, path: `${p.base}:testIamPermissions`, type: iamType('TestIamPermissionsRequest'), base: { permissions: [`${p.role === 'roles/viewer' ? 'resourcemanager.projects.get' : p.name === 'queues' ? 'cloudtasks.queues.get' : p.name === 'IAP' ? 'iap.webServices.getIamPolicy' : p.name === 'Cloud Run services' ? 'run.services.get' : 'iam.serviceAccounts.get'}`] }, bound: ['resource'] },
  ]);

  test('IAM policy methods of projects, service accounts, Cloud Run services, IAP and queues', async () => {
    for (const t of policyTargets()) await fuzzRest(t);
    // Google's limits on a policy: 1,500 principals (each occurrence counts), principals in Google's forms.
    const many = Array.from({ length: 1501 }, (_, i) => `user:u${i}@example.com`);
    for (const [label, members, field] of [
      ['1,501 principals', many, 'policy.bindings'],
      ['a member without a type', ['alice@example.com'], 'policy.bindings.member'],
      ['user:a', ['user:a'], 'policy.bindings[0].members[0]'],
      ['an empty binding', [], 'policy.bindings[0].members'],
    ] as const) {
      const m: Mutation = { label, field, value: null, expect: 'refused' };
      await sendRest(policyTargets().find((t) => t.name === 'queues setIamPolicy')!, m, { policy: { bindings: [{ role: 'roles/cloudtasks.viewer', members }] } }, '');
    }
    // The queue's own setIamPolicy with a policy that is no Policy: 400, and every binding stays.
    const before = ap.platform.iam.getPolicy('queues/fuzz');
    const r = await ap.api(`/v2/${QUEUE}:setIamPolicy`, { method: 'POST', body: JSON.stringify({ policy: 'x' }) });
    assert.equal(r.status, 400);
    assert.equal(((await r.json()) as { error: { message: string } }).error.message, `Invalid value at 'policy' (type.googleapis.com/google.iam.v1.Policy), "x"`);
    assert.deepEqual(ap.platform.iam.getPolicy('queues/fuzz'), before);
  });

  test('IAM Credentials', async () => {
    const account = `/v1/projects/-/serviceAccounts/${SA('target')}`;
    const now = Math.floor(ap.platform.clock() / 1000);
    const targets: RestTarget[] = [
      { name: 'generateAccessToken', method: 'POST', path: `${account}:generateAccessToken`, type: credType('GenerateAccessTokenRequest'), base: { delegates: [`projects/-/serviceAccounts/${SA('runner')}`], scope: ['https://www.googleapis.com/auth/cloud-platform'], lifetime: '600s' }, bound: ['name'] },
      { name: 'generateIdToken', method: 'POST', path: `${account}:generateIdToken`, type: credType('GenerateIdTokenRequest'), base: { audience: 'https://hello-123456789012.us-central1.run.app', includeEmail: true }, bound: ['name'] },
      { name: 'signJwt', method: 'POST', path: `${account}:signJwt`, type: credType('SignJwtRequest'), base: { payload: JSON.stringify({ iss: SA('target'), sub: SA('target'), aud: 'x', iat: now, exp: now + 600 }) }, bound: ['name'] },
      { name: 'signBlob', method: 'POST', path: `${account}:signBlob`, type: credType('SignBlobRequest'), base: { payload: Buffer.from('blob').toString('base64') }, bound: ['name'] },
    ];
    // The runner may be a delegate of the chain only if it may mint for the target.
    await ap.platform.iam.addBinding(`serviceAccounts/${SA('target')}`, 'roles/iam.serviceAccountTokenCreator', `serviceAccount:${SA('runner')}`);
    baselinePolicies[`serviceAccounts/${SA('target')}`] = ap.platform.iam.getPolicy(`serviceAccounts/${SA('target')}`).bindings;
    for (const t of targets) await fuzzRest(t);
    // Values of the right type that Google refuses.
    const deepPayload = `{"a":${'['.repeat(20_000)}${']'.repeat(20_000)}}`;
    for (const [t, label, body, field] of [
      [targets[0]!, 'a service URL as a scope', { scope: ['https://svc-123.us-central1.run.app'] }, 'scope'],
      [targets[0]!, 'lifetime 2h', { scope: ['https://www.googleapis.com/auth/cloud-platform'], lifetime: '7200s' }, 'lifetime'],
      [targets[0]!, 'lifetime 0s', { scope: ['https://www.googleapis.com/auth/cloud-platform'], lifetime: '0s' }, 'lifetime'],
      [targets[0]!, 'a delegate naming a project instead of -', { scope: ['https://www.googleapis.com/auth/cloud-platform'], delegates: [`projects/${PROJECT}/serviceAccounts/${SA('runner')}`] }, 'delegates'],
      [targets[1]!, 'no audience', { includeEmail: true }, 'audience'],
      [targets[1]!, 'useEmailAzp "yes"', { audience: 'a', useEmailAzp: 'yes' }, 'use_email_azp'],
      [targets[2]!, 'a 20,000-deep JSON payload', { payload: deepPayload }, 'payload'],
      [targets[2]!, 'a payload that is no object', { payload: '[1]' }, 'payload'],
      [targets[2]!, 'exp in the past', { payload: JSON.stringify({ exp: now - 10 }) }, 'payload'],
      [targets[2]!, 'exp 13 hours ahead', { payload: JSON.stringify({ exp: now + 13 * 3600 }) }, 'payload'],
      [targets[3]!, 'an empty payload', { payload: '' }, 'payload'],
    ] as const) {
      await sendRest(t, { label, field, value: body, expect: 'refused' }, body, '');
    }
    // gcloud and Python's impersonated_credentials send "delegates": null.
    const ok = await ap.api(`${account}:generateAccessToken`, { method: 'POST', body: JSON.stringify({ delegates: null, scope: ['https://www.googleapis.com/auth/cloud-platform'], lifetime: '3600s' }) });
    assert.equal(ok.status, 200, await ok.text());
  });

  test('Cloud Run Admin and IAM admin reads', async () => {
    await fuzzRest({ name: 'run services.list', method: 'GET', path: `/v2/${LOC}/services`, type: runType('ListServicesRequest'), bound: ['parent'] });
    await fuzzRest({ name: 'run services.get', method: 'GET', path: `/v2/${LOC}/services/hello`, type: runType('GetServiceRequest'), bound: ['name'] });
    await fuzzRest({ name: 'serviceAccounts.list', method: 'GET', path: `/v1/projects/${PROJECT}/serviceAccounts`, type: adminType('ListServiceAccountsRequest'), bound: ['name'] });
    await fuzzRest({
      name: 'serviceAccounts.keys.create',
      method: 'POST',
      path: `/v1/projects/${PROJECT}/serviceAccounts/${SA('target')}/keys`,
      type: adminType('CreateServiceAccountKeyRequest'),
      base: { privateKeyType: 'TYPE_GOOGLE_CREDENTIALS_FILE', keyAlgorithm: 'KEY_ALG_RSA_2048' },
      bound: ['name'],
    });
  });

  test('OAuth token and tokeninfo endpoints', async () => {
    const send = async (label: string, path: string, init: RequestInit) => {
      const before = await state();
      const r = await fetch(ap.apiUrl + path, init);
      const text = await r.text();
      stats.rest++;
      assert.ok(r.status >= 400 && r.status < 500, `${label}: refused, not 5xx: ${r.status} ${text}`);
      assert.ok(r.headers.get(DENIAL_HEADER), `${label}: ${DENIAL_HEADER}`);
      const body = JSON.parse(text) as { error: string; error_description: string };
      assert.ok(typeof body.error === 'string' && typeof body.error_description === 'string', `${label}: OAuth's error shape: ${text}`);
      assert.equal(await state(), before);
      stats.refused++;
    };
    const form = (fields: [string, string][]) => ({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
    const JWT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
    const seg = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const deepJwt = `${seg({ alg: 'RS256' })}.${Buffer.from('{"a":' + '['.repeat(5000) + ']'.repeat(5000) + '}').toString('base64url')}.c2ln`;
    const cases: [string, RequestInit][] = [
      ['no grant_type', form([['assertion', 'x']])],
      ['an unknown grant_type', form([['grant_type', 'password'], ['assertion', 'x']])],
      ['no assertion', form([['grant_type', JWT]])],
      ['an extra parameter', form([['grant_type', JWT], ['assertion', 'a.b.c'], ['access_type', 'offline']])],
      ['grant_type twice', form([['grant_type', JWT], ['grant_type', JWT], ['assertion', 'a.b.c']])],
      ['an assertion that is no JWT', form([['grant_type', JWT], ['assertion', 'garbage']])],
      ['a 5,000-deep assertion', form([['grant_type', JWT], ['assertion', deepJwt]])],
      ['an assertion of an unknown account', form([['grant_type', JWT], ['assertion', `${seg({ alg: 'RS256', kid: 'k' })}.${seg({ iss: 'ghost@x', iat: 1, exp: 2 })}.c2ln`]])],
      ['an assertion whose iss is an object', form([['grant_type', JWT], ['assertion', `${seg({ alg: 'RS256' })}.${seg({ iss: { a: 1 } })}.c2ln`]])],
      ['JSON with a number', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ grant_type: JWT, assertion: 5 }) }],
      ['JSON that is a list', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[]' }],
    ];
    for (const [label, init] of cases) await send(`token: ${label}`, '/token', init);
    for (const q of ['', 'id_token=garbage', 'access_token=garbage', `id_token=${deepJwt}`, 'id_token=a.b.c', `id_token=${'x'.repeat(8_000)}`]) {
      await send(`tokeninfo ?${q.slice(0, 30)}`, `/tokeninfo?${q}`, {});
    }
  });

  test('Cloud Tasks over gRPC', async () => {
    const client = new grpc.Client(ap.platform.grpcHostPort!, grpc.credentials.createInsecure());
    const call = (method: string, bytes: Buffer) =>
      new Promise<{ code: number; details: string; denial?: string; violations: number }>((resolve, reject) => {
        client.makeUnaryRequest(
          `/google.cloud.tasks.v2.CloudTasks/${method}`,
          (b: Buffer) => b,
          (b: Buffer) => b,
          bytes,
          new grpc.Metadata(),
          (err) => {
            try {
              resolve(err ? { code: err.code, details: err.details, denial: String(err.metadata?.get(DENIAL_HEADER)[0] ?? ''), violations: fieldViolations(err.metadata?.get('grpc-status-details-bin')[0]) } : { code: 0, details: '', violations: 0 });
            } catch (e) {
              reject(e as Error);
            }
          },
        );
      });
    // google.rpc.Status in the grpc-status-details-bin trailer: how many BadRequest field violations it carries.
    const rpc = (n: string) => descriptor('google-rpc.json').lookupType(n);
    const fieldViolations = (bin: unknown): number => {
      if (!Buffer.isBuffer(bin)) return 0;
      const status = rpc('google.rpc.Status').decode(bin) as unknown as { details: { type_url: string; value: Uint8Array }[] };
      const bad = status.details.find((d) => d.type_url === 'type.googleapis.com/google.rpc.BadRequest');
      return bad ? (rpc('google.rpc.BadRequest').decode(bad.value) as unknown as { fieldViolations: unknown[] }).fieldViolations.length : 0;
    };
    const encode = (type: protobuf.Type, obj: Record<string, unknown>) => Buffer.from(type.encode(type.fromObject(obj)).finish());
    const cases: { label: string; method: string; bytes: Buffer; field: string; expect: 'refused' | 'any' }[] = [];
    const trace = process.env.FUZZ_TRACE === '1';
    const future = Math.floor(ap.platform.clock() / 1000) + 86_400;
    const taskBase = { httpRequest: { url: 'https://hello-123456789012.us-central1.run.app/', httpMethod: 'POST', oidcToken: { serviceAccountEmail: SA('runner') } }, scheduleTime: { seconds: future }, dispatchDeadline: { seconds: 30 } };
    const create = tasksType('google.cloud.tasks.v2.CreateTaskRequest');
    const update = tasksType('google.cloud.tasks.v2.UpdateQueueRequest');
    const setPolicy = iamType('SetIamPolicyRequest');
    // Out-of-range and undeclared values per field (what a binary message can carry).
    const timeValues = [{ seconds: 1e15 }, { seconds: -1e15 }, { seconds: future, nanos: -1 }, { seconds: future, nanos: 1e9 }, { seconds: 253402300800 }, { seconds: -62135596801 }];
    const durationValues = [{ seconds: 1e12 }, { seconds: -5 }, { seconds: 30, nanos: -1 }, { seconds: -30, nanos: 5 }, { seconds: 30, nanos: 2e9 }, { seconds: 1 }, { seconds: 3600 }];
    for (const v of timeValues) cases.push({ label: `scheduleTime ${JSON.stringify(v)}`, method: 'CreateTask', bytes: encode(create, { parent: QUEUE, task: { ...taskBase, scheduleTime: v } }), field: 'schedule_time', expect: 'refused' });
    for (const v of durationValues) cases.push({ label: `dispatchDeadline ${JSON.stringify(v)}`, method: 'CreateTask', bytes: encode(create, { parent: QUEUE, task: { ...taskBase, dispatchDeadline: v } }), field: 'dispatch_deadline', expect: 'refused' });
    for (const m of [99, -1, 8]) cases.push({ label: `httpMethod ${m}`, method: 'CreateTask', bytes: encode(create, { parent: QUEUE, task: { ...taskBase, httpRequest: { ...taskBase.httpRequest, httpMethod: m } } }), field: 'http_method', expect: 'refused' });
    for (const v of [7, -3]) cases.push({ label: `responseView ${v}`, method: 'CreateTask', bytes: encode(create, { parent: QUEUE, task: taskBase, responseView: v }), field: 'response_view', expect: 'refused' });
    for (const [label, hr, field] of [
      ['url empty', { url: '' }, 'url'],
      ['url not http', { url: 'ftp://x/' }, 'url'],
      ['url 3 KB', { url: `https://x/${'a'.repeat(3000)}` }, 'url'],
      ['header with CRLF', { url: 'https://x/', headers: { a: 'b\r\nc' } }, 'headers'],
      ['header name with space', { url: 'https://x/', headers: { 'a b': 'c' } }, 'headers'],
      ['headers 100 KB', { url: 'https://x/', headers: { a: 'b'.repeat(100_000) } }, 'headers'],
      ['body with GET', { url: 'https://x/', httpMethod: 'GET', body: Buffer.from('x') }, 'body'],
      ['oidc without an account', { url: 'https://x/', oidcToken: { audience: 'a' } }, 'service_account_email'],
    ] as const) {
      cases.push({ label, method: 'CreateTask', bytes: encode(create, { parent: QUEUE, task: { httpRequest: hr } }), field, expect: 'refused' });
    }
    for (const [label, parent] of [['no parent', ''], ['parent of another project', 'projects/other/locations/us-central1/queues/fuzz'], ['parent garbage', 'x'.repeat(5000)]] as const) {
      cases.push({ label, method: 'CreateTask', bytes: encode(create, { parent, task: taskBase }), field: 'parent', expect: 'refused' });
    }
    const q = (queue: Record<string, unknown>, paths?: string[]) => encode(update, { queue: { name: QUEUE, ...queue }, ...(paths ? { updateMask: { paths } } : {}) });
    for (const [label, queue, field] of [
      ['maxConcurrentDispatches -5', { rateLimits: { maxConcurrentDispatches: -5 } }, 'max_concurrent_dispatches'],
      ['maxConcurrentDispatches 1e9', { rateLimits: { maxConcurrentDispatches: 1e9 } }, 'max_concurrent_dispatches'],
      ['maxDispatchesPerSecond 0', { rateLimits: { maxDispatchesPerSecond: 0 } }, 'max_dispatches_per_second'],
      ['maxDispatchesPerSecond NaN', { rateLimits: { maxDispatchesPerSecond: NaN } }, 'max_dispatches_per_second'],
      ['maxAttempts -2', { retryConfig: { maxAttempts: -2 } }, 'max_attempts'],
      ['maxDoublings -1', { retryConfig: { maxDoublings: -1 } }, 'max_doublings'],
      ['minBackoff beyond the Duration range', { retryConfig: { minBackoff: { seconds: 1e12 } } }, 'min_backoff'],
      ['maxBackoff with nanos of the other sign', { retryConfig: { maxBackoff: { seconds: 5, nanos: -1 } } }, 'max_backoff'],
      ['minBackoff above maxBackoff', { retryConfig: { minBackoff: { seconds: 100 }, maxBackoff: { seconds: 10 } } }, 'min_backoff'],
      ['samplingRatio 2', { stackdriverLoggingConfig: { samplingRatio: 2 } }, 'sampling_ratio'],
      ['state 99', { state: 99 }, 'state'],
    ] as const) {
      cases.push({ label, method: 'UpdateQueue', bytes: q(queue, label === 'state 99' ? undefined : [Object.keys(queue)[0] === 'rateLimits' ? 'rate_limits' : Object.keys(queue)[0] === 'retryConfig' ? 'retry_config' : 'stackdriver_logging_config']), field, expect: 'refused' });
    }
    for (const path of ['bogus', 'name', 'state', 'rate_limits.max_burst_size']) cases.push({ label: `updateMask ${path}`, method: 'UpdateQueue', bytes: q({}, [path]), field: 'update_mask', expect: 'refused' });
    const pol = (policy: Record<string, unknown>, updateMask?: string[]) => encode(setPolicy, { resource: QUEUE, policy, ...(updateMask ? { updateMask: { paths: updateMask } } : {}) });
    for (const [label, bytes, field] of [
      ['no policy', encode(setPolicy, { resource: QUEUE }), 'policy'],
      ['an unknown role', pol({ bindings: [{ role: 'roles/nope', members: [OWNER] }] }), 'role'],
      ['member user:a', pol({ bindings: [{ role: 'roles/cloudtasks.viewer', members: ['user:a'] }] }), 'members'],
      ['member without a type', pol({ bindings: [{ role: 'roles/cloudtasks.viewer', members: ['alice@example.com'] }] }), 'member'],
      ['an unknown service account', pol({ bindings: [{ role: 'roles/cloudtasks.viewer', members: [`serviceAccount:${SA('ghost')}`] }] }), 'members'],
      ['1,501 principals', pol({ bindings: [{ role: 'roles/cloudtasks.viewer', members: Array.from({ length: 1501 }, (_, i) => `user:u${i}@example.com`) }] }), 'bindings'],
      ['251 groups', pol({ bindings: [{ role: 'roles/cloudtasks.viewer', members: Array.from({ length: 251 }, (_, i) => `group:g${i}@example.com`) }] }), 'bindings'],
      ['version 2', pol({ version: 2, bindings: [] }, ['bindings', 'version']), 'version'],
      ['a condition', pol({ bindings: [{ role: 'roles/cloudtasks.viewer', members: [OWNER], condition: { expression: 'true' } }] }), 'condition'],
      ['audit configs', pol({ auditConfigs: [{ service: 'allServices' }] }, ['audit_configs']), 'audit_configs'],
      ['update mask bogus', pol({ bindings: [] }, ['bogus']), 'update_mask'],
      ['a stale etag', pol({ etag: Buffer.from('stale!!!'), bindings: [] }), 'etag'],
      ['resource of another queue', encode(setPolicy, { resource: `${LOC}/queues/ghost`, policy: { bindings: [] } }), 'resource'],
    ] as const) {
      cases.push({ label: `SetIamPolicy ${label}`, method: 'SetIamPolicy', bytes, field, expect: 'refused' });
    }
    for (const [label, method, bytes, field] of [
      ['GetTask responseView 9', 'GetTask', encode(tasksType('google.cloud.tasks.v2.GetTaskRequest'), { name: `${QUEUE}/tasks/x`, responseView: 9 }), 'response_view'],
      ['ListTasks pageSize -1', 'ListTasks', encode(tasksType('google.cloud.tasks.v2.ListTasksRequest'), { parent: QUEUE, pageSize: -1 }), 'page_size'],
      ['ListTasks pageToken garbage', 'ListTasks', encode(tasksType('google.cloud.tasks.v2.ListTasksRequest'), { parent: QUEUE, pageToken: '!!' }), 'page_token'],
      ['ListQueues filter garbage', 'ListQueues', encode(tasksType('google.cloud.tasks.v2.ListQueuesRequest'), { parent: LOC, filter: 'state = (' }), 'filter'],
      ['GetIamPolicy requestedPolicyVersion 2', 'GetIamPolicy', encode(iamType('GetIamPolicyRequest'), { resource: QUEUE, options: { requestedPolicyVersion: 2 } }), 'requested_policy_version'],
      ['TestIamPermissions of another service', 'TestIamPermissions', encode(iamType('TestIamPermissionsRequest'), { resource: QUEUE, permissions: ['run.routes.invoke'] }), 'run.routes.invoke'],
    ] as const) {
      cases.push({ label, method, bytes, field, expect: 'refused' });
    }
    // Bytes that are no message of the method at all.
    for (const method of ['CreateTask', 'UpdateQueue', 'SetIamPolicy', 'GetQueue', 'ListTasks', 'DeleteTask']) {
      for (const bytes of [Buffer.from([0xff, 0xff, 0xff, 0xff]), Buffer.from([0x0a, 0x7f, 0x01])]) cases.push({ label: `${method} undecodable ${bytes.toString('hex')}`, method, bytes, field: 'does not decode', expect: 'refused' });
    }
    for (const c of cases) {
      const before = await state();
      if (trace) console.log('grpc', c.method, c.label);
      const r = await call(c.method, c.bytes);
      const what = `${c.method} ${c.label} → ${r.code} ${r.details.slice(0, 200)}`;
      stats.grpc++;
      assert.ok(![grpc.status.INTERNAL, grpc.status.UNKNOWN, grpc.status.DATA_LOSS, grpc.status.UNAVAILABLE].includes(r.code), `no INTERNAL/UNKNOWN: ${what}`);
      assert.notEqual(r.code, grpc.status.OK, `refused: ${what}`);
      assert.ok(r.denial, `${DENIAL_HEADER} trailer: ${what}`);
      if (r.code === grpc.status.INVALID_ARGUMENT) {
        const named = [c.field, c.field.replace(/_([a-z])/g, (_, x: string) => x.toUpperCase())].some((f) => r.details.toLowerCase().includes(f.toLowerCase()));
        assert.ok(r.violations > 0 || named, `a BadRequest field violation or the field named: ${what}`);
      }
      assert.equal(await state(), before, `a refused call changes nothing: ${what}`);
    }
    client.close();
  });

  test('valid requests still work, with exactly the values sent', async () => {
    const body = Buffer.from('{"taskId":"test"}').toString('base64');
    const r = await ap.api(`/v2/${QUEUE}/tasks`, {
      method: 'POST',
      body: JSON.stringify({ task: { httpRequest: { url: 'https://hello-123456789012.us-central1.run.app/', httpMethod: 'put', headers: { 'X-A': 'b' }, body }, dispatchDeadline: '15.5s' }, responseView: 'FULL' }),
    });
    const text = await r.text();
    assert.equal(r.status, 200, text);
    const task = JSON.parse(text) as { httpRequest: { httpMethod: string; headers: Record<string, string>; body: string }; dispatchDeadline: string };
    // Enum names are read regardless of case, as Google's transcoder reads them.
    assert.equal(task.httpRequest.httpMethod, 'PUT');
    assert.deepEqual(task.httpRequest.headers, { 'X-A': 'b' });
    assert.equal(task.httpRequest.body, body);
    assert.equal(task.dispatchDeadline, '15.500s');

    const u = await ap.api(`/v2/${QUEUE}?updateMask=retryConfig.maxAttempts,rateLimits.maxConcurrentDispatches`, {
      method: 'PATCH',
      body: JSON.stringify({ retryConfig: { maxAttempts: '7' }, rateLimits: { maxConcurrentDispatches: 12 } }),
    });
    assert.equal(u.status, 200, await u.text());
    const q = await ap.platform.store.tasks.getQueue('fuzz');
    assert.equal(q!.maxAttempts, 7);
    assert.equal(q!.maxConcurrentDispatches, 12);

    const p = await ap.api(`/v2/${QUEUE}:setIamPolicy`, { method: 'POST', body: JSON.stringify({ policy: { bindings: [{ role: 'roles/cloudtasks.enqueuer', members: [`serviceAccount:${SA('runner')}`] }] } }) });
    assert.equal(p.status, 200, await p.text());
    assert.deepEqual(ap.platform.iam.getPolicy('queues/fuzz').bindings, [{ role: 'roles/cloudtasks.enqueuer', members: [`serviceAccount:${SA('runner')}`] }]);

    // The volume issue 13 asks for: at least 150 malformed REST requests and 50 gRPC messages.
    console.log(`input fuzz: ${stats.rest} malformed REST requests, ${stats.grpc} gRPC messages, ${stats.refused} refusals checked`);
    assert.ok(stats.rest >= 150, `REST requests: ${stats.rest}`);
    assert.ok(stats.grpc >= 50, `gRPC messages: ${stats.grpc}`);
  });
});

// The Cloud Run Admin API surfaces gcloud and client libraries call, driven with fetch as a client would:
// Knative v1 services and revisions (namespaced, region from the Host), v1 IAM by GET and POST, v2
// UpdateService with an update mask and its operation, Resource Manager projects.get. Every change is
// checked where it takes effect: the admission decision of the front door.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { SA, SERVICE_URL, startGcloudProject, type GcloudProject } from './support/gcloud-fixture.js';

// Google JSON as read back: shapes checked field by field below.
type Obj = Record<string, any>;

describe('Cloud Run Admin API v1 (Knative) and v2 updates', () => {
  let project: GcloudProject;
  let api: string;
  const json = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    fetch(api + path, { method, headers: { 'content-type': 'application/json', ...headers }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const knative = '/apis/serving.knative.dev/v1/namespaces/demo-project/services';
  /** GET with a Host of our choosing (fetch may not set Host): status, refusal code, body. */
  const getAs = (path: string, host: string) =>
    new Promise<{ status: number; denial: string | undefined; body: Obj }>((resolve, reject) => {
      const u = new URL(api);
      const req = request({ host: u.hostname, port: u.port, path, headers: { host } }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, denial: res.headers['x-authplane-denial'] as string | undefined, body: JSON.parse(text) as Obj }));
      });
      req.on('error', reject);
      req.end();
    });
  const getService = async () => (await (await json('GET', `${knative}/update`)).json()) as Obj;
  const token = async (account: string) => project.ap.platform.identity.mintIdToken((await project.ap.platform.identity.findServiceAccount(SA(account)))!, { audience: SERVICE_URL, includeEmail: true });

  before(async () => {
    project = await startGcloudProject();
    api = project.ap.apiUrl;
  });
  after(async () => project?.stop());

  it('GET a Knative service: done (observedGeneration == generation, Ready True), its URLs, settings and location', async () => {
    const s = await getService();
    assert.equal(s.kind, 'Service');
    assert.equal(s.metadata.namespace, '123456789012');
    assert.equal(s.metadata.generation, 1);
    assert.equal(s.status.observedGeneration, 1);
    assert.deepEqual(s.status.conditions.map((c: Obj) => [c.type, c.status]), [['Ready', 'True'], ['ConfigurationsReady', 'True'], ['RoutesReady', 'True']]);
    assert.equal(s.status.url, project.ap.platform.directory.get('update')!.urls.hashed);
    assert.deepEqual(JSON.parse(s.metadata.annotations['run.googleapis.com/urls']), [SERVICE_URL, s.status.url]);
    assert.equal(s.metadata.labels['cloud.googleapis.com/location'], 'us-central1');
    assert.equal(s.metadata.annotations['run.googleapis.com/ingress'], 'all');
    assert.match(s.spec.template.spec.containers[0].image, /@sha256:[0-9a-f]{64}$/, 'a pinned image: gcloud then needs no revision lookup');
    // The namespace may be the project number; the revision gcloud would read is there.
    const byNumber = await json('GET', `/apis/serving.knative.dev/v1/namespaces/123456789012/revisions/${s.status.latestReadyRevisionName}`);
    assert.equal(byNumber.status, 200);
    assert.equal(((await byNumber.json()) as Obj).status.imageDigest, s.spec.template.spec.containers[0].image);
  });

  it('the region comes from the Host gcloud derives (REGION-host): another region has no such service', async () => {
    const host = new URL(api).host;
    const other = await getAs(`${knative}/update`, `us-east1-${host}`);
    assert.deepEqual([other.status, other.denial], [404, 'RESOURCE_NOT_FOUND']);
    assert.deepEqual((await getAs(knative, `us-east1-${host}`)).body.items, []);
    assert.deepEqual((await getAs(knative, `us-central1-${host}`)).body.items.map((i: Obj) => i.metadata.name), ['update']);
    assert.equal((await getAs(`${knative}/update`, `us-central1-${host}`)).status, 200);
    const elsewhere = await json('GET', '/apis/serving.knative.dev/v1/namespaces/other-project/services');
    assert.equal(elsewhere.status, 403);
    assert.equal(elsewhere.headers.get('x-authplane-denial'), 'PROJECT_NOT_EMULATED');
  });

  it('replaceService (PUT) with ingress internal: generation 2, done at once, and the front door blocks outside traffic', async () => {
    const s = await getService();
    s.metadata.annotations['run.googleapis.com/ingress'] = 'internal';
    s.metadata.annotations['run.googleapis.com/client-name'] = 'gcloud';
    const res = await json('PUT', `${knative}/update`, s);
    assert.equal(res.status, 200);
    const updated = (await res.json()) as Obj;
    assert.equal(updated.metadata.generation, 2);
    assert.equal(updated.status.observedGeneration, 2);
    assert.equal(updated.metadata.annotations['run.googleapis.com/ingress'], 'internal');
    assert.deepEqual(await project.call(await token('tasks-invoker')), { status: 404, denial: 'INGRESS_BLOCKED' });

    // The same body again, read at generation 1: a concurrent change.
    const stale = await json('PUT', `${knative}/update`, s);
    assert.equal(stale.status, 409);
    assert.equal(stale.headers.get('x-authplane-denial'), 'CONCURRENT_CHANGE');
    assert.match(((await stale.json()) as Obj).error.message, /the object has been modified/);

    // Absent annotations are the defaults: a replace without the ingress annotation opens it again.
    const back = await getService();
    delete back.metadata.annotations['run.googleapis.com/ingress'];
    assert.equal((await json('PUT', `${knative}/update`, back)).status, 200);
    assert.deepEqual(await project.call(await token('tasks-invoker')), { status: 200, denial: null });
  });

  it('replaceService refuses what it cannot change or read, naming the field', async () => {
    const bad = async (edit: (s: Obj) => void, status: number, code: string, field: RegExp) => {
      const s = await getService();
      edit(s);
      const res = await json('PUT', `${knative}/update`, s);
      assert.equal(res.status, status);
      assert.equal(res.headers.get('x-authplane-denial'), code);
      assert.match(((await res.json()) as Obj).error.message, field);
    };
    await bad((s) => (s.metadata.annotations['run.googleapis.com/ingress'] = 'everyone'), 400, 'INVALID_ARGUMENT', /run\.googleapis\.com\/ingress must be one of all, internal, internal-and-cloud-load-balancing/);
    await bad((s) => (s.metadata.annotations['run.googleapis.com/custom-audiences'] = 'https://x'), 400, 'INVALID_ARGUMENT', /JSON list of strings/);
    await bad((s) => (s.metadata.annotations['run.googleapis.com/invoker-iam-disabled'] = 'maybe'), 400, 'INVALID_ARGUMENT', /"true" or "false"/);
    await bad((s) => (s.metadata.annotations['run.googleapis.com/description'] = 'hi'), 400, 'FAILED_PRECONDITION', /metadata\.annotations\[run\.googleapis\.com\/description\]/);
    await bad((s) => (s.spec.template.spec.containers[0].image = 'gcr.io/x/y'), 400, 'FAILED_PRECONDITION', /spec\.template\.spec/);
    await bad((s) => (s.metadata.name = 'other'), 400, 'INVALID_ARGUMENT', /does not match the service in the URL/);
  });

  it('v1 IAM on the global host: getIamPolicy by GET (requestedPolicyVersion=3) and POST, setIamPolicy without an update mask', async () => {
    const base = '/v1/projects/demo-project/locations/us-central1/services/update';
    const viaGet = (await (await json('GET', `${base}:getIamPolicy?alt=json&options.requestedPolicyVersion=3`)).json()) as Obj;
    const viaPost = (await (await json('POST', `${base}:getIamPolicy`, {})).json()) as Obj;
    assert.deepEqual(viaGet, viaPost);
    const set = await json('POST', `${base}:setIamPolicy?alt=json`, { policy: { bindings: [...viaGet.bindings, { role: 'roles/run.invoker', members: [`serviceAccount:${SA('binder')}`] }], etag: viaGet.etag, version: 3 } });
    assert.equal(set.status, 200);
    assert.deepEqual(await project.call(await token('binder')), { status: 200, denial: null });
  });

  it('v2 UpdateService with updateMask=invokerIamDisabled: a done operation, and no token is needed at once', async () => {
    const path = '/v2/projects/demo-project/locations/us-central1/services/update';
    const before = (await (await json('GET', path)).json()) as Obj;
    const res = await json('PATCH', `${path}?updateMask=invokerIamDisabled`, { invokerIamDisabled: true, ingress: 'INGRESS_TRAFFIC_INTERNAL_ONLY' });
    assert.equal(res.status, 200);
    const op = (await res.json()) as Obj;
    assert.equal(op.done, true);
    assert.equal(op.response['@type'], 'type.googleapis.com/google.cloud.run.v2.Service');
    assert.equal(op.response.invokerIamDisabled, true);
    assert.equal(op.response.ingress, 'INGRESS_TRAFFIC_ALL', 'ingress was not in the mask');
    assert.equal(Number(op.response.generation), Number(before.generation) + 1);
    assert.deepEqual(await project.call(''), { status: 200, denial: null });
    const again = (await (await json('GET', `/v2/${op.name}`)).json()) as Obj;
    assert.equal(again.done, true);

    const restore = await json('PATCH', `${path}?updateMask=invoker_iam_disabled`, { invokerIamDisabled: false });
    assert.equal(restore.status, 200);
    assert.deepEqual(await project.call(''), { status: 403, denial: 'TOKEN_MISSING' });
  });

  it('v2 UpdateService refuses unknown fields (read through the Service descriptor), unchangeable masks and a stale etag', async () => {
    const path = '/v2/projects/demo-project/locations/us-central1/services/update';
    const unknown = await json('PATCH', `${path}?updateMask=ingress`, { ingres: 'INGRESS_TRAFFIC_ALL' });
    assert.equal(unknown.status, 400);
    assert.match(((await unknown.json()) as Obj).error.message, /Unknown name "ingres"/);
    const template = await json('PATCH', `${path}?updateMask=template`, { template: { timeout: '10s' } });
    assert.equal(template.status, 400);
    assert.equal(template.headers.get('x-authplane-denial'), 'FAILED_PRECONDITION');
    const stale = await json('PATCH', `${path}?updateMask=ingress`, { ingress: 'INGRESS_TRAFFIC_ALL', etag: '"stale"' });
    assert.equal(stale.status, 409);
    assert.equal(stale.headers.get('x-authplane-denial'), 'CONCURRENT_CHANGE');
    // Without a mask, what was read and sent back unchanged is no change; the settable fields apply.
    const read = (await (await json('GET', path)).json()) as Obj;
    const whole = await json('PATCH', path, { ...read, customAudiences: ['https://aud.example'] });
    assert.equal(whole.status, 200);
    assert.deepEqual(((await whole.json()) as Obj).response.customAudiences, ['https://aud.example']);
  });

  it('Resource Manager projects.get, v1 and v3; another project is 403', async () => {
    const v1 = (await (await json('GET', '/v1/projects/demo-project?alt=json')).json()) as Obj;
    assert.deepEqual([v1.projectId, v1.projectNumber, v1.lifecycleState], ['demo-project', '123456789012', 'ACTIVE']);
    const v3 = (await (await json('GET', '/v3/projects/123456789012')).json()) as Obj;
    assert.deepEqual([v3.name, v3.projectId, v3.state], ['projects/123456789012', 'demo-project', 'ACTIVE']);
    const other = await json('GET', '/v1/projects/nope');
    assert.equal(other.status, 403);
    assert.equal(other.headers.get('x-authplane-denial'), 'PROJECT_NOT_EMULATED');
  });
});

// Request fields validated as Google validates them, case by case, through the clients people use:
// IAM Credentials (issue 12, case 2: a service URL passed as an OAuth scope), the OAuth token endpoint through
// google-auth-library's JWT client, setIamPolicy's update mask and limits, and Cloud Tasks' gRPC refusals
// carrying their field violations to @google-cloud/tasks.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CloudTasksClient } from '@google-cloud/tasks';
import { grpc } from 'google-gax';
import { createPrivateKey } from 'node:crypto';
import { OAuth2Client } from 'google-auth-library';
import { startTestAuthplane, type TestAuthplane } from './support/authplane.js';
import { requestLogFor } from '../src/observe/request-log.js';
import { signJwt } from '../src/lib/jwt.js';

const PROJECT = 'demo-project';
const SA = (n: string) => `${n}@${PROJECT}.iam.gserviceaccount.com`;
const OWNER = 'user:developer@example.com';
const QUEUE = `projects/${PROJECT}/locations/us-central1/queues/q`;
const SERVICE_URL = 'https://svc-123456789012.us-central1.run.app';

describe('request fields validated as Google does', () => {
  let ap: TestAuthplane;
  let tasks: CloudTasksClient;

  before(async () => {
    ap = await startTestAuthplane({
      serviceAccounts: [{ name: 'ci-deployer' }, { name: 'hop-account' }],
      iam: { bindings: [{ resource: 'serviceAccounts/ci-deployer', role: 'roles/iam.serviceAccountTokenCreator', members: [OWNER] }] },
      queues: [{ name: 'q' }],
    });
    // A fixed access token, so the client does not look for credentials (a metadata server) on its own.
    const auth = new OAuth2Client();
    auth.setCredentials({ access_token: (await ap.platform.identity.mintAccessToken(OWNER)).token, expiry_date: Date.now() + 3_600_000 });
    tasks = new CloudTasksClient({ servicePath: '127.0.0.1', port: Number(ap.platform.grpcHostPort!.split(':').pop()), sslCreds: grpc.credentials.createInsecure(), authClient: auth as never });
  });
  after(async () => {
    await tasks?.close();
    await ap?.stop();
  });

  const post = async (path: string, body: unknown) => {
    const r = await ap.api(path, { method: 'POST', body: JSON.stringify(body) });
    const text = await r.text();
    const id = r.headers.get('x-authplane-request-id');
    return { status: r.status, code: r.headers.get('x-authplane-denial'), json: JSON.parse(text) as Record<string, any>, entry: id ? requestLogFor(ap.platform).get(id) : undefined };
  };
  const account = `/v1/projects/-/serviceAccounts/${SA('ci-deployer')}`;

  it('a service URL passed as a scope to generateAccessToken: 400 "Request contains an invalid argument.", SCOPE_INVALID, remedy: an ID token', async () => {
    const r = await post(`${account}:generateAccessToken`, { scope: [SERVICE_URL] });
    assert.equal(r.status, 400);
    assert.equal(r.code, 'SCOPE_INVALID');
    assert.deepEqual(r.json.error.message, 'Request contains an invalid argument.');
    assert.equal(r.json.error.status, 'INVALID_ARGUMENT');
    assert.deepEqual(r.json.error.details[0].fieldViolations, [{ field: 'scope[0]', description: 'Request contains an invalid argument.' }]);
    assert.match(r.entry!.explanation!, new RegExp(`${SERVICE_URL} is not an OAuth scope`));
    assert.match(r.entry!.remedy!, new RegExp(`generateIdToken with audience ${SERVICE_URL}`));
    // The scopes Google's clients ask for still work.
    for (const scope of [['https://www.googleapis.com/auth/cloud-platform'], ['openid', 'email', 'https://www.googleapis.com/auth/userinfo.email']]) {
      assert.equal((await post(`${account}:generateAccessToken`, { scope })).status, 200, scope.join(' '));
    }
  });

  it('generateAccessToken: lifetime 1 s to 1 h, a scope required, delegates as projects/-/serviceAccounts/EMAIL, null delegates = none', async () => {
    const scope = ['https://www.googleapis.com/auth/cloud-platform'];
    for (const [lifetime, status] of [['3600s', 200], ['1s', 200], ['3601s', 400], ['0s', 400], ['-5s', 400], ['1h', 400]] as const) {
      const r = await post(`${account}:generateAccessToken`, { scope, lifetime });
      assert.equal(r.status, status, `lifetime ${lifetime}: ${JSON.stringify(r.json)}`);
      if (status === 400) assert.match(JSON.stringify(r.json.error.details), /"field":"lifetime"/);
    }
    assert.equal((await post(`${account}:generateAccessToken`, {})).json.error.details[0].fieldViolations[0].field, 'scope');
    // "The - wildcard character is required; replacing it with a project ID is invalid" (generateAccessToken's
    // reference). A bare email is what gcloud sends for a chain, and is read as the account.
    const delegate = await post(`${account}:generateAccessToken`, { scope, delegates: [`projects/${PROJECT}/serviceAccounts/${SA('hop-account')}`] });
    assert.equal(delegate.status, 400);
    assert.equal(delegate.json.error.details[0].fieldViolations[0].field, 'delegates[0]');
    assert.equal((await post(`${account}:generateAccessToken`, { scope, delegates: null, lifetime: '3600s' })).status, 200);
  });

  it('generateIdToken: an audience required, includeEmail a boolean, unknown fields refused; useEmailAzp read as Google reads it', async () => {
    assert.equal((await post(`${account}:generateIdToken`, { includeEmail: true })).json.error.details[0].fieldViolations[0].field, 'audience');
    const yes = await post(`${account}:generateIdToken`, { audience: SERVICE_URL, includeEmail: 'yes' });
    assert.equal(yes.json.error.message, `Invalid value at 'include_email' (TYPE_BOOL), "yes"`);
    const unknown = await post(`${account}:generateIdToken`, { audience: SERVICE_URL, audiences: [SERVICE_URL] });
    assert.equal(unknown.json.error.message, 'Invalid JSON payload received. Unknown name "audiences": Cannot find field.');
    const azp = await post(`${account}:generateIdToken`, { audience: SERVICE_URL, includeEmail: true, useEmailAzp: true });
    assert.equal(azp.status, 200);
    const claims = JSON.parse(Buffer.from(String(azp.json.token).split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    assert.equal(claims.azp, SA('ci-deployer'));
    assert.equal((await post(`${account}:generateIdToken`, { audience: SERVICE_URL, useEmailAzp: 'yes' })).json.error.message, `Invalid value at 'use_email_azp' (TYPE_BOOL), "yes"`);
  });

  it('the OAuth token endpoint, as key-file clients call it: a service URL as a scope is invalid_scope', async () => {
    const res = await post(`/v1/projects/-/serviceAccounts/${SA('ci-deployer')}/keys`, {});
    const key = JSON.parse(Buffer.from(String(res.json.privateKeyData), 'base64').toString()) as { client_email: string; private_key: string; private_key_id: string; token_uri: string };
    // The JWT-bearer grant as google-auth (Python, Node's gtoken) and Go's oauth2/jwt send it (RFC 7523).
    const grant = (scope: string) => {
      const now = Math.floor(ap.platform.clock() / 1000);
      const assertion = signJwt({ alg: 'RS256', typ: 'JWT', kid: key.private_key_id }, { iss: key.client_email, scope, aud: key.token_uri, iat: now, exp: now + 3600 }, createPrivateKey(key.private_key));
      return fetch(key.token_uri, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }).toString() });
    };
    const bad = await grant(SERVICE_URL);
    assert.equal(bad.status, 400);
    assert.equal(bad.headers.get('x-authplane-denial'), 'SCOPE_INVALID');
    assert.deepEqual(await bad.json(), { error: 'invalid_scope', error_description: 'Invalid OAuth scope or ID token audience provided.' });
    const good = await grant('https://www.googleapis.com/auth/cloud-platform');
    assert.equal(good.status, 200);
    assert.match(((await good.json()) as { access_token: string }).access_token, /^ya29\./);
  });

  it('setIamPolicy honours its update mask: etag alone keeps the bindings; bindings replaces them', async () => {
    const path = `/v2/${QUEUE}:setIamPolicy`;
    const viewer = { role: 'roles/cloudtasks.viewer', members: ['user:a@example.com'] };
    const set = await post(path, { policy: { bindings: [viewer] } });
    assert.equal(set.status, 200);
    const etagOnly = await post(path, { policy: { bindings: [], etag: set.json.etag }, updateMask: 'etag' });
    assert.equal(etagOnly.status, 200);
    assert.deepEqual(ap.platform.iam.getPolicy('queues/q').bindings, [viewer]);
    const bindings = await post(path, { policy: { bindings: [{ role: 'roles/cloudtasks.enqueuer', members: ['user:b@example.com'] }] }, updateMask: 'bindings' });
    assert.equal(bindings.status, 200);
    assert.deepEqual(ap.platform.iam.getPolicy('queues/q').bindings, [{ role: 'roles/cloudtasks.enqueuer', members: ['user:b@example.com'] }]);
    const bad = await post(path, { policy: { bindings: [] }, updateMask: 'bindings,owner' });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error.details[0].fieldViolations[0].field, 'update_mask');
  });

  it('setIamPolicy enforces Google\'s limits: 1,500 principals (250 groups), and principals in Google\'s forms', async () => {
    const path = `/v1/projects/-/serviceAccounts/${SA('hop-account')}:setIamPolicy`;
    const users = (n: number) => Array.from({ length: n }, (_, i) => `user:u${i}@example.com`);
    const groups = (n: number) => Array.from({ length: n }, (_, i) => `group:g${i}@example.com`);
    // Each occurrence counts: 750 principals in two bindings are 1,500.
    assert.equal((await post(path, { policy: { bindings: [{ role: 'roles/iam.serviceAccountUser', members: users(750) }, { role: 'roles/iam.serviceAccountTokenCreator', members: users(750) }] } })).status, 200);
    const over = await post(path, { policy: { bindings: [{ role: 'roles/iam.serviceAccountUser', members: users(751) }, { role: 'roles/iam.serviceAccountTokenCreator', members: users(750) }] } });
    assert.equal(over.status, 400);
    assert.equal(over.json.error.message, 'The number of members in the policy (1,501) is larger than the maximum allowed size 1,500.');
    assert.equal((await post(path, { policy: { bindings: [{ role: 'roles/iam.serviceAccountUser', members: groups(250) }] } })).status, 200);
    assert.equal((await post(path, { policy: { bindings: [{ role: 'roles/iam.serviceAccountUser', members: groups(251) }] } })).status, 400);

    const form = await post(path, { policy: { bindings: [{ role: 'roles/iam.serviceAccountUser', members: ['alice@example.com'] }] } });
    // Recorded from Google: the message and its field violation differ.
    assert.equal(form.json.error.message, 'Policy members must be of the form "<type>:<value>".');
    assert.deepEqual(form.json.error.details[0].fieldViolations, [{ field: 'policy.bindings.member', description: "Policy members must be prefixed of the form '<type>:<value>', where <type> is 'domain', 'group', 'serviceAccount', or 'user'." }]);
    const typed = await post(path, { policy: { bindings: [{ role: 'roles/iam.serviceAccountUser', members: [`user:${SA('ci-deployer')}`] }] } });
    assert.equal(typed.json.error.message, `Account ${SA('ci-deployer')} is of type "serviceAccount". Please set the type prefix to be "serviceAccount:".`);
    for (const member of ['user:a', 'group:x', 'domain:nodot', 'serviceAccount:ghost@demo-project.iam.gserviceaccount.com']) {
      const r = await post(path, { policy: { bindings: [{ role: 'roles/iam.serviceAccountUser', members: [member] }] } });
      assert.equal(r.status, 400, member);
      assert.equal(r.json.error.details[0].fieldViolations[0].field, 'policy.bindings[0].members[0]', member);
    }
    for (const member of ['allUsers', 'allAuthenticatedUsers', 'domain:example.com', 'principalSet://iam.googleapis.com/locations/global/workforcePools/p/group/g']) {
      assert.equal((await post(path, { policy: { bindings: [{ role: 'roles/iam.serviceAccountUser', members: [member] }] } })).status, 200, member);
    }
  });

  it('@google-cloud/tasks over gRPC receives the field violations of a refusal (grpc-status-details-bin)', async () => {
    await assert.rejects(
      tasks.createTask({ parent: QUEUE, task: { httpRequest: { url: 'https://x/' }, scheduleTime: { seconds: 1e15 } } }),
      (e: { code: number; details: string; statusDetails?: { fieldViolations?: { field: string; description: string }[] }[] }) => {
        assert.equal(e.code, 3);
        assert.equal(e.details, `Invalid value at 'task.schedule_time' (type.googleapis.com/google.protobuf.Timestamp), Field 'scheduleTime', Timestamp value exceeds limits`);
        const violations = (e.statusDetails ?? []).flatMap((d) => d.fieldViolations ?? []);
        assert.deepEqual(violations.map((v) => v.field), ['task.schedule_time']);
        return true;
      },
    );
    const before = ap.platform.iam.getPolicy('queues/q');
    await assert.rejects(tasks.setIamPolicy({ resource: QUEUE, policy: { bindings: [{ role: 'roles/cloudtasks.viewer', members: ['user:a'] }] } }), (e: { code: number; details: string }) => e.code === 3 && e.details === 'User a does not exist.');
    assert.deepEqual(ap.platform.iam.getPolicy('queues/q'), before);
  });
});

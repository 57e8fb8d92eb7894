// Failures people reported from the field, each reproduced end to end with Google's status and words, the
// code, and the hint or remedy that points at the real fix (not the one-input fix: the whole kind).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { decodeJwt, signJwt } from '../src/lib/jwt.js';
import { requestLogFor, type RequestLogEntry } from '../src/observe/request-log.js';
import { startTestAuthplane, type TestAuthplane } from './support/authplane.js';
import { startBackend, type Backend } from './support/backend.js';

const PROJECT = 'demo-project';
const NUMBER = '123456789012';
const sa = (name: string) => `${name}@${PROJECT}.iam.gserviceaccount.com`;
const FUNCTIONS_HOST = `https://us-central1-${PROJECT}.cloudfunctions.net`;
const CLIENT_ID = `${NUMBER}-portal.apps.googleusercontent.com`;
const IAP_AGENT = `service-${NUMBER}@gcp-sa-iap.iam.gserviceaccount.com`;

describe('field reports, reproduced', () => {
  let ap: TestAuthplane;
  let backend: Backend;

  before(async () => {
    backend = await startBackend();
    ap = await startTestAuthplane({
      defaultPrincipal: 'user:developer@example.com',
      iam: {
        bindings: [
          { resource: `projects/${PROJECT}`, role: 'roles/iam.serviceAccountTokenCreator', members: ['user:developer@example.com'] },
          ...['report', 'shop', 'private-app'].map((s) => ({ resource: `services/${s}`, role: 'roles/run.invoker', members: [`serviceAccount:${sa('invoker')}`] })),
          { resource: 'services/portal', role: 'roles/run.invoker', members: [`serviceAccount:${IAP_AGENT}`] },
          { resource: 'iap/portal', role: 'roles/iap.httpsResourceAccessor', members: [`serviceAccount:${sa('vm-runner')}`, `serviceAccount:${sa('invoker')}`] },
        ],
      },
      serviceAccounts: [{ name: 'invoker' }, { name: 'vm-runner' }],
      services: [
        { name: 'report', upstream: backend.url, functionName: 'report' },
        { name: 'shop', upstream: backend.url, domains: ['shop.example.com'] },
        { name: 'private-app', upstream: backend.url },
        { name: 'portal', upstream: backend.url, iap: { enabled: true, oauthClientId: CLIENT_ID } },
      ],
      queues: [{ name: 'work' }],
      workloads: [
        { name: 'on-run', serviceAccount: 'vm-runner', environment: 'cloud-run' },
        { name: 'on-gce', serviceAccount: 'vm-runner', environment: 'compute-engine' },
        { name: 'on-gke', serviceAccount: 'vm-runner', environment: 'gke' },
      ],
    });
  });

  after(async () => {
    await ap?.stop();
    await backend?.close();
  });

  const mint = async (account: string, audience: string) => {
    const r = await ap.api(`/v1/projects/-/serviceAccounts/${sa(account)}:generateIdToken`, { method: 'POST', body: JSON.stringify({ audience, includeEmail: true }) });
    assert.equal(r.status, 200);
    return ((await r.json()) as { token: string }).token;
  };
  const call = async (service: string, token: string, path = '/', header = 'authorization') => {
    const door = ap.platform.directory.get(service)!.urls.local!;
    const r = await fetch(door + path, { headers: { [header]: `Bearer ${token}` } });
    const id = r.headers.get('x-authplane-request-id');
    return { status: r.status, code: r.headers.get('x-authplane-denial'), body: await r.text(), entry: id ? requestLogFor(ap.platform).get(id) : undefined };
  };
  const identity = async (workload: string, query: string) => {
    const r = await fetch(`http://${ap.metadataHost(workload)}/computeMetadata/v1/instance/service-accounts/default/identity?${query}`, { headers: { 'Metadata-Flavor': 'Google' } });
    return { status: r.status, code: r.headers.get('x-authplane-denial'), text: await r.text() };
  };

  it('a functions URL\'s audience without the function\'s path: 401, the hint names the missing path and the whole URL', async () => {
    const r = await call('report', await mint('invoker', FUNCTIONS_HOST), '/report');
    assert.equal(r.status, 401);
    assert.equal(r.code, 'AUDIENCE_MISMATCH');
    const entry = r.entry as RequestLogEntry;
    assert.equal(entry.evidence?.['hint'], 'path-missing');
    assert.equal(entry.evidence?.['expectedAudience'], `${FUNCTIONS_HOST}/report`);
    assert.match(entry.remedy!, new RegExp(`whole URL ${FUNCTIONS_HOST.replace(/\./g, '\\.')}/report`));
    assert.doesNotMatch(entry.remedy!, /run\.app/);
  });

  it('a third-party token at a private service: 401 ISSUER_UNTRUSTED, and the remedy names every way out', async () => {
    const firebase = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const t = Math.floor(Date.now() / 1000);
    const appToken = signJwt({ alg: 'RS256', kid: 'firebase1', typ: 'JWT' }, { iss: `https://securetoken.google.com/${PROJECT}`, aud: PROJECT, sub: 'user-1', iat: t, exp: t + 3600 }, createPrivateKey(firebase.privateKey.export({ type: 'pkcs8', format: 'pem' })));
    const r = await call('private-app', appToken);
    assert.equal(r.status, 401);
    assert.equal(r.code, 'ISSUER_UNTRUSTED');
    const remedy = r.entry!.remedy!;
    assert.match(remedy, /--no-invoker-iam-check/);
    assert.match(remedy, /allUsers/);
    assert.match(remedy, /X-Serverless-Authorization/);
    // The second way out works as described: a Google ID token in X-Serverless-Authorization, the app token beside it.
    const door = ap.platform.directory.get('private-app')!.urls.local!;
    const both = await fetch(door, { headers: { 'x-serverless-authorization': `Bearer ${await mint('invoker', `https://private-app-${NUMBER}.us-central1.run.app`)}`, authorization: `Bearer ${appToken}` } });
    assert.equal(both.status, 200);
  });

  it('an ID token without email at IAP: Google\'s exact words', async () => {
    const r = await ap.api(`/v1/projects/-/serviceAccounts/${sa('invoker')}:generateIdToken`, { method: 'POST', body: JSON.stringify({ audience: CLIENT_ID, includeEmail: false }) });
    const res = await call('portal', ((await r.json()) as { token: string }).token);
    assert.equal(res.status, 401);
    assert.equal(res.body, "Invalid IAP credentials: JWT 'email' claim isn't a string");
    assert.equal(res.code, 'EMAIL_CLAIM_MISSING');
  });

  it('the metadata server honours format and licenses as each environment does', async () => {
    const claims = async (workload: string, query: string) => decodeJwt((await identity(workload, query)).text)!.claims;
    const aud = 'audience=https%3A%2F%2Fexample.com';
    // Cloud Run: email always.
    assert.equal((await claims('on-run', aud)).email, sa('vm-runner'));
    assert.equal((await claims('on-run', `${aud}&format=full`)).google, undefined);
    // Compute Engine: standard (the default) has no email; full adds it and the VM's claims; licenses adds license ids.
    assert.equal((await claims('on-gce', aud)).email, undefined);
    assert.equal((await claims('on-gce', `${aud}&format=standard`)).email, undefined);
    const full = await claims('on-gce', `${aud}&format=full`);
    assert.equal(full.email, sa('vm-runner'));
    const vm = (full.google as { compute_engine: Record<string, unknown> }).compute_engine;
    assert.equal(vm.project_id, PROJECT);
    assert.equal(vm.project_number, Number(NUMBER));
    assert.equal(vm.license_id, undefined);
    assert.deepEqual(((await claims('on-gce', `${aud}&format=full&licenses=TRUE`)).google as { compute_engine: { license_id: unknown } }).compute_engine.license_id, []);
    // GKE: full adds the email, never VM claims.
    assert.equal((await claims('on-gke', aud)).email, undefined);
    const gke = await claims('on-gke', `${aud}&format=full`);
    assert.equal(gke.email, sa('vm-runner'));
    assert.equal(gke.google, undefined);
    // A format Google does not know is refused, naming the parameter.
    const bad = await identity('on-gce', `${aud}&format=FULL`);
    assert.equal(bad.status, 400);
    assert.equal(bad.code, 'INVALID_ARGUMENT');
  });

  it('code on Compute Engine calling IAP: the default token has no email → the email error, fixed by format=full', async () => {
    const standard = (await identity('on-gce', `audience=${encodeURIComponent(CLIENT_ID)}`)).text;
    const refused = await call('portal', standard);
    assert.equal(refused.status, 401);
    assert.equal(refused.code, 'EMAIL_CLAIM_MISSING');
    assert.match(refused.entry!.remedy!, /Compute Engine or GKE, the metadata server's identity endpoint with format=full/);
    const full = (await identity('on-gce', `audience=${encodeURIComponent(CLIENT_ID)}&format=full`)).text;
    assert.equal((await call('portal', full)).status, 200);
  });

  it('a custom domain reaches its service; as an audience it needs to be a custom audience, and the hint says so', async () => {
    const domainToken = await mint('invoker', 'https://shop.example.com');
    const r = await call('shop', domainToken);
    assert.equal(r.status, 401);
    assert.equal(r.code, 'AUDIENCE_MISMATCH');
    assert.equal(r.entry!.evidence?.['hint'], 'custom-domain');
    assert.match(r.entry!.remedy!, /--add-custom-audiences=https:\/\/shop\.example\.com/);
    // The domain routes to the service: the directory resolves it to the shop's front door.
    assert.equal(ap.platform.directory.resolve('https://shop.example.com/cart')?.service.config.name, 'shop');
    // With the run.app audience the call through the custom domain's host passes.
    const door = ap.platform.directory.get('shop')!.urls.local!;
    const ok = await fetch(`${door}/cart`, { headers: { host: 'shop.example.com', authorization: `Bearer ${await mint('invoker', `https://shop-${NUMBER}.us-central1.run.app`)}` } });
    assert.equal(ok.status, 200);
  });

  it('a refusal for a missing binding names the gcloud command that grants it', async () => {
    const res = await call('private-app', await mint('vm-runner', `https://private-app-${NUMBER}.us-central1.run.app`));
    assert.equal(res.status, 403);
    assert.equal(res.code, 'PERMISSION_DENIED');
    assert.ok(
      res.entry!.remedy!.includes(`gcloud run services add-iam-policy-binding private-app --region=us-central1 --member=serviceAccount:${sa('vm-runner')} --role=roles/run.invoker`),
      res.entry!.remedy,
    );
  });

  it('APIs enforce OAuth scopes as Google does: 403 ACCESS_TOKEN_SCOPE_INSUFFICIENT without an accepted one', async () => {
    const tokenWith = async (scope: string[]) => {
      const r = await ap.api(`/v1/projects/-/serviceAccounts/${sa('invoker')}:generateAccessToken`, { method: 'POST', body: JSON.stringify({ scope }) });
      assert.equal(r.status, 200);
      return ((await r.json()) as { accessToken: string }).accessToken;
    };
    await ap.platform.iam.addBinding(`projects/${PROJECT}`, 'roles/viewer', `serviceAccount:${sa('invoker')}`);
    const queues = `/v2/projects/${PROJECT}/locations/us-central1/queues`;
    const narrow = await tokenWith(['https://www.googleapis.com/auth/userinfo.email']);
    const refused = await ap.api(queues, { headers: { authorization: `Bearer ${narrow}` } });
    assert.equal(refused.status, 403);
    assert.equal(refused.headers.get('x-authplane-denial'), 'ACCESS_TOKEN_SCOPE_INSUFFICIENT');
    const body = (await refused.json()) as { error: { message: string; status: string; details: { reason: string; domain: string; metadata: { service: string } }[] } };
    assert.equal(body.error.message, 'Request had insufficient authentication scopes.');
    assert.equal(body.error.status, 'PERMISSION_DENIED');
    assert.deepEqual([body.error.details[0]!.reason, body.error.details[0]!.domain, body.error.details[0]!.metadata.service], ['ACCESS_TOKEN_SCOPE_INSUFFICIENT', 'googleapis.com', 'cloudtasks.googleapis.com']);
    // The API's own scope and cloud-platform pass; a read-only scope passes reads only.
    for (const scope of ['https://www.googleapis.com/auth/cloud-tasks', 'https://www.googleapis.com/auth/cloud-platform']) {
      assert.equal((await ap.api(queues, { headers: { authorization: `Bearer ${await tokenWith([scope])}` } })).status, 200, scope);
    }
    const readOnly = await tokenWith(['https://www.googleapis.com/auth/cloud-platform.read-only']);
    assert.equal((await ap.api(`/v2/projects/${PROJECT}/locations/us-central1/services`, { headers: { authorization: `Bearer ${readOnly}` } })).status, 200);
    const write = await ap.api(`/v2/projects/${PROJECT}/locations/us-central1/services/shop:setIamPolicy`, { method: 'POST', headers: { authorization: `Bearer ${readOnly}` }, body: JSON.stringify({ policy: {} }) });
    assert.equal(write.headers.get('x-authplane-denial'), 'ACCESS_TOKEN_SCOPE_INSUFFICIENT');
    // Reads sent as POST (getIamPolicy, entries:list with logging.read) are reads all the same.
    const policy = await ap.api(`/v2/projects/${PROJECT}/locations/us-central1/services/shop:getIamPolicy`, { method: 'POST', headers: { authorization: `Bearer ${readOnly}` }, body: '{}' });
    assert.equal(policy.status, 200);
    const logRead = await tokenWith(['https://www.googleapis.com/auth/logging.read']);
    const entries = await ap.api('/v2/entries:list', { method: 'POST', headers: { authorization: `Bearer ${logRead}` }, body: JSON.stringify({ resourceNames: [`projects/${PROJECT}`], pageSize: 1 }) });
    assert.equal(entries.status, 200, await entries.clone().text());
    // A metadata-server token minted for a narrow scope is refused by IAM Credentials the same way.
    const md = await fetch(`http://${ap.metadataHost('on-run')}/computeMetadata/v1/instance/service-accounts/default/token?scopes=https://www.googleapis.com/auth/userinfo.email`, { headers: { 'Metadata-Flavor': 'Google' } });
    const mdToken = ((await md.json()) as { access_token: string }).access_token;
    const iam = await ap.api(`/v1/projects/-/serviceAccounts/${sa('invoker')}:generateIdToken`, { method: 'POST', headers: { authorization: `Bearer ${mdToken}` }, body: JSON.stringify({ audience: 'https://x.example' }) });
    assert.equal(iam.headers.get('x-authplane-denial'), 'ACCESS_TOKEN_SCOPE_INSUFFICIENT');
  });

  it('a task whose account is in another project: the actAs 403, as the docs say', async () => {
    const r = await ap.api(`/v2/projects/${PROJECT}/locations/us-central1/queues/work/tasks`, {
      method: 'POST',
      body: JSON.stringify({ task: { httpRequest: { url: `https://shop-${NUMBER}.us-central1.run.app/`, oidcToken: { serviceAccountEmail: 'runner@other-project.iam.gserviceaccount.com' } } } }),
    });
    assert.equal(r.status, 403);
    assert.equal(r.headers.get('x-authplane-denial'), 'SERVICE_ACCOUNT_UNKNOWN');
    const body = (await r.json()) as { error: { status: string; message: string } };
    assert.equal(body.error.status, 'PERMISSION_DENIED');
    assert.match(body.error.message, /iam\.serviceAccounts\.actAs.*runner@other-project\.iam\.gserviceaccount\.com/);
  });
});

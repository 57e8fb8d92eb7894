// IAP programmatic access end to end (SCENARIOS rows 1–3): a gateway workload gets its own access token
// from its metadata server, impersonates `caller` through the IAM Credentials REST API, and calls a Cloud
// Run service behind IAP. The backend's x-goog-iap-jwt-assertion is verified with google-auth-library
// exactly as Google's sample does.

import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { OAuth2Client } from 'google-auth-library';
import { startTestAuthplane, type TestAuthplane } from './support/authplane.js';
import { ManualClock } from './support/manual-clock.js';

const CLIENT_ID = '123456789012-iapdemo.apps.googleusercontent.com';
const AGENT = 'service-123456789012@gcp-sa-iap.iam.gserviceaccount.com';
const CALLER = 'caller@demo-project.iam.gserviceaccount.com';
const OUTSIDER = 'outsider@demo-project.iam.gserviceaccount.com';
/** Granted access in the IAP policy test only, so no other test depends on whether it ran first. */
const NEWCOMER = 'newcomer@demo-project.iam.gserviceaccount.com';
const ASSERTION_AUD = '/projects/123456789012/locations/us-central1/services/hello';

describe('IAP programmatic access (rows 1, 2, 3)', () => {
  let ap: TestAuthplane;
  let backend: Server;
  const seen: IncomingHttpHeaders[] = [];
  let frontDoor: string;
  let noAgentDoor: string;

  before(async () => {
    backend = createServer((req, res) => {
      seen.push(req.headers);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true, url: req.url }));
    });
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
    const upstream = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
    ap = await startTestAuthplane({
      defaultPrincipal: null,
      iam: {
        bindings: [
          { resource: 'iap/hello', role: 'roles/iap.httpsResourceAccessor', members: [`serviceAccount:${CALLER}`] },
          { resource: 'iap/noagent', role: 'roles/iap.httpsResourceAccessor', members: [`serviceAccount:${CALLER}`] },
          { resource: 'services/hello', role: 'roles/run.invoker', members: [`serviceAccount:${AGENT}`] },
          { resource: 'serviceAccounts/caller', role: 'roles/iam.serviceAccountTokenCreator', members: ['serviceAccount:edge-gateway'] },
          { resource: 'serviceAccounts/outsider', role: 'roles/iam.serviceAccountTokenCreator', members: ['serviceAccount:edge-gateway'] },
          { resource: 'serviceAccounts/newcomer', role: 'roles/iam.serviceAccountTokenCreator', members: ['serviceAccount:edge-gateway'] },
        ],
      },
      serviceAccounts: [{ name: 'caller' }, { name: 'outsider' }, { name: 'newcomer' }, { name: 'edge-gateway' }],
      services: [
        { name: 'hello', upstream, iap: { enabled: true, oauthClientId: CLIENT_ID } },
        // IAP on, but IAP's service agent may not invoke it.
        { name: 'noagent', upstream, iap: { enabled: true, oauthClientId: CLIENT_ID } },
      ],
      workloads: [{ name: 'edge', serviceAccount: 'edge-gateway' }],
    });
    frontDoor = ap.platform.directory.get('hello')!.urls.local!;
    noAgentDoor = ap.platform.directory.get('noagent')!.urls.local!;
  });

  after(async () => {
    await ap?.stop();
    await new Promise<void>((r) => backend.close(() => r()));
  });

  /** The gateway's own access token, from its metadata server (as code on Google would get it). */
  async function gatewayAccessToken(): Promise<string> {
    const r = await fetch(`http://${ap.metadataHost('edge')}/computeMetadata/v1/instance/service-accounts/default/token`, { headers: { 'Metadata-Flavor': 'Google' } });
    assert.equal(r.status, 200);
    return ((await r.json()) as { access_token: string }).access_token;
  }

  async function iamCredentials(account: string, method: string, body: unknown): Promise<Record<string, string>> {
    const r = await ap.api(`/v1/projects/-/serviceAccounts/${account}:${method}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await gatewayAccessToken()}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(r.status, 200, await r.clone().text());
    return (await r.json()) as Record<string, string>;
  }

  const idToken = async (account: string, audience: string, includeEmail: boolean) => (await iamCredentials(account, 'generateIdToken', { audience, includeEmail })).token!;

  it('row 1: an access token from generateAccessToken → 401 Unable to parse JWT, ACCESS_TOKEN_NOT_ID_TOKEN', async () => {
    const { accessToken } = await iamCredentials(CALLER, 'generateAccessToken', { scope: ['https://www.googleapis.com/auth/cloud-platform'] });
    const r = await fetch(`${frontDoor}/orders`, { headers: { 'X-Serverless-Authorization': `Bearer ${accessToken}` } });
    assert.equal(r.status, 401);
    assert.equal(await r.text(), 'Invalid IAP credentials: Unable to parse JWT');
    assert.equal(r.headers.get('x-goog-iap-generated-response'), 'true');
    assert.equal(r.headers.get('x-authplane-denial'), 'ACCESS_TOKEN_NOT_ID_TOKEN');
  });

  it('row 2: generateIdToken with includeEmail false → 401 JWT email claim, EMAIL_CLAIM_MISSING', async () => {
    const token = await idToken(CALLER, CLIENT_ID, false);
    const r = await fetch(`${frontDoor}/orders`, { headers: { 'X-Serverless-Authorization': `Bearer ${token}` } });
    assert.equal(r.status, 401);
    assert.equal(await r.text(), "Invalid IAP credentials: JWT 'email' claim isn't a string");
    assert.equal(r.headers.get('x-goog-iap-generated-response'), 'true');
    assert.equal(r.headers.get('x-authplane-denial'), 'EMAIL_CLAIM_MISSING');
  });

  it('row 3: the right ID token → 200; the backend sees the identity headers and an assertion google-auth-library verifies', async () => {
    const token = await idToken(CALLER, CLIENT_ID, true);
    seen.length = 0;
    const r = await fetch(`${frontDoor}/orders?x=1`, {
      headers: { authorization: `Bearer ${token}`, 'x-goog-authenticated-user-email': 'accounts.google.com:forged@example.com', 'x-goog-iap-jwt-assertion': 'forged' },
    });
    assert.equal(r.status, 200, await r.clone().text());
    const h = seen.at(-1)!;
    assert.equal(h['x-goog-authenticated-user-email'], `accounts.google.com:${CALLER}`);
    const sa = await ap.platform.identity.findServiceAccount(CALLER);
    assert.equal(h['x-goog-authenticated-user-id'], `accounts.google.com:${sa!.uniqueId}`);
    const assertion = h['x-goog-iap-jwt-assertion'] as string;
    assert.notEqual(assertion, 'forged');

    // Google's sample (iap/verify.js), with the key URL pointed at authplane.
    const client = new OAuth2Client({ endpoints: { oauth2IapPublicKeyUrl: `${ap.apiUrl}/iap/verify/public_key` } });
    const resp = await client.getIapPublicKeys();
    const ticket = await client.verifySignedJwtWithCertsAsync(assertion, resp.pubkeys, ASSERTION_AUD, ['https://cloud.google.com/iap']);
    const payload = ticket.getPayload()!;
    assert.equal(payload.email, CALLER);
    assert.equal(payload.sub, `accounts.google.com:${sa!.uniqueId}`);
    assert.equal(payload.iss, 'https://cloud.google.com/iap');
    // REFERENCE §5: the assertion lives at most 10 minutes.
    assert.ok(payload.exp - payload.iat > 0 && payload.exp - payload.iat <= 600, `lifetime ${payload.exp - payload.iat} s`);
    assert.equal((payload as unknown as Record<string, unknown>)['identity_source'], 'GOOGLE');
    // A wrong expected audience must fail: the check is real.
    await assert.rejects(client.verifySignedJwtWithCertsAsync(assertion, resp.pubkeys, '/projects/1/apps/other', ['https://cloud.google.com/iap']), /Wrong recipient/);
  });

  it('Proxy-Authorization carries the IAP credential and leaves Authorization to the app', async () => {
    const token = await idToken(CALLER, CLIENT_ID, true);
    seen.length = 0;
    const r = await fetch(`${frontDoor}/`, { headers: { 'proxy-authorization': `Bearer ${token}`, authorization: 'Basic YXBwOnNlY3JldA==' } });
    assert.equal(r.status, 200, await r.clone().text());
    const h = seen.at(-1)!;
    assert.equal(h['authorization'], 'Basic YXBwOnNlY3JldA==');
    assert.equal(h['proxy-authorization'], undefined);
    assert.equal(h['x-goog-authenticated-user-email'], `accounts.google.com:${CALLER}`);
  });

  it('a service-account JWT from signJwt (aud = the resource URL) is accepted; a wrong aud is refused', async () => {
    const url = ap.platform.directory.get('hello')!.urls.deterministic!;
    const now = Math.floor(Date.now() / 1000);
    const sign = async (aud: string) =>
      (await iamCredentials(CALLER, 'signJwt', { payload: JSON.stringify({ iss: CALLER, sub: CALLER, aud, iat: now, exp: now + 3600 }) })).signedJwt!;
    for (const aud of [url, `${url}/`, `${url}/*`, `${url}/reports/*`]) {
      const r = await fetch(`${frontDoor}/reports/q1`, { headers: { authorization: `Bearer ${await sign(aud)}` } });
      assert.equal(r.status, 200, `aud ${aud}: ${await r.text()}`);
    }
    const r = await fetch(`${frontDoor}/reports/q1`, { headers: { authorization: `Bearer ${await sign('https://elsewhere.example.com')}` } });
    assert.equal(r.status, 401);
    assert.equal(r.headers.get('x-authplane-denial'), 'AUDIENCE_MISMATCH');
    assert.match(await r.text(), /^Invalid IAP credentials: JWT audience doesn't match this application/);
  });

  it('an ID token with the service URL as audience is refused with the IAP client-id hint', async () => {
    const token = await idToken(CALLER, ap.platform.directory.get('hello')!.urls.deterministic!, true);
    const r = await fetch(`${frontDoor}/`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(r.status, 401);
    assert.equal(r.headers.get('x-authplane-denial'), 'AUDIENCE_MISMATCH');
    const body = await r.text();
    assert.ok(body.includes(`expected value (${CLIENT_ID})`), body);
  });

  it('a caller without roles/iap.httpsResourceAccessor → 403 Access denied, PERMISSION_DENIED', async () => {
    const token = await idToken(OUTSIDER, CLIENT_ID, true);
    const r = await fetch(`${frontDoor}/`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(r.status, 403);
    assert.equal(await r.text(), '403 Access denied');
    assert.equal(r.headers.get('x-goog-iap-generated-response'), 'true');
    assert.equal(r.headers.get('x-authplane-denial'), 'PERMISSION_DENIED');
  });

  it('no credential: a script gets 302 to sign-in, AJAX gets 401 empty token', async () => {
    const r = await fetch(`${frontDoor}/page`, { redirect: 'manual' });
    assert.equal(r.status, 302);
    const location = new URL(r.headers.get('location')!);
    assert.equal(location.origin + location.pathname, `${ap.apiUrl}/iap/signin`);
    assert.equal(location.searchParams.get('client_id'), CLIENT_ID);
    assert.equal(location.searchParams.get('redirect_uri'), `${frontDoor}/_gcp_gatekeeper/authenticate`);
    const ajax = await fetch(`${frontDoor}/page`, { headers: { 'X-Requested-With': 'XMLHttpRequest' }, redirect: 'manual' });
    assert.equal(ajax.status, 401);
    assert.equal(await ajax.text(), 'Invalid IAP credentials: empty token');
    assert.equal(ajax.headers.get('x-authplane-denial'), 'TOKEN_MISSING');
  });

  it('/_gcp_iap/identity and ?gcp-iap-mode=IDENTITY answer who the caller is', async () => {
    const token = await idToken(CALLER, CLIENT_ID, true);
    const sa = await ap.platform.identity.findServiceAccount(CALLER);
    for (const path of ['/_gcp_iap/identity', '/anything?gcp-iap-mode=IDENTITY']) {
      const r = await fetch(frontDoor + path, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(r.status, 200);
      assert.deepEqual(await r.json(), { email: `accounts.google.com:${CALLER}`, sub: `accounts.google.com:${sa!.uniqueId}` });
    }
  });

  it("IAP's service agent without roles/run.invoker → Cloud Run's 403 naming the service agent", async () => {
    const token = await idToken(CALLER, CLIENT_ID, true);
    const r = await fetch(`${noAgentDoor}/`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(r.status, 403);
    assert.match(await r.text(), /Your client does not have permission to get URL <code>\/<\/code> from this server/);
    assert.equal(r.headers.get('x-goog-iap-generated-response'), null, 'this 403 is Cloud Run\'s, not IAP\'s');
    assert.equal(r.headers.get('x-authplane-denial'), 'PERMISSION_DENIED');
    const id = r.headers.get('x-authplane-request-id');
    assert.ok(id, 'refusals carry a request id');
    const admin = await ap.platform.identity.mintAccessToken('user:owner@example.com');
    await ap.platform.iam.addBinding('projects/demo-project', 'roles/owner', 'user:owner@example.com');
    const logged = (await (await ap.api(`/admin/v1/requests/${id}`, { headers: { authorization: `Bearer ${admin.token}` } })).json()) as { remedy?: string; evidence?: { member?: string } };
    assert.equal(logged.evidence?.member, `serviceAccount:${AGENT}`);
    assert.ok(logged.remedy?.includes(AGENT), logged.remedy);
  });

  it('IAP policy REST: getIamPolicy / setIamPolicy / testIamPermissions on iap_web/cloud_run-REGION/services/S', async () => {
    const owner = await ap.platform.identity.mintAccessToken('user:iap-admin@example.com');
    await ap.platform.iam.addBinding('projects/demo-project', 'roles/owner', 'user:iap-admin@example.com');
    const base = '/v1/projects/123456789012/iap_web/cloud_run-us-central1/services/hello';
    const headers = { authorization: `Bearer ${owner.token}`, 'content-type': 'application/json' };
    const got = await ap.api(`${base}:getIamPolicy`, { method: 'POST', headers, body: '{}' });
    assert.equal(got.status, 200);
    const policy = (await got.json()) as { etag: string; bindings: { role: string; members: string[] }[] };
    assert.ok(policy.bindings.some((b) => b.role === 'roles/iap.httpsResourceAccessor' && b.members.includes(`serviceAccount:${CALLER}`)));
    const newcomer = await idToken(NEWCOMER, CLIENT_ID, true);
    assert.equal((await fetch(`${frontDoor}/`, { headers: { authorization: `Bearer ${newcomer}` } })).status, 403, 'no access before the grant');
    const set = await ap.api(`${base}:setIamPolicy`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ policy: { etag: policy.etag, bindings: [...policy.bindings, { role: 'roles/iap.httpsResourceAccessor', members: [`serviceAccount:${NEWCOMER}`] }] } }),
    });
    assert.equal(set.status, 200, await set.clone().text());
    // The newcomer now gets through IAP (propagation is 0 s in this config).
    assert.equal((await fetch(`${frontDoor}/`, { headers: { authorization: `Bearer ${newcomer}` } })).status, 200);
    // As on Google, a project owner administers IAP but is not let through it without the accessor role.
    const test = await ap.api(`${base}:testIamPermissions`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ permissions: ['iap.webServiceVersions.accessViaIAP', 'iap.webServices.getIamPolicy'] }),
    });
    assert.deepEqual(await test.json(), { permissions: ['iap.webServices.getIamPolicy'] });
    const missing = await ap.api('/v1/projects/123456789012/iap_web/cloud_run-europe-west1/services/hello:getIamPolicy', { method: 'POST', headers, body: '{}' });
    assert.equal(missing.status, 404);
  });
});

describe('signJwt without exp (REFERENCE §12)', () => {
  // Ten days before the real time: the exp Google adds must come from authplane's clock, not the machine's.
  const clock = new ManualClock(Date.now() - 10 * 86400_000);
  let ap: TestAuthplane;
  let backend: Server;

  before(async () => {
    backend = createServer((_req, res) => res.writeHead(200).end('ok'));
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
    ap = await startTestAuthplane(
      {
        iam: {
          bindings: [
            { resource: 'iap/hello', role: 'roles/iap.httpsResourceAccessor', members: [`serviceAccount:${CALLER}`] },
            { resource: 'services/hello', role: 'roles/run.invoker', members: [`serviceAccount:${AGENT}`] },
            // The default principal (an uncredentialed API call acts as it) may sign as caller.
            { resource: 'serviceAccounts/caller', role: 'roles/iam.serviceAccountTokenCreator', members: ['user:developer@example.com'] },
          ],
        },
        serviceAccounts: [{ name: 'caller' }],
        services: [{ name: 'hello', upstream: `http://127.0.0.1:${(backend.address() as AddressInfo).port}`, iap: { enabled: true, oauthClientId: CLIENT_ID } }],
      },
      { clock: clock.clock, timers: clock },
    );
  });

  after(async () => {
    await ap?.stop();
    await new Promise<void>((r) => backend.close(() => r()));
  });

  it('Google adds exp = now + 1 h; the JWT then passes IAP programmatic access until it expires', async () => {
    const url = ap.platform.directory.get('hello')!.urls.deterministic!;
    const now = Math.floor(clock.nowMs / 1000);
    const r = await ap.api(`/v1/projects/-/serviceAccounts/${CALLER}:signJwt`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ payload: JSON.stringify({ iss: CALLER, sub: CALLER, aud: url, iat: now }) }),
    });
    assert.equal(r.status, 200, await r.clone().text());
    const { signedJwt } = (await r.json()) as { signedJwt: string };
    const claims = JSON.parse(Buffer.from(signedJwt.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
    assert.deepEqual(claims, { iss: CALLER, sub: CALLER, aud: url, iat: now, exp: now + 3600 });

    const door = ap.platform.directory.get('hello')!.urls.local!;
    const ok = await fetch(`${door}/`, { headers: { authorization: `Bearer ${signedJwt}` } });
    assert.equal(ok.status, 200, await ok.text());
    // Past exp and the 300 s clock skew, on the same clock: IAP's Expired JWT.
    await clock.advanceTo(clock.nowMs + (3600 + 301) * 1000);
    const late = await fetch(`${door}/`, { headers: { authorization: `Bearer ${signedJwt}` } });
    assert.equal(late.status, 401);
    assert.equal(late.headers.get('x-authplane-denial'), 'TOKEN_EXPIRED');
  });
});

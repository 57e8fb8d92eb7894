// Google's own auth library, unchanged, against authplane: the metadata server path (as code on
// Cloud Run gets tokens), verification with Google's verifier pointed at authplane's certs, the
// Impersonated client against the IAM Credentials API, and jose on the JWKS across a key rotation.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GoogleAuth, Impersonated, OAuth2Client, Compute } from 'google-auth-library';
import { createRemoteJWKSet, jwtVerify, decodeProtectedHeader } from 'jose';
import { startTestAuthplane, type TestAuthplane } from './support/authplane.js';
import { useMetadataServer } from './support/metadata-env.js';

const SA = (name: string) => `${name}@demo-project.iam.gserviceaccount.com`;
const AUD = 'https://update-123456789012.us-central1.run.app';

describe('google-auth-library and jose against authplane', () => {
  let ap: TestAuthplane;
  let restoreEnv = () => undefined as void;
  /** This process runs as workload `name` does on Google: its metadata server is the one Google's libraries find. */
  const runAs = (name: string) => {
    restoreEnv();
    restoreEnv = useMetadataServer(ap.metadataHost(name));
  };

  before(async () => {
    ap = await startTestAuthplane({
      defaultPrincipal: 'none',
      serviceAccounts: [{ name: 'scheduler-sa' }, { name: 'target-sa' }, { name: 'no-rights' }],
      workloads: [
        { name: 'scheduler', serviceAccount: 'scheduler-sa' },
        { name: 'nobody', serviceAccount: 'no-rights' },
      ],
      iam: {
        bindings: [{ resource: 'serviceAccounts/target-sa', role: 'roles/iam.serviceAccountTokenCreator', members: ['serviceAccount:scheduler-sa'] }],
      },
    });
  });
  after(async () => {
    restoreEnv();
    await ap?.stop();
  });

  test('GoogleAuth through the metadata server gets an ID token that OAuth2Client.verifyIdToken accepts', async () => {
    runAs('scheduler');
    const auth = new GoogleAuth();
    const client = await auth.getIdTokenClient(AUD);
    const headers = await client.getRequestHeaders();
    const authorization = headers.get('authorization') ?? '';
    assert.match(authorization, /^Bearer ey/);
    const token = authorization.slice('Bearer '.length);

    const verifier = new OAuth2Client({
      endpoints: {
        oauth2FederatedSignonPemCertsUrl: `${ap.apiUrl}/oauth2/v1/certs`,
        oauth2FederatedSignonJwkCertsUrl: `${ap.apiUrl}/oauth2/v3/certs`,
      },
    });
    const ticket = await verifier.verifyIdToken({ idToken: token, audience: AUD });
    const payload = ticket.getPayload()!;
    assert.equal(payload.iss, 'https://accounts.google.com');
    assert.equal(payload.aud, AUD);
    assert.equal(payload.email, SA('scheduler-sa'));
    assert.equal(payload.email_verified, true);
    assert.match(payload.sub, /^\d{21}$/);
    assert.equal(payload.exp - payload.iat, 3600);

    // The same verifier refuses the token for another audience.
    await assert.rejects(verifier.verifyIdToken({ idToken: token, audience: 'https://other.run.app' }), /Wrong recipient/);
  });

  test('GoogleAuth.getAccessToken returns an authplane access token that tokeninfo knows', async () => {
    runAs('scheduler');
    const auth = new GoogleAuth({ scopes: ['https://www.googleapis.com/auth/cloud-platform'] });
    const token = await auth.getAccessToken();
    assert.match(token ?? '', /^ya29\./);
    const info = (await (await ap.api(`/tokeninfo?access_token=${token}`)).json()) as Record<string, string>;
    assert.equal(info.email, SA('scheduler-sa'));
    assert.equal(info.scope, 'https://www.googleapis.com/auth/cloud-platform');
    const bad = await ap.api('/tokeninfo?access_token=ya29.nope');
    assert.equal(bad.status, 400);
    assert.deepEqual(await bad.json(), { error: 'invalid_token', error_description: 'Invalid Value' });
  });

  test('Impersonated gets ID and access tokens; without Token Creator it gets Google 403 naming the permission', async () => {
    const source = new Compute();
    runAs('scheduler');
    const imp = new Impersonated({
      sourceClient: source,
      targetPrincipal: SA('target-sa'),
      targetScopes: ['https://www.googleapis.com/auth/cloud-platform'],
      lifetime: 3600,
      delegates: [],
      endpoint: ap.apiUrl,
    });
    const idToken = await imp.fetchIdToken(AUD, { includeEmail: true });
    const claims = JSON.parse(Buffer.from(idToken.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    assert.equal(claims.email, SA('target-sa'));
    assert.equal(claims.aud, AUD);
    const access = await imp.getAccessToken();
    assert.match(access.token ?? '', /^ya29\./);

    // A workload whose account holds no Token Creator on target-sa.
    runAs('nobody');
    const denied = new Impersonated({
      sourceClient: new Compute(),
      targetPrincipal: SA('target-sa'),
      targetScopes: ['https://www.googleapis.com/auth/cloud-platform'],
      endpoint: ap.apiUrl,
    });
    await assert.rejects(denied.fetchIdToken(AUD), (err: unknown) => {
      const e = err as { response?: { status: number; data: unknown; headers: Headers } };
      assert.equal(e.response?.status, 403, String(err));
      const body = e.response?.data as { error: { code: number; status: string; message: string; details: { reason: string; metadata: { permission: string } }[] } };
      assert.equal(body.error.code, 403);
      assert.equal(body.error.status, 'PERMISSION_DENIED');
      assert.equal(body.error.message, "Permission 'iam.serviceAccounts.getOpenIdToken' denied on resource (or it may not exist).");
      assert.equal(body.error.details[0]!.reason, 'IAM_PERMISSION_DENIED');
      assert.equal(body.error.details[0]!.metadata.permission, 'iam.serviceAccounts.getOpenIdToken');
      assert.equal(e.response?.headers.get('x-authplane-denial'), 'IMPERSONATION_DENIED');
      return true;
    });
  });

  test('jose verifies with the JWKS; after a rotation old tokens still verify and new ones carry the new kid', async () => {
    const jwks = createRemoteJWKSet(new URL(`${ap.apiUrl}/oauth2/v3/certs`), { cacheMaxAge: 0, cooldownDuration: 0 });
    const md = ap.metadataHost('scheduler');
    const mint = async (aud: string) =>
      (await fetch(`http://${md}/computeMetadata/v1/instance/service-accounts/default/identity?audience=${encodeURIComponent(aud)}`, { headers: { 'Metadata-Flavor': 'Google' } })).text();

    const before = await mint('https://before-rotation.example');
    const oldKid = decodeProtectedHeader(before).kid;
    await jwtVerify(before, jwks, { issuer: 'https://accounts.google.com', audience: 'https://before-rotation.example' });

    const rotated = await ap.api('/admin/v1/keys:rotate', { method: 'POST', body: JSON.stringify({ alg: 'RS256' }) });
    // defaultPrincipal is 'none' here: the admin API wants credentials.
    assert.equal(rotated.status, 401);
    await ap.platform.identity.keys.rotate('RS256');

    const after = await mint('https://after-rotation.example');
    const newKid = decodeProtectedHeader(after).kid;
    assert.notEqual(newKid, oldKid);
    const published = ((await (await ap.api('/oauth2/v3/certs')).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
    assert.ok(published.includes(oldKid!) && published.includes(newKid!), `both kids published: ${published.join(', ')}`);
    await jwtVerify(before, jwks, { issuer: 'https://accounts.google.com', audience: 'https://before-rotation.example' });
    await jwtVerify(after, jwks, { issuer: 'https://accounts.google.com', audience: 'https://after-rotation.example' });
  });

  test('metadata server rules: Metadata-Flavor required, X-Forwarded-For refused, audience required', async () => {
    const base = `http://${ap.metadataHost('scheduler')}/computeMetadata/v1/instance/service-accounts/default`;
    const noFlavor = await fetch(`${base}/email`);
    assert.equal(noFlavor.status, 403);
    assert.equal(noFlavor.headers.get('metadata-flavor'), 'Google');
    assert.match(await noFlavor.text(), /Missing required header "Metadata-Flavor": "Google"/);
    const forwarded = await fetch(`${base}/email`, { headers: { 'Metadata-Flavor': 'Google', 'X-Forwarded-For': '10.0.0.1' } });
    assert.equal(forwarded.status, 403);
    const noAud = await fetch(`${base}/identity`, { headers: { 'Metadata-Flavor': 'Google' } });
    assert.equal(noAud.status, 400);
    assert.match(await noAud.text(), /non-empty audience parameter required/);
    const email = await fetch(`${base}/email`, { headers: { 'Metadata-Flavor': 'Google' } });
    assert.equal(await email.text(), SA('scheduler-sa'));
    const project = await fetch(`http://${ap.metadataHost('scheduler')}/computeMetadata/v1/project/numeric-project-id`, { headers: { 'Metadata-Flavor': 'Google' } });
    assert.equal(await project.text(), '123456789012');
  });

  test('IAM Credentials: signJwt is signed by the account key (published per account), not by the ID-token key', async () => {
    const now = () => Math.floor(ap.platform.clock() / 1000);
    const grant = await ap.platform.identity.mintAccessToken(`serviceAccount:${SA('scheduler-sa')}`);
    const r = await ap.api(`/v1/projects/-/serviceAccounts/${SA('target-sa')}:signJwt`, {
      method: 'POST',
      headers: { authorization: `Bearer ${grant.token}`, 'content-type': 'application/json' },
      // signJwt refuses an exp in the past (REFERENCE §12): a claims set as Google's samples build it.
      body: JSON.stringify({ payload: JSON.stringify({ iss: SA('target-sa'), sub: SA('target-sa'), aud: AUD, iat: now(), exp: now() + 3600 }) }),
    });
    assert.equal(r.status, 200);
    const { keyId, signedJwt } = (await r.json()) as { keyId: string; signedJwt: string };
    assert.equal(decodeProtectedHeader(signedJwt).kid, keyId);
    const oauthKids = ((await (await ap.api('/oauth2/v3/certs')).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
    assert.ok(!oauthKids.includes(keyId), 'signJwt key must not be a Google ID-token key');
    const saKids = ((await (await ap.api(`/service_accounts/v1/jwk/${SA('target-sa')}`)).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
    assert.deepEqual(saKids, [keyId]);

    const wrongProject = await ap.api(`/v1/projects/demo-project/serviceAccounts/${SA('target-sa')}:generateIdToken`, {
      method: 'POST',
      headers: { authorization: `Bearer ${grant.token}` },
      body: JSON.stringify({ audience: AUD }),
    });
    assert.equal(wrongProject.status, 400);
    const unknown = await ap.api(`/v1/projects/-/serviceAccounts/${SA('ghost')}:generateIdToken`, {
      method: 'POST',
      headers: { authorization: `Bearer ${grant.token}` },
      body: JSON.stringify({ audience: AUD }),
    });
    assert.equal(unknown.status, 403);
    assert.equal(unknown.headers.get('x-authplane-denial'), 'SERVICE_ACCOUNT_UNKNOWN');
  });
});

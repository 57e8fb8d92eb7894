// The real gcloud (Google Cloud CLI 528, /usr/bin/gcloud) against a running authplane, configured by
// `authplane gcloud` alone, signed in as the default principal: the tokens developers print (their own,
// impersonated service accounts, delegation chains) and what a Cloud Run front door makes of each. gcloud runs
// bounded and under a loopback guard that fails any lookup or connection off this machine. Service-account
// and workload sign-ins: gcloud-accounts.test.ts.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { GCLOUD_CLIENT_ID } from '../src/identity/identity.js';
import { claimsOf, GCLOUD_SKIP, gcloudSuite, type GcloudSession } from './support/gcloud.js';
import { SA, SERVICE_URL } from './support/gcloud-fixture.js';

describe('gcloud auth against authplane, as a user (authplane gcloud)', { skip: GCLOUD_SKIP }, () => {
  const suite = gcloudSuite();
  let user: GcloudSession;
  const call = (token: string) => suite.project.call(token);

  before(async () => {
    user = await suite.signIn();
  });

  it('signs in as the default principal: gcloud auth list shows it active', async () => {
    const out = await user.ok(['auth', 'list', '--format=value(account,status)']);
    assert.match(out, /^developer@example\.com\s+\*$/m);
  });

  it('print-access-token: an access token the APIs take as the user, and the front door refuses (401 ACCESS_TOKEN_NOT_ID_TOKEN)', async () => {
    const token = await user.ok(['auth', 'print-access-token']);
    const res = await fetch(`${suite.project.ap.apiUrl}/v1/projects/demo-project`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { projectId: string }).projectId, 'demo-project');
    assert.deepEqual(await call(token), { status: 401, denial: 'ACCESS_TOKEN_NOT_ID_TOKEN' });
  });

  it('print-identity-token: aud = gcloud\'s client ID, the user\'s email; the front door admits an invoker (the developer path) → 200', async () => {
    const token = await user.ok(['auth', 'print-identity-token']);
    const c = claimsOf(token);
    assert.equal(c.aud, GCLOUD_CLIENT_ID);
    assert.equal(c.azp, GCLOUD_CLIENT_ID);
    assert.equal(c.email, 'developer@example.com');
    assert.equal(c.iss, 'https://accounts.google.com');
    assert.deepEqual(await call(token), { status: 200, denial: null });
  });

  it('print-identity-token --audiences / --include-email for a user: gcloud itself refuses (service accounts only)', async () => {
    const aud = await user.run(['auth', 'print-identity-token', `--audiences=${SERVICE_URL}`]);
    assert.notEqual(aud.code, 0);
    assert.match(aud.stderr, /Invalid account type for `--audiences`/);
    const email = await user.run(['auth', 'print-identity-token', '--include-email']);
    assert.notEqual(email.code, 0);
    assert.match(email.stderr, /Invalid account type for `--include-email`/);
  });

  it('--impersonate-service-account: ID tokens (default audience, --audiences, --include-email) → 200 for an invoker', async () => {
    const imp = `--impersonate-service-account=${SA('tasks-invoker')}`;
    const plain = await user.ok(['auth', 'print-identity-token', imp]);
    assert.equal(claimsOf(plain).aud, GCLOUD_CLIENT_ID);
    assert.equal(claimsOf(plain).email, undefined, 'no email claim without --include-email');
    assert.deepEqual(await call(plain), { status: 200, denial: null });

    const bound = await user.ok(['auth', 'print-identity-token', imp, `--audiences=${SERVICE_URL}`, '--include-email']);
    assert.equal(claimsOf(bound).aud, SERVICE_URL);
    assert.equal(claimsOf(bound).email, SA('tasks-invoker'));
    assert.deepEqual(await call(bound), { status: 200, denial: null });
  });

  it('--impersonate-service-account of an account without roles/run.invoker → 403 PERMISSION_DENIED', async () => {
    const token = await user.ok(['auth', 'print-identity-token', `--impersonate-service-account=${SA('tasks-no-role')}`, `--audiences=${SERVICE_URL}`]);
    assert.deepEqual(await call(token), { status: 403, denial: 'PERMISSION_DENIED' });
  });

  it('print-access-token --impersonate-service-account: the account\'s access token (tokeninfo), refused by the front door', async () => {
    const token = await user.ok(['auth', 'print-access-token', `--impersonate-service-account=${SA('tasks-invoker')}`]);
    const info = (await (await fetch(`${suite.project.ap.apiUrl}/tokeninfo?access_token=${token}`)).json()) as { email: string };
    assert.equal(info.email, SA('tasks-invoker'));
    assert.deepEqual(await call(token), { status: 401, denial: 'ACCESS_TOKEN_NOT_ID_TOKEN' });
  });

  it('a delegation chain (--impersonate-service-account=caller,tasks-invoker, sent as bare emails) → the last account\'s token → 200', async () => {
    const token = await user.ok(['auth', 'print-identity-token', `--impersonate-service-account=${SA('caller')},${SA('tasks-invoker')}`, `--audiences=${SERVICE_URL}`, '--include-email']);
    assert.equal(claimsOf(token).email, SA('tasks-invoker'));
    assert.deepEqual(await call(token), { status: 200, denial: null });
  });
});

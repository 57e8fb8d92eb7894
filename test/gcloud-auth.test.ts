// The real gcloud (Google Cloud CLI 528, /usr/bin/gcloud) against a running authplane, configured by
// `authplane gcloud` alone: the tokens developers print (users, impersonated service accounts, delegation
// chains, a service account's key file, a workload's metadata server) and what a Cloud Run front door makes of
// each. gcloud runs bounded and under a loopback guard that fails any lookup or connection off this machine.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GCLOUD_CLIENT_ID } from '../src/identity/identity.js';
import { authplaneGcloud, claimsOf, GCLOUD_SKIP, GcloudSession } from './support/gcloud.js';
import { SA, SERVICE_URL, startGcloudProject, type GcloudProject } from './support/gcloud-fixture.js';

describe('gcloud auth against authplane (authplane gcloud)', { skip: GCLOUD_SKIP }, () => {
  let project: GcloudProject;
  let user: GcloudSession;
  const sessions: GcloudSession[] = [];
  const session = async (as?: string) => {
    const s = await authplaneGcloud(project.ap.apiUrl, as);
    sessions.push(s);
    return s;
  };

  before(async () => {
    project = await startGcloudProject();
    user = await session();
  });
  after(async () => {
    await project?.stop();
    const left = sessions.flatMap((s) => s.guardViolations().map((v) => `${s.dir}: ${v}`));
    for (const s of sessions) s.dispose();
    assert.deepEqual(left, [], 'gcloud tried to leave this machine');
  });

  it('signs in as the default principal: gcloud auth list shows it active', async () => {
    const out = await user.ok(['auth', 'list', '--format=value(account,status)']);
    assert.match(out, /^developer@example\.com\s+\*$/m);
  });

  it('print-access-token: an access token the APIs take as the user, and the front door refuses (401 ACCESS_TOKEN_NOT_ID_TOKEN)', async () => {
    const token = await user.ok(['auth', 'print-access-token']);
    const res = await fetch(`${project.ap.apiUrl}/v1/projects/demo-project`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { projectId: string }).projectId, 'demo-project');
    assert.deepEqual(await project.call(token), { status: 401, denial: 'ACCESS_TOKEN_NOT_ID_TOKEN' });
  });

  it('print-identity-token: aud = gcloud\'s client ID, the user\'s email; the front door admits an invoker (the developer path) → 200', async () => {
    const token = await user.ok(['auth', 'print-identity-token']);
    const c = claimsOf(token);
    assert.equal(c.aud, GCLOUD_CLIENT_ID);
    assert.equal(c.azp, GCLOUD_CLIENT_ID);
    assert.equal(c.email, 'developer@example.com');
    assert.equal(c.iss, 'https://accounts.google.com');
    assert.deepEqual(await project.call(token), { status: 200, denial: null });
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
    assert.deepEqual(await project.call(plain), { status: 200, denial: null });

    const bound = await user.ok(['auth', 'print-identity-token', imp, `--audiences=${SERVICE_URL}`, '--include-email']);
    assert.equal(claimsOf(bound).aud, SERVICE_URL);
    assert.equal(claimsOf(bound).email, SA('tasks-invoker'));
    assert.deepEqual(await project.call(bound), { status: 200, denial: null });
  });

  it('--impersonate-service-account of an account without roles/run.invoker → 403 PERMISSION_DENIED', async () => {
    const token = await user.ok(['auth', 'print-identity-token', `--impersonate-service-account=${SA('tasks-no-role')}`, `--audiences=${SERVICE_URL}`]);
    assert.deepEqual(await project.call(token), { status: 403, denial: 'PERMISSION_DENIED' });
  });

  it('print-access-token --impersonate-service-account: the account\'s access token (tokeninfo), refused by the front door', async () => {
    const token = await user.ok(['auth', 'print-access-token', `--impersonate-service-account=${SA('tasks-invoker')}`]);
    const info = (await (await fetch(`${project.ap.apiUrl}/tokeninfo?access_token=${token}`)).json()) as { email: string };
    assert.equal(info.email, SA('tasks-invoker'));
    assert.deepEqual(await project.call(token), { status: 401, denial: 'ACCESS_TOKEN_NOT_ID_TOKEN' });
  });

  it('a delegation chain (--impersonate-service-account=caller,tasks-invoker, sent as bare emails) → the last account\'s token → 200', async () => {
    const token = await user.ok(['auth', 'print-identity-token', `--impersonate-service-account=${SA('caller')},${SA('tasks-invoker')}`, `--audiences=${SERVICE_URL}`, '--include-email']);
    assert.equal(claimsOf(token).email, SA('tasks-invoker'));
    assert.deepEqual(await project.call(token), { status: 200, denial: null });
  });

  it('signed in as a service account (authplane gcloud --as, a key file): its developer token passes for an invoker, not for another', async () => {
    const invoker = await session('tasks-invoker');
    const token = await invoker.ok(['auth', 'print-identity-token']);
    assert.equal(claimsOf(token).email, SA('tasks-invoker'));
    assert.equal(claimsOf(token).aud, GCLOUD_CLIENT_ID);
    assert.deepEqual(await project.call(token), { status: 200, denial: null });
    const bound = await invoker.ok(['auth', 'print-identity-token', `--audiences=${SERVICE_URL}`]);
    assert.equal(claimsOf(bound).aud, SERVICE_URL);
    assert.deepEqual(await project.call(bound), { status: 200, denial: null });

    const other = await session(SA('tasks-no-role'));
    assert.deepEqual(await project.call(await other.ok(['auth', 'print-identity-token'])), { status: 403, denial: 'PERMISSION_DENIED' });
  });

  it('as a workload (GCE_METADATA_ROOT = its metadata server): gcloud acts as the workload\'s account', async () => {
    const md = project.ap.metadataHost('runner');
    // No sign-in and no overrides: gcloud finds the metadata server (core/check_gce_metadata left at its default).
    const workload = GcloudSession.configured({ core: { project: 'demo-project' } }, { GCE_METADATA_ROOT: md });
    sessions.push(workload);
    const token = await workload.ok(['auth', 'print-identity-token', `--audiences=${SERVICE_URL}`]);
    assert.equal(claimsOf(token).email, SA('runner'));
    assert.equal(claimsOf(token).aud, SERVICE_URL);
    const access = await workload.ok(['auth', 'print-access-token']);
    const info = (await (await fetch(`${project.ap.apiUrl}/tokeninfo?access_token=${access}`)).json()) as { email: string };
    assert.equal(info.email, SA('runner'));
  });

  it('a refresh token authplane did not issue: activation fails with Google\'s invalid_grant', async () => {
    // metrics/environment set: gcloud otherwise asks metadata.google.internal whether it runs on GCE.
    const stranger = GcloudSession.configured({
      core: { project: 'demo-project', check_gce_metadata: 'false' },
      auth: { token_host: `${project.ap.apiUrl}/token` },
      metrics: { environment: 'authplane-test' },
    });
    sessions.push(stranger);
    const r = await stranger.run(['auth', 'activate-refresh-token', 'mallory@example.com', '1//not-issued-here']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /invalid_grant: Token has been expired or revoked\./);
  });
});

// The real gcloud (/usr/bin/gcloud) against authplane signed in the other ways: as a service account with a key
// file (`authplane gcloud --as`), as a workload through its metadata server (GCE_METADATA_ROOT), and with a
// refresh token authplane never issued. gcloud runs bounded and under the loopback guard.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GCLOUD_CLIENT_ID } from '../src/identity/identity.js';
import { claimsOf, GCLOUD_SKIP, gcloudSuite, GcloudSession } from './support/gcloud.js';
import { SA, SERVICE_URL } from './support/gcloud-fixture.js';

describe('gcloud auth against authplane, as a service account or a workload', { skip: GCLOUD_SKIP }, () => {
  const suite = gcloudSuite();

  it('signed in as a service account (authplane gcloud --as, a key file): its developer token and an audience-bound one pass for an invoker', async () => {
    const invoker = await suite.signIn('tasks-invoker');
    const token = await invoker.ok(['auth', 'print-identity-token']);
    assert.equal(claimsOf(token).email, SA('tasks-invoker'));
    assert.equal(claimsOf(token).aud, GCLOUD_CLIENT_ID);
    assert.deepEqual(await suite.project.call(token), { status: 200, denial: null });
    const bound = await invoker.ok(['auth', 'print-identity-token', `--audiences=${SERVICE_URL}`]);
    assert.equal(claimsOf(bound).aud, SERVICE_URL);
    assert.deepEqual(await suite.project.call(bound), { status: 200, denial: null });
  });

  it('as a workload (GCE_METADATA_ROOT = its metadata server): gcloud acts as the workload\'s account', async () => {
    const md = suite.project.ap.metadataHost('runner');
    // No sign-in and no overrides: gcloud finds the metadata server (core/check_gce_metadata left at its default).
    const workload = suite.track(GcloudSession.configured({ core: { project: 'demo-project' } }, { GCE_METADATA_ROOT: md }));
    const token = await workload.ok(['auth', 'print-identity-token', `--audiences=${SERVICE_URL}`]);
    assert.equal(claimsOf(token).email, SA('runner'));
    assert.equal(claimsOf(token).aud, SERVICE_URL);
    const access = await workload.ok(['auth', 'print-access-token']);
    const info = (await (await fetch(`${suite.project.ap.apiUrl}/tokeninfo?access_token=${access}`)).json()) as { email: string };
    assert.equal(info.email, SA('runner'));
  });

  it('a refresh token authplane did not issue: activation fails with Google\'s invalid_grant', async () => {
    // metrics/environment set: gcloud otherwise asks metadata.google.internal whether it runs on GCE.
    const stranger = suite.track(GcloudSession.configured({
      core: { project: 'demo-project', check_gce_metadata: 'false' },
      auth: { token_host: `${suite.project.ap.apiUrl}/token` },
      metrics: { environment: 'authplane-test' },
    }));
    const r = await stranger.run(['auth', 'activate-refresh-token', 'mallory@example.com', '1//not-issued-here']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /invalid_grant: Token has been expired or revoked\./);
  });
});

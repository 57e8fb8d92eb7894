// The real gcloud (/usr/bin/gcloud) driving authplane's Cloud Run Admin API, configured by `authplane gcloud`:
// `gcloud run services` (Knative v1 on the regional host through the API port's proxy step, v1 IAM on the
// global host). Each change made through gcloud is checked where it takes effect: the Cloud Run front door.
// gcloud runs bounded and under a loopback guard that fails any lookup or connection off this machine.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { GCLOUD_SKIP, gcloudSuite, type GcloudSession } from './support/gcloud.js';
import { SA, SERVICE_URL } from './support/gcloud-fixture.js';

const REGION = '--region=us-central1';

describe('gcloud run services against authplane (authplane gcloud)', { skip: GCLOUD_SKIP }, () => {
  const suite = gcloudSuite();
  let gcloud: GcloudSession;
  /** An ID token for `account` with the service's URL as audience, minted by authplane itself. */
  const idToken = async (account: string) => suite.project.ap.platform.identity.mintIdToken((await suite.project.ap.platform.identity.findServiceAccount(SA(account)))!, { audience: SERVICE_URL, includeEmail: true });

  before(async () => {
    gcloud = await suite.signIn();
  });

  it('describe --format=value(status.url) prints the service URL; list shows it in its region, with or without --region', async () => {
    const entry = suite.project.ap.platform.directory.get('update')!;
    assert.equal(await gcloud.ok(['run', 'services', 'describe', 'update', REGION, '--format=value(status.url)']), entry.urls.hashed);
    assert.equal(await gcloud.ok(['run', 'services', 'list', REGION, '--format=value(metadata.name,region)']), 'update\tus-central1');
    assert.equal(await gcloud.ok(['run', 'services', 'list', '--format=value(metadata.name)']), 'update');
  });

  it('get-iam-policy shows the config\'s bindings; add-iam-policy-binding takes effect at the front door', async () => {
    const policy = JSON.parse(await gcloud.ok(['run', 'services', 'get-iam-policy', 'update', REGION, '--format=json'])) as { bindings: { role: string; members: string[] }[] };
    assert.deepEqual(policy.bindings, [{ role: 'roles/run.invoker', members: [`serviceAccount:${SA('runner')}`, `serviceAccount:${SA('tasks-invoker')}`] }]);

    const token = await idToken('binder');
    assert.deepEqual(await suite.project.call(token), { status: 403, denial: 'PERMISSION_DENIED' });
    await gcloud.ok(['run', 'services', 'add-iam-policy-binding', 'update', REGION, `--member=serviceAccount:${SA('binder')}`, '--role=roles/run.invoker']);
    assert.deepEqual(await suite.project.call(token), { status: 200, denial: null });
  });

  it('update --ingress=internal: a request from outside gets 404 INGRESS_BLOCKED at once; --ingress=all opens it again', async () => {
    const token = await idToken('tasks-invoker');
    assert.deepEqual(await suite.project.call(token), { status: 200, denial: null });
    await gcloud.ok(['run', 'services', 'update', 'update', REGION, '--ingress=internal']);
    assert.deepEqual(await suite.project.call(token), { status: 404, denial: 'INGRESS_BLOCKED' });
    const annotations = JSON.parse(await gcloud.ok(['run', 'services', 'describe', 'update', REGION, '--format=json(metadata.annotations)'])) as { metadata: { annotations: Record<string, string> } };
    assert.equal(annotations.metadata.annotations['run.googleapis.com/ingress'], 'internal');
    await gcloud.ok(['run', 'services', 'update', 'update', REGION, '--ingress=all']);
    assert.deepEqual(await suite.project.call(token), { status: 200, denial: null });
  });

  it('update --no-invoker-iam-check: no token needed; --invoker-iam-check: 403 TOKEN_MISSING again', async () => {
    assert.deepEqual(await suite.project.call(''), { status: 403, denial: 'TOKEN_MISSING' });
    await gcloud.ok(['run', 'services', 'update', 'update', REGION, '--no-invoker-iam-check']);
    assert.deepEqual(await suite.project.call(''), { status: 200, denial: null });
    await gcloud.ok(['run', 'services', 'update', 'update', REGION, '--invoker-iam-check']);
    assert.deepEqual(await suite.project.call(''), { status: 403, denial: 'TOKEN_MISSING' });
  });

  it('update --add-custom-audiences: a token for that audience is admitted (401 AUDIENCE_MISMATCH before)', async () => {
    const audience = 'https://api.example.com/update';
    const token = await suite.project.ap.platform.identity.mintIdToken((await suite.project.ap.platform.identity.findServiceAccount(SA('tasks-invoker')))!, { audience, includeEmail: true });
    assert.deepEqual(await suite.project.call(token), { status: 401, denial: 'AUDIENCE_MISMATCH' });
    await gcloud.ok(['run', 'services', 'update', 'update', REGION, `--add-custom-audiences=${audience}`]);
    assert.deepEqual(await suite.project.call(token), { status: 200, denial: null });
    const latest = (await suite.project.ap.platform.store.latestServiceVersions()).find((v) => v.service === 'update')!;
    assert.deepEqual(latest.settings.customAudiences, [audience], 'the change is kept in the store');
    assert.equal(latest.modifier, 'user:developer@example.com');
  });

  it('update --timeout: the front door\'s request timeout changes at once, and describe shows it', async () => {
    const entry = () => suite.project.ap.platform.directory.get('update')!;
    const declared = entry().config.timeout;
    await gcloud.ok(['run', 'services', 'update', 'update', REGION, '--timeout=7']);
    assert.equal(entry().config.timeout, 7_000);
    assert.equal(await gcloud.ok(['run', 'services', 'describe', 'update', REGION, '--format=value(spec.template.spec.timeoutSeconds)']), '7');
    // Other changes keep it.
    await gcloud.ok(['run', 'services', 'update', 'update', REGION, '--ingress=all']);
    assert.equal(entry().config.timeout, 7_000);
    await gcloud.ok(['run', 'services', 'update', 'update', REGION, `--timeout=${declared / 1000}`]);
    assert.equal(entry().config.timeout, declared);
  });

  it('update of what comes from authplane.yaml (--memory) is refused naming the field, and changes nothing', async () => {
    const before = (await suite.project.ap.platform.store.latestServiceVersions()).find((v) => v.service === 'update')!.generation;
    const r = await gcloud.run(['run', 'services', 'update', 'update', REGION, '--memory=1Gi']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /authplane cannot change spec\.template\.spec of a service/);
    assert.equal((await suite.project.ap.platform.store.latestServiceVersions()).find((v) => v.service === 'update')!.generation, before);
  });
});

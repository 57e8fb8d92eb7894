// The real gcloud (/usr/bin/gcloud) driving authplane's Google APIs, configured by `authplane gcloud`:
// `gcloud run services` (Knative v1 on the regional host through the API port's proxy step, v1 IAM on the
// global host), `gcloud tasks`, `gcloud iam service-accounts` and `gcloud config set project`. Each change
// made through gcloud is checked where it takes effect: at the Cloud Run front door, in task deliveries, in
// IAM. gcloud runs bounded and under a loopback guard that fails any lookup or connection off this machine.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { authplaneGcloud, GCLOUD_SKIP, type GcloudSession } from './support/gcloud.js';
import { SA, SERVICE_URL, startGcloudProject, type GcloudProject } from './support/gcloud-fixture.js';
import { waitFor } from './support/wait.js';

const REGION = '--region=us-central1';

interface Attempt {
  httpStatus: number | null;
  denial: string | null;
}

describe('gcloud run, tasks and iam against authplane (authplane gcloud)', { skip: GCLOUD_SKIP }, () => {
  let project: GcloudProject;
  let gcloud: GcloudSession;
  /** An ID token for `account` with the service's URL as audience, minted by authplane itself. */
  const idToken = async (account: string) => project.ap.platform.identity.mintIdToken((await project.ap.platform.identity.findServiceAccount(SA(account)))!, { audience: SERVICE_URL, includeEmail: true });
  const attemptsOf = async (taskName: string) => {
    const id = taskName.split('/').pop()!;
    const res = await project.ap.api(`/admin/v1/queues/upgrades/tasks/${id}/attempts`);
    return (await res.json()) as { task: { state: string } | null; attempts: Attempt[] };
  };

  before(async () => {
    project = await startGcloudProject();
    gcloud = await authplaneGcloud(project.ap.apiUrl);
  });
  after(async () => {
    await project?.stop();
    const left = gcloud?.guardViolations() ?? [];
    gcloud?.dispose();
    assert.deepEqual(left, [], 'gcloud tried to leave this machine');
  });

  describe('gcloud run services', () => {
    it('describe --format=value(status.url) prints the service URL; list shows it in its region, with or without --region', async () => {
      const entry = project.ap.platform.directory.get('update')!;
      assert.equal(await gcloud.ok(['run', 'services', 'describe', 'update', REGION, '--format=value(status.url)']), entry.urls.hashed);
      assert.equal(await gcloud.ok(['run', 'services', 'list', REGION, '--format=value(metadata.name,region)']), 'update\tus-central1');
      assert.equal(await gcloud.ok(['run', 'services', 'list', '--format=value(metadata.name)']), 'update');
    });

    it('get-iam-policy shows the config\'s bindings; add-iam-policy-binding takes effect at the front door', async () => {
      const policy = JSON.parse(await gcloud.ok(['run', 'services', 'get-iam-policy', 'update', REGION, '--format=json'])) as { bindings: { role: string; members: string[] }[] };
      assert.deepEqual(policy.bindings, [{ role: 'roles/run.invoker', members: [`serviceAccount:${SA('runner')}`, `serviceAccount:${SA('tasks-invoker')}`] }]);

      const token = await idToken('binder');
      assert.deepEqual(await project.call(token), { status: 403, denial: 'PERMISSION_DENIED' });
      await gcloud.ok(['run', 'services', 'add-iam-policy-binding', 'update', REGION, `--member=serviceAccount:${SA('binder')}`, '--role=roles/run.invoker']);
      assert.deepEqual(await project.call(token), { status: 200, denial: null });
    });

    it('update --ingress=internal: a request from outside gets 404 INGRESS_BLOCKED at once; --ingress=all opens it again', async () => {
      const token = await idToken('tasks-invoker');
      assert.deepEqual(await project.call(token), { status: 200, denial: null });
      await gcloud.ok(['run', 'services', 'update', 'update', REGION, '--ingress=internal']);
      assert.deepEqual(await project.call(token), { status: 404, denial: 'INGRESS_BLOCKED' });
      const annotations = JSON.parse(await gcloud.ok(['run', 'services', 'describe', 'update', REGION, '--format=json(metadata.annotations)'])) as { metadata: { annotations: Record<string, string> } };
      assert.equal(annotations.metadata.annotations['run.googleapis.com/ingress'], 'internal');
      await gcloud.ok(['run', 'services', 'update', 'update', REGION, '--ingress=all']);
      assert.deepEqual(await project.call(token), { status: 200, denial: null });
    });

    it('update --no-invoker-iam-check: no token needed; --invoker-iam-check: 403 TOKEN_MISSING again', async () => {
      assert.deepEqual(await project.call(''), { status: 403, denial: 'TOKEN_MISSING' });
      await gcloud.ok(['run', 'services', 'update', 'update', REGION, '--no-invoker-iam-check']);
      assert.deepEqual(await project.call(''), { status: 200, denial: null });
      await gcloud.ok(['run', 'services', 'update', 'update', REGION, '--invoker-iam-check']);
      assert.deepEqual(await project.call(''), { status: 403, denial: 'TOKEN_MISSING' });
    });

    it('update --add-custom-audiences: a token for that audience is admitted (401 AUDIENCE_MISMATCH before)', async () => {
      const audience = 'https://api.example.com/update';
      const token = await project.ap.platform.identity.mintIdToken((await project.ap.platform.identity.findServiceAccount(SA('tasks-invoker')))!, { audience, includeEmail: true });
      assert.deepEqual(await project.call(token), { status: 401, denial: 'AUDIENCE_MISMATCH' });
      await gcloud.ok(['run', 'services', 'update', 'update', REGION, `--add-custom-audiences=${audience}`]);
      assert.deepEqual(await project.call(token), { status: 200, denial: null });
      const latest = (await project.ap.platform.store.latestServiceVersions()).find((v) => v.service === 'update')!;
      assert.deepEqual(latest.settings.customAudiences, [audience], 'the change is kept in the store');
      assert.equal(latest.modifier, 'user:developer@example.com');
    });

    it('update of what comes from authplane.yaml (--memory) is refused naming the field, and changes nothing', async () => {
      const before = (await project.ap.platform.store.latestServiceVersions()).find((v) => v.service === 'update')!.generation;
      const r = await gcloud.run(['run', 'services', 'update', 'update', REGION, '--memory=1Gi']);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /authplane cannot change spec\.template\.spec of a service/);
      assert.equal((await project.ap.platform.store.latestServiceVersions()).find((v) => v.service === 'update')!.generation, before);
    });
  });

  describe('gcloud tasks', () => {
    it('queues list shows the queue', async () => {
      assert.equal(await gcloud.ok(['tasks', 'queues', 'list', '--location=us-central1', '--format=value(name.basename(),state)']), 'upgrades\tRUNNING');
    });

    it('create-http-task --oidc-service-account-email --method=PUT --body-content: delivered with its body', async () => {
      const out = await gcloud.ok(['tasks', 'create-http-task', '--queue=upgrades', '--location=us-central1', `--url=${SERVICE_URL}/`, `--oidc-service-account-email=${SA('tasks-invoker')}`, '--method=PUT', '--body-content={"version":"1.2.3"}', '--header=Content-Type:application/json', '--format=value(name)']);
      const id = out.split('/').pop()!;
      await waitFor('the delivery', () => project.received.some((r) => r.headers['x-cloudtasks-taskname'] === id));
      const got = project.received.find((r) => r.headers['x-cloudtasks-taskname'] === id)!;
      assert.equal(got.method, 'PUT');
      assert.equal(got.body, '{"version":"1.2.3"}');
      assert.equal(got.headers['content-type'], 'application/json');
      await waitFor('the task to be done', async () => (await attemptsOf(out)).task?.state === 'done');
      assert.deepEqual((await attemptsOf(out)).attempts.map((a) => [a.httpStatus, a.denial]), [[200, null]]);
    });

    it('with an account lacking roles/run.invoker: every attempt 403 PERMISSION_DENIED, retried until maxAttempts', async () => {
      const out = await gcloud.ok(['tasks', 'create-http-task', '--queue=upgrades', '--location=us-central1', `--url=${SERVICE_URL}/`, `--oidc-service-account-email=${SA('tasks-no-role')}`, '--method=PUT', '--body-content={}', '--format=value(name)']);
      await waitFor('the task to exhaust its attempts', async () => (await attemptsOf(out)).task?.state === 'failed');
      const { attempts } = await attemptsOf(out);
      assert.equal(attempts.length, 3, 'maxAttempts: 3');
      for (const a of attempts) assert.deepEqual([a.httpStatus, a.denial], [403, 'PERMISSION_DENIED']);
    });
  });

  describe('gcloud iam service-accounts and config', () => {
    it('list shows the project\'s accounts and hides the IAP service agent', async () => {
      const emails = (await gcloud.ok(['iam', 'service-accounts', 'list', '--format=value(email)'])).split('\n');
      assert.ok(emails.includes(SA('tasks-invoker')), emails.join(', '));
      assert.ok(!emails.some((e) => e.includes('gcp-sa-iap')), `the IAP agent is listed: ${emails.join(', ')}`);
      assert.ok(await project.ap.platform.identity.findServiceAccount(project.ap.platform.identity.iapServiceAgent), 'the agent exists all the same');
    });

    it('keys create / list / delete: a key file\'s key is USER_MANAGED beside the system-managed one, and gone once deleted', async () => {
      const account = `--iam-account=${SA('caller')}`;
      const file = `${gcloud.dir}/caller-key.json`;
      await gcloud.ok(['iam', 'service-accounts', 'keys', 'create', file, account]);
      const created = (JSON.parse((await import('node:fs')).readFileSync(file, 'utf8')) as { private_key_id: string }).private_key_id;
      const keys = (await gcloud.ok(['iam', 'service-accounts', 'keys', 'list', account, '--format=value(name.basename(),keyType)'])).split('\n').map((l) => l.split('\t'));
      assert.deepEqual(keys.filter(([, type]) => type === 'USER_MANAGED').map(([id]) => id), [created]);
      assert.ok(keys.some(([, type]) => type === 'SYSTEM_MANAGED'), 'a system-managed key is listed too');
      await gcloud.ok(['iam', 'service-accounts', 'keys', 'delete', created, account]);
      assert.equal(await gcloud.ok(['iam', 'service-accounts', 'keys', 'list', account, '--managed-by=user', '--format=value(name.basename())']), '');
    });

    it('add-iam-policy-binding on a service account: the binding is in IAM', async () => {
      await gcloud.ok(['iam', 'service-accounts', 'add-iam-policy-binding', SA('tasks-no-role'), '--member=user:alice@example.com', '--role=roles/iam.serviceAccountTokenCreator']);
      const decision = project.ap.platform.iam.check('user:alice@example.com', 'iam.serviceAccounts.getOpenIdToken', `serviceAccounts/${SA('tasks-no-role')}`);
      assert.equal(decision.allowed, true);
    });

    it('config set project reads the project from Resource Manager without a warning', async () => {
      const r = await gcloud.run(['config', 'set', 'project', 'demo-project']);
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stderr, /WARNING/);
    });
  });
});

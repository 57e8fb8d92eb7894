// The real gcloud (/usr/bin/gcloud) driving authplane's Cloud Tasks, IAM and Resource Manager APIs,
// configured by `authplane gcloud`: tasks are checked in their deliveries and attempts, IAM changes in IAM.
// gcloud runs bounded and under a loopback guard that fails any lookup or connection off this machine.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import { GCLOUD_SKIP, gcloudSuite, type GcloudSession } from './support/gcloud.js';
import { SA, SERVICE_URL } from './support/gcloud-fixture.js';
import { waitFor } from './support/wait.js';

interface Attempt {
  httpStatus: number | null;
  denial: string | null;
}

describe('gcloud tasks, iam service-accounts and config against authplane (authplane gcloud)', { skip: GCLOUD_SKIP }, () => {
  const suite = gcloudSuite();
  let gcloud: GcloudSession;
  const attemptsOf = async (taskName: string) => {
    const res = await suite.project.ap.api(`/admin/v1/queues/upgrades/tasks/${taskName.split('/').pop()}/attempts`);
    return (await res.json()) as { task: { state: string } | null; attempts: Attempt[] };
  };

  before(async () => {
    gcloud = await suite.signIn();
  });

  describe('gcloud tasks', () => {
    it('queues list shows the queue', async () => {
      assert.equal(await gcloud.ok(['tasks', 'queues', 'list', '--location=us-central1', '--format=value(name.basename(),state)']), 'upgrades\tRUNNING');
    });

    it('create-http-task --oidc-service-account-email --method=PUT --body-content: delivered with its body', async () => {
      const out = await gcloud.ok(['tasks', 'create-http-task', '--queue=upgrades', '--location=us-central1', `--url=${SERVICE_URL}/`, `--oidc-service-account-email=${SA('tasks-invoker')}`, '--method=PUT', '--body-content={"version":"1.2.3"}', '--header=Content-Type:application/json', '--format=value(name)']);
      const id = out.split('/').pop()!;
      await waitFor('the delivery', () => suite.project.received.some((r) => r.headers['x-cloudtasks-taskname'] === id));
      const got = suite.project.received.find((r) => r.headers['x-cloudtasks-taskname'] === id)!;
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
      assert.ok(await suite.project.ap.platform.identity.findServiceAccount(suite.project.ap.platform.identity.iapServiceAgent), 'the agent exists all the same');
    });

    it('keys create / list / delete: a key file\'s key is USER_MANAGED beside the system-managed one, and gone once deleted', async () => {
      const account = `--iam-account=${SA('caller')}`;
      const file = `${gcloud.dir}/caller-key.json`;
      await gcloud.ok(['iam', 'service-accounts', 'keys', 'create', file, account]);
      const created = (JSON.parse(readFileSync(file, 'utf8')) as { private_key_id: string }).private_key_id;
      const keys = (await gcloud.ok(['iam', 'service-accounts', 'keys', 'list', account, '--format=value(name.basename(),keyType)'])).split('\n').map((l) => l.split('\t'));
      assert.deepEqual(keys.filter(([, type]) => type === 'USER_MANAGED').map(([id]) => id), [created]);
      assert.ok(keys.some(([, type]) => type === 'SYSTEM_MANAGED'), 'a system-managed key is listed too');
      await gcloud.ok(['iam', 'service-accounts', 'keys', 'delete', created, account]);
      assert.equal(await gcloud.ok(['iam', 'service-accounts', 'keys', 'list', account, '--managed-by=user', '--format=value(name.basename())']), '');
    });

    it('add-iam-policy-binding on a service account: the binding is in IAM', async () => {
      await gcloud.ok(['iam', 'service-accounts', 'add-iam-policy-binding', SA('tasks-no-role'), '--member=user:alice@example.com', '--role=roles/iam.serviceAccountTokenCreator']);
      const decision = suite.project.ap.platform.iam.check('user:alice@example.com', 'iam.serviceAccounts.getOpenIdToken', `serviceAccounts/${SA('tasks-no-role')}`);
      assert.equal(decision.allowed, true);
    });

    it('config set project reads the project from Resource Manager without a warning', async () => {
      const r = await gcloud.run(['config', 'set', 'project', 'demo-project']);
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stderr, /WARNING/);
    });
  });
});

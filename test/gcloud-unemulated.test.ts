// What the real gcloud prints for the methods gcloud users commonly call that authplane does not emulate
// a NOT_SUPPORTED (UNIMPLEMENTED) refusal naming the method and the fix (authplane.yaml), never a 404 that
// gcloud shows as a missing project or resource; and English-like Cloud Scheduler schedules, valid on
// Google, refused as not emulated with their unix-cron equivalent — while a truly invalid schedule stays
// INVALID_ARGUMENT.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { GCLOUD_SKIP, gcloudSuite, type GcloudSession } from './support/gcloud.js';
import { SA, SERVICE_URL, startGcloudProject } from './support/gcloud-fixture.js';

const REGION = '--region=us-central1';

describe('gcloud methods authplane does not emulate (authplane gcloud)', { skip: GCLOUD_SKIP }, () => {
  const suite = gcloudSuite();
  let gcloud: GcloudSession;
  /** Every entry of authplane's request log (newest first), from its admin API. */
  const logged = async () => ((await (await suite.project.ap.api('/admin/v1/requests?limit=1000')).json()) as { requests: { id: string; code?: string; method: string; path: string }[] }).requests;
  /**
   * Runs gcloud, expects a failure, returns what it printed; fails when gcloud sent the refused request more than
   * once (its retries on 5xx): counted in authplane's request log, so the machine's speed does not matter.
   */
  const refused = async (args: string[]) => {
    const seen = new Set((await logged()).map((e) => e.id));
    const r = await gcloud.run(args);
    assert.notEqual(r.code, 0, `gcloud ${args.join(' ')} succeeded:\n${r.stdout}`);
    const refusals = (await logged()).filter((e) => !seen.has(e.id) && e.code !== undefined);
    assert.equal(refusals.length, 1, `gcloud ${args.join(' ')} was refused ${refusals.length} times (it retried the refusal): ${refusals.map((e) => `${e.method} ${e.path} ${e.code}`).join(', ')}`);
    assert.doesNotMatch(r.stderr, /not found|NOT_FOUND|is not allowed/i);
    return r.stderr;
  };

  before(async () => {
    gcloud = await suite.signIn();
  });

  it('iam service-accounts delete / update / disable / enable: NOT_SUPPORTED naming the method', async () => {
    const email = SA('binder');
    for (const [args, method] of [
      [['iam', 'service-accounts', 'delete', email], 'delete'],
      [['iam', 'service-accounts', 'update', email, '--display-name=Other'], 'patch'],
      [['iam', 'service-accounts', 'disable', email], 'disable'],
      [['iam', 'service-accounts', 'enable', email], 'enable'],
    ] as const) {
      const err = await refused([...args]);
      assert.match(err, new RegExp(`projects\\.serviceAccounts\\.${method}\\) is not emulated by authplane`), err);
      assert.match(err, /authplane\.yaml/);
    }
    // The account is still there, as declared.
    assert.equal(await gcloud.ok(['iam', 'service-accounts', 'describe', email, '--format=value(email)']), email);
  });

  it('run services delete and revisions delete: NOT_SUPPORTED saying services come from authplane.yaml', async () => {
    const err = await refused(['run', 'services', 'delete', 'update', REGION]);
    assert.match(err, /Deleting Cloud Run services \(namespaces\.services\.delete\) is not emulated by authplane/);
    assert.match(err, /services:/);
    const revision = await gcloud.ok(['run', 'services', 'describe', 'update', REGION, '--format=value(status.latestReadyRevisionName)']);
    assert.match(await refused(['run', 'revisions', 'delete', revision, REGION]), /namespaces\.revisions\.delete\) is not emulated by authplane/);
    assert.equal(await gcloud.ok(['run', 'services', 'list', REGION, '--format=value(metadata.name)']), 'update');
  });

  it('scheduler jobs create http --schedule="every 5 minutes": not emulated, with the unix-cron equivalent; "61 * * * *" stays INVALID_ARGUMENT', async () => {
    const create = (name: string, schedule: string) => ['scheduler', 'jobs', 'create', 'http', name, '--location=us-central1', `--schedule=${schedule}`, `--uri=${SERVICE_URL}/`, `--oidc-service-account-email=${SA('tasks-invoker')}`];
    const english = await refused(create('every5', 'every 5 minutes'));
    assert.match(english, /English-like \(App Engine cron\) schedule/);
    assert.doesNotMatch(english, /not a valid/);
    assert.match(english, /\*\/5 \* \* \* \*/);
    const invalid = await refused(create('bad', '61 * * * *'));
    assert.match(invalid, /INVALID_ARGUMENT: Schedule "61 \* \* \* \*" is not a valid unix-cron schedule/);
    // The unix-cron equivalent is taken.
    await gcloud.ok(create('every5', '*/5 * * * *'));
  });
});

describe('any other method on a path authplane serves: NOT_SUPPORTED naming what it serves there, not a 404', () => {
  it('PATCH a Cloud Tasks task, PUT Cloud Run IAM: 400 UNIMPLEMENTED with the fix; an unknown URL stays 404', async () => {
    const project = await startGcloudProject();
    try {
      const send = async (method: string, path: string) => {
        const r = await fetch(project.ap.apiUrl + path, { method, headers: { 'content-type': 'application/json' }, ...(method === 'GET' ? {} : { body: '{}' }) });
        return { status: r.status, denial: r.headers.get('x-authplane-denial'), body: (await r.json()) as { error: { status: string; message: string } } };
      };
      const task = await send('PATCH', '/v2/projects/demo-project/locations/us-central1/queues/upgrades/tasks/t1');
      assert.deepEqual([task.status, task.denial, task.body.error.status], [400, 'NOT_SUPPORTED', 'UNIMPLEMENTED']);
      assert.match(task.body.error.message, /^authplane does not emulate PATCH \/v2\/projects\/demo-project\/locations\/us-central1\/queues\/upgrades\/tasks\/t1; it serves DELETE, GET there\. Make the change in authplane\.yaml/);
      const iam = await send('PUT', '/v1/projects/demo-project/locations/us-central1/services/update:setIamPolicy');
      assert.deepEqual([iam.status, iam.denial], [400, 'NOT_SUPPORTED']);
      assert.match(iam.body.error.message, /it serves POST there/);
      const unknown = await send('GET', '/v1/projects/demo-project/nothing-here');
      assert.deepEqual([unknown.status, unknown.denial, unknown.body.error.status], [404, 'RESOURCE_NOT_FOUND', 'NOT_FOUND']);
    } finally {
      await project.stop();
    }
  });
});

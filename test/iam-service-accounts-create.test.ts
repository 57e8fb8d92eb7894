// IAM projects.serviceAccounts.create as gcloud and REST clients call it: the account is made (409
// ALREADY_EXISTS the second time, Google's words for a bad account ID), kept in the store — it outlives a
// restart, and a second authplane on the same PostgreSQL sees it and cannot create it again — and then works
// as a declared account does: IAM bindings, impersonated tokens, admission at a front door.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestAuthplane } from './support/authplane.js';
import { GCLOUD_SKIP, gcloudSuite, type GcloudSession } from './support/gcloud.js';
import { SERVICE_URL, SA } from './support/gcloud-fixture.js';
import { freshDatabase, stopPostgres } from './support/postgres.js';

const REGION = '--region=us-central1';
type Obj = Record<string, any>;

const create = (apiUrl: string, body: unknown) =>
  fetch(`${apiUrl}/v1/projects/demo-project/serviceAccounts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(async (r) => ({ status: r.status, body: (await r.json()) as Obj }));
const getAccount = (apiUrl: string, email: string) => fetch(`${apiUrl}/v1/projects/demo-project/serviceAccounts/${email}`).then(async (r) => ({ status: r.status, body: (await r.json()) as Obj }));

describe('gcloud iam service-accounts create (authplane gcloud)', { skip: GCLOUD_SKIP }, () => {
  const suite = gcloudSuite();
  let gcloud: GcloudSession;
  before(async () => {
    gcloud = await suite.signIn();
  });

  it('creates the account; describe and list show it; a second create is 409 in Google\'s words', async () => {
    const r = await gcloud.run(['iam', 'service-accounts', 'create', 'newsa1', '--display-name=New one', '--description=Made by gcloud']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Created service account \[newsa1\]/);
    assert.equal(await gcloud.ok(['iam', 'service-accounts', 'describe', SA('newsa1'), '--format=value(email,displayName,description)']), `${SA('newsa1')}\tNew one\tMade by gcloud`);
    assert.ok((await gcloud.ok(['iam', 'service-accounts', 'list', '--format=value(email)'])).split('\n').includes(SA('newsa1')));
    const again = await gcloud.run(['iam', 'service-accounts', 'create', 'newsa1']);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /Service account newsa1 already exists within project projects\/demo-project\./);
  });

  it('the new account works: an invoker binding through gcloud, an impersonated ID token, admitted at the front door', async () => {
    await gcloud.ok(['iam', 'service-accounts', 'create', 'newsa2']);
    const token = await gcloud.ok(['auth', 'print-identity-token', `--impersonate-service-account=${SA('newsa2')}`, `--audiences=${SERVICE_URL}`, '--include-email']);
    assert.deepEqual(await suite.project.call(token), { status: 403, denial: 'PERMISSION_DENIED' });
    await gcloud.ok(['run', 'services', 'add-iam-policy-binding', 'update', REGION, `--member=serviceAccount:${SA('newsa2')}`, '--role=roles/run.invoker']);
    assert.deepEqual(await suite.project.call(token), { status: 200, denial: null });
  });

  it('bad requests get INVALID_ARGUMENT naming the field', async () => {
    const api = suite.project.ap.apiUrl;
    const cases: [unknown, string, RegExp][] = [
      [{ accountId: 'short' }, 'account_id', /^The account ID "short" does not have a length between 6 and 30\.$/],
      [{ accountId: 'a'.repeat(31) }, 'account_id', /does not have a length between 6 and 30/],
      [{ accountId: 'Upper-case' }, 'account_id', /must match the regular expression/],
      [{ accountId: 'ends-with-' }, 'account_id', /must match the regular expression/],
      [{ accountId: '9starts' }, 'account_id', /must match the regular expression/],
      [{}, 'account_id', /required/],
      [{ accountId: 'longname', serviceAccount: { displayName: 'x'.repeat(101) } }, 'service_account.display_name', /100/],
      [{ accountId: 'longname', serviceAccount: { description: 'x'.repeat(257) } }, 'service_account.description', /256/],
      [{ accountId: 'longname', serviceAccount: { email: 'x@y' } }, 'service_account.email', /not user-assignable/],
      [{ accountId: 'longname', extra: 1 }, 'extra', /Unknown name "extra"/],
    ];
    for (const [body, field, message] of cases) {
      const r = await create(api, body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.body.error.status, 'INVALID_ARGUMENT');
      assert.match(r.body.error.message, message);
      assert.ok(JSON.stringify(r.body).includes(field), `${JSON.stringify(body)} names ${field}: ${JSON.stringify(r.body)}`);
    }
    assert.equal((await getAccount(api, SA('longname'))).status, 404);
  });
});

describe('projects.serviceAccounts.create is kept in the store', () => {
  after(async () => stopPostgres());

  it('SQLite: the account outlives a restart, with its unique id', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'authplane-sa-create-'));
    try {
      let ap = await startTestAuthplane({ defaultPrincipal: 'user:developer@example.com' }, { dataDir });
      const made = await create(ap.apiUrl, { accountId: 'durable', serviceAccount: { displayName: 'Durable' } });
      await ap.stop();
      assert.equal(made.status, 200, JSON.stringify(made.body));
      ap = await startTestAuthplane({ defaultPrincipal: 'user:developer@example.com' }, { dataDir });
      try {
        const got = await getAccount(ap.apiUrl, SA('durable'));
        assert.equal(got.status, 200);
        assert.deepEqual([got.body.uniqueId, got.body.displayName], [made.body.uniqueId, 'Durable']);
      } finally {
        await ap.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('PostgreSQL: another authplane on the same database sees it; of two concurrent creates, one wins and one is 409', async () => {
    const databaseUrl = await freshDatabase();
    const a = await startTestAuthplane({ defaultPrincipal: 'user:developer@example.com' }, { databaseUrl });
    const b = await startTestAuthplane({ defaultPrincipal: 'user:developer@example.com' }, { databaseUrl });
    try {
      assert.equal((await create(a.apiUrl, { accountId: 'shared-sa' })).status, 200);
      assert.equal((await getAccount(b.apiUrl, SA('shared-sa'))).status, 200);
      assert.equal((await create(b.apiUrl, { accountId: 'shared-sa' })).status, 409);
      const both = await Promise.all([create(a.apiUrl, { accountId: 'raced-sa' }), create(b.apiUrl, { accountId: 'raced-sa' })]);
      assert.deepEqual(both.map((r) => r.status).sort(), [200, 409]);
      assert.equal(both.find((r) => r.status === 409)!.body.error.status, 'ALREADY_EXISTS');
    } finally {
      await a.stop();
      await b.stop();
    }
  });
});

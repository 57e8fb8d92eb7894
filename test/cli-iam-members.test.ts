// `authplane iam add` (CLI → admin API) refuses the members Google's setIamPolicy refuses, in the same
// words: a bad member stored once made every later read-modify-write of the policy (gcloud
// add-iam-policy-binding, a REST getIamPolicy → setIamPolicy) fail on it.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestAuthplane, type TestAuthplane } from './support/authplane.js';
import { runCli } from './support/cli.js';

const SERVICE = '/v2/projects/demo-project/locations/us-central1/services/update';

describe('authplane iam add validates members as setIamPolicy does', () => {
  let ap: TestAuthplane;
  const cli = (...args: string[]) => runCli(args, { env: { AUTHPLANE_URL: ap.apiUrl } });

  before(async () => {
    ap = await startTestAuthplane({ serviceAccounts: [{ name: 'tasks-invoker' }], services: [{ name: 'update', upstream: 'http://127.0.0.1:9' }] });
  });
  after(async () => {
    await ap?.stop();
  });

  /** What REST setIamPolicy answers for a policy binding `member` (the one validator). */
  async function setIamPolicyMessage(member: string): Promise<string> {
    const r = await ap.api(`${SERVICE}:setIamPolicy`, { method: 'POST', body: JSON.stringify({ policy: { bindings: [{ role: 'roles/run.invoker', members: [member] }] } }) });
    assert.equal(r.status, 400);
    return ((await r.json()) as { error: { message: string } }).error.message;
  }

  for (const [member, words] of [
    ['user:nobody', 'User nobody does not exist.'],
    ['user:bob@', 'User bob@ does not exist.'],
    ['domain:not a domain', 'Domain not a domain does not exist.'],
    ['group:x', 'Group x does not exist.'],
    ['user:tasks-invoker@demo-project.iam.gserviceaccount.com', 'Account tasks-invoker@demo-project.iam.gserviceaccount.com is of type "serviceAccount". Please set the type prefix to be "serviceAccount:".'],
  ]) {
    it(`iam add … ${member}: exit 2 with setIamPolicy's words, nothing stored`, async () => {
      assert.equal(await setIamPolicyMessage(member!), words);
      const r = await cli('iam', 'add', 'services/update', 'roles/run.invoker', member!);
      assert.equal(r.code, 2, `${r.stdout}${r.stderr}`);
      assert.ok(r.stderr.includes(words!), r.stderr);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    });
  }

  it('after the refusals the policy holds no bad member, and a read-modify-write setIamPolicy (as gcloud add-iam-policy-binding does) succeeds', async () => {
    const added = await cli('iam', 'add', 'services/update', 'roles/run.invoker', 'user:bob@example.com');
    assert.equal(added.code, 0, added.stderr);
    const got = await ap.api(`${SERVICE}:getIamPolicy`, { method: 'POST', body: '{}' });
    const policy = (await got.json()) as { etag: string; bindings: { role: string; members: string[] }[] };
    assert.deepEqual(policy.bindings, [{ role: 'roles/run.invoker', members: ['user:bob@example.com'] }]);
    const set = await ap.api(`${SERVICE}:setIamPolicy`, {
      method: 'POST',
      body: JSON.stringify({ policy: { etag: policy.etag, bindings: [...policy.bindings, { role: 'roles/run.invoker', members: ['serviceAccount:tasks-invoker@demo-project.iam.gserviceaccount.com'] }] } }),
    });
    assert.equal(set.status, 200, await set.text());
  });
});

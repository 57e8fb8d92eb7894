// Access tokens are recorded in the store with their expiry and swept once expired, so a long-running
// emulator's token table does not grow without bound.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestAuthplane, type TestAuthplane } from './support/authplane.js';

let ap: TestAuthplane;
let now = 1_800_000_000_000;
before(async () => {
  ap = await startTestAuthplane({ serviceAccounts: [{ name: 'worker-sa' }] }, { clock: () => now });
});
after(() => ap?.stop());

test('expired access tokens stop resolving and are swept from the store; live ones stay', async () => {
  const { identity } = ap.platform;
  const member = 'serviceAccount:worker-sa@demo-project.iam.gserviceaccount.com';
  const short = await identity.mintAccessToken(member, undefined, 60);
  const long = await identity.mintAccessToken(member, undefined, 3600);
  assert.equal((await identity.resolveAccessToken(short.token))?.principal, member);

  now += 61_000;
  assert.equal(await identity.resolveAccessToken(short.token), null, 'expired: no longer a credential');
  assert.equal(await identity.sweep(), 1, 'the store deletes exactly the expired token');
  assert.equal(await ap.platform.store.getAccessToken(short.record.tokenHash), null);
  assert.equal((await identity.resolveAccessToken(long.token))?.principal, member);
  assert.equal(await identity.sweep(), 0);
});

// Two `authplane start` processes on one PostgreSQL form one emulator: the same signing keys, the
// same IAM, the same access tokens. Both are real child processes of the CLI, started together on
// an empty database (so migrations and first-start key creation race, as they would in real use).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { startCli, type StartedCli } from './support/cli.js';
import { freshDatabase, stopPostgres } from './support/postgres.js';
import { waitFor } from './support/wait.js';

const PROJECT = 'demo-project';
const sa = (name: string) => `${name}@${PROJECT}.iam.gserviceaccount.com`;
const AUDIENCE = 'https://update-abcdefghij-uc.a.run.app';

const CONFIG = `
project: { id: ${PROJECT}, number: "123456789012", region: us-central1 }
server: { host: 127.0.0.1, apiPort: 0, grpcPort: 0 }
iam:
  propagation: { min: 0s, max: 0s }
  bindings:
    # As on Google, owner alone may not mint tokens for service accounts (the demo grants this too).
    - { resource: projects/${PROJECT}, role: roles/iam.serviceAccountTokenCreator, members: ["user:developer@example.com"] }
serviceAccounts:
  - { name: tasks-invoker }
  - { name: runner-one }
  - { name: target-account }
workloads:
  - { name: scheduler, serviceAccount: tasks-invoker, metadataPort: 0 }
`;

async function json<T>(res: Response): Promise<T> {
  const text = await res.text();
  assert.ok(res.ok, `${res.url}: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

const kidsOf = async (api: string) => (await json<{ keys: { kid: string }[] }>(await fetch(`${api}/oauth2/v3/certs`))).keys.map((k) => k.kid).sort();

describe('two processes on one PostgreSQL', () => {
  let dir: string;
  let a: StartedCli;
  let b: StartedCli;
  let apiA: string;
  let apiB: string;

  before(async () => {
    const databaseUrl = await freshDatabase();
    dir = mkdtempSync(join(tmpdir(), 'authplane-mp-'));
    const config = join(dir, 'authplane.yaml');
    writeFileSync(config, CONFIG);
    [a, b] = await Promise.all(
      ['a', 'b'].map((n) => startCli(['--config', config, '--database', databaseUrl, '--data', join(dir, n)], { env: { AUTHPLANE_DATABASE_URL: '' } })),
    ) as [StartedCli, StartedCli];
    apiA = a.url('api');
    apiB = b.url('api');
  });

  after(async () => {
    // By pid, each process we started; then the database server.
    const exits = await Promise.all([a?.stop(), b?.stop()]);
    await stopPostgres();
    rmSync(dir, { recursive: true, force: true });
    for (const e of exits) if (e) assert.equal(e.code, 0, 'SIGTERM shuts down cleanly');
  });

  it('serve identical JWKS', async () => {
    assert.notEqual(apiA, apiB);
    const [ka, kb] = await Promise.all([kidsOf(apiA), kidsOf(apiB)]);
    assert.equal(ka.length, 1, 'one RS256 key although both processes started on an empty database');
    assert.deepEqual(ka, kb);
    const [pa, pb] = await Promise.all([json(await fetch(`${apiA}/oauth2/v1/certs`)), json(await fetch(`${apiB}/oauth2/v1/certs`))]);
    assert.deepEqual(pa, pb);
  });

  it("an ID token minted by one (metadata server and IAM Credentials) verifies against the other's JWKS", async () => {
    const jwksB = createRemoteJWKSet(new URL(`${apiB}/oauth2/v3/certs`));
    const md = a.url('metadata scheduler');
    const res = await fetch(`${md}/computeMetadata/v1/instance/service-accounts/default/identity?audience=${encodeURIComponent(AUDIENCE)}&format=full`, {
      headers: { 'Metadata-Flavor': 'Google' },
    });
    assert.equal(res.status, 200, await res.clone().text());
    const fromMetadata = await res.text();
    const v1 = await jwtVerify(fromMetadata, jwksB, { issuer: 'https://accounts.google.com', audience: AUDIENCE, algorithms: ['RS256'] });
    assert.equal(v1.payload.email, sa('tasks-invoker'));

    const { token } = await json<{ token: string }>(await post(`${apiA}/v1/projects/-/serviceAccounts/${sa('runner-one')}:generateIdToken`, { audience: AUDIENCE, includeEmail: true }));
    const v2 = await jwtVerify(token, jwksB, { issuer: 'https://accounts.google.com', audience: AUDIENCE });
    assert.equal(v2.payload.email, sa('runner-one'));
  });

  it('an access token minted by one is known to the other', async () => {
    const { accessToken } = await json<{ accessToken: string }>(
      await post(`${apiA}/v1/projects/-/serviceAccounts/${sa('runner-one')}:generateAccessToken`, { scope: ['https://www.googleapis.com/auth/cloud-platform'] }),
    );
    const info = await json<{ email?: string; scope?: string }>(await fetch(`${apiB}/oauth2/v3/tokeninfo?access_token=${encodeURIComponent(accessToken)}`));
    assert.equal(info.email, sa('runner-one'));
  });

  it('a setIamPolicy through one is visible through the other, in getIamPolicy and in checks', async () => {
    const resource = `${apiA}/v1/projects/-/serviceAccounts/${sa('target-account')}`;
    const { accessToken: runnerToken } = await json<{ accessToken: string }>(
      await post(`${apiA}/v1/projects/-/serviceAccounts/${sa('runner-one')}:generateAccessToken`, { scope: ['https://www.googleapis.com/auth/cloud-platform'] }),
    );
    const asRunner = { authorization: `Bearer ${runnerToken}` };
    const mintOnB = () => post(`${apiB}/v1/projects/-/serviceAccounts/${sa('target-account')}:generateIdToken`, { audience: AUDIENCE }, asRunner);
    // Before the grant, B refuses runner-one (so the later success proves the grant travelled).
    assert.equal((await mintOnB()).status, 403);

    const set = await json<{ etag: string; bindings: { role: string; members: string[] }[] }>(
      await post(`${resource}:setIamPolicy`, {
        policy: { bindings: [{ role: 'roles/iam.serviceAccountTokenCreator', members: [`serviceAccount:${sa('runner-one')}`] }] },
      }),
    );
    const getOnB = `${apiB}/v1/projects/-/serviceAccounts/${sa('target-account')}:getIamPolicy`;
    // (How soon is a matter of the follower's polling; this asserts that it arrives, not a latency.)
    await waitFor('the policy on the other process', async () => (await json<{ etag: string }>(await post(getOnB, {}))).etag === set.etag);
    const seen = await json<{ bindings: unknown }>(await post(getOnB, {}));
    assert.deepEqual(seen.bindings, set.bindings);
    await waitFor('the grant in decisions on the other process', async () => (await mintOnB()).status === 200);
  });

  it("a key rotation on one shows in the other's JWKS, and the old key stays published", async () => {
    const before = await kidsOf(apiB);
    const { kid } = await json<{ kid: string }>(await post(`${apiA}/admin/v1/keys:rotate`, { alg: 'RS256' }));
    assert.ok(!before.includes(kid));
    assert.deepEqual(await kidsOf(apiA), [...before, kid].sort(), 'the rotating process publishes old and new at once');
    // A token the rotating process signs with its new key passes the other's tokeninfo (which
    // re-reads keys on an unknown kid, at most once a second).
    const fresh = await json<{ token: string }>(await post(`${apiA}/v1/projects/-/serviceAccounts/${sa('runner-one')}:generateIdToken`, { audience: AUDIENCE }));
    assert.equal(decodeProtectedHeader(fresh.token).kid, kid);
    await waitFor("the new kid in the other process's tokeninfo", async () => (await fetch(`${apiB}/tokeninfo?id_token=${fresh.token}`)).status === 200);
    const info = await json<{ aud: string; kid: string }>(await fetch(`${apiB}/tokeninfo?id_token=${fresh.token}`));
    assert.deepEqual([info.aud, info.kid], [AUDIENCE, kid]);
    // The other process re-reads published keys at most every 5 s.
    await waitFor("the new kid in the other process's JWKS", async () => (await kidsOf(apiB)).includes(kid));
    assert.deepEqual(await kidsOf(apiB), [...before, kid].sort());
    // And the other process now signs with the new key.
    const { token } = await json<{ token: string }>(await post(`${apiB}/v1/projects/-/serviceAccounts/${sa('runner-one')}:generateIdToken`, { audience: AUDIENCE }));
    assert.equal(decodeProtectedHeader(token).kid, kid);
  });
});

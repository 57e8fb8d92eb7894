// authplane/client against a real authplane: metadata server, impersonation with delegates, a key file made
// through the IAM API; audience derivation and its warnings; header choice; the token cache.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  AudienceWarning,
  createAuthorizedFetch,
  deriveAudience,
  IdTokenClient,
  impersonatedSource,
  keyFileSource,
  TokenCache,
  TokenFetchError,
  type Token,
} from '../src/client/index.js';
import { decodeJwt } from '../src/lib/jwt.js';
import { startTestAuthplane, type TestAuthplane } from './support/authplane.js';

const SA = (name: string) => `${name}@demo-project.iam.gserviceaccount.com`;
const claimsOf = (t: string) => decodeJwt(t)!.claims;

describe('deriveAudience (Google\'s rules)', () => {
  it('run.app and hash-style URLs → origin; generic URLs → origin; cloudfunctions.net → the function URL', () => {
    assert.deepEqual(deriveAudience('https://update-123456789012.us-central1.run.app/orders/1?x=1'), { audience: 'https://update-123456789012.us-central1.run.app', rule: 'origin', warnings: [] });
    assert.equal(deriveAudience('https://update-abcdefghij-uc.a.run.app/').audience, 'https://update-abcdefghij-uc.a.run.app');
    assert.equal(deriveAudience('http://127.0.0.1:9001/x').audience, 'http://127.0.0.1:9001');
    assert.deepEqual(deriveAudience('https://us-central1-demo-project.cloudfunctions.net/update-fn/sub?q=1'), {
      audience: 'https://us-central1-demo-project.cloudfunctions.net/update-fn',
      rule: 'function-url',
      warnings: [],
    });
  });

  it('a custom audience the target would refuse carries typed warnings with the hint and the fix', () => {
    const url = 'https://update-123456789012.us-central1.run.app/update';
    const path = deriveAudience(url, 'https://update-123456789012.us-central1.run.app/update');
    assert.equal(path.rule, 'custom');
    assert.equal(path.warnings.length, 1);
    const w = path.warnings[0]!;
    assert.ok(w instanceof AudienceWarning);
    assert.equal(w.code, 'AUDIENCE_HAS_PATH');
    assert.equal(w.hint, 'path');
    assert.equal(w.refusalCode, 'AUDIENCE_MISMATCH');
    assert.equal(w.suggestedAudience, 'https://update-123456789012.us-central1.run.app');
    assert.equal(deriveAudience(url, 'update-123456789012.us-central1.run.app:443').warnings[0]!.code, 'AUDIENCE_NO_SCHEME');
    assert.equal(deriveAudience(url, 'https://update-123456789012.us-central1.run.app:443').warnings[0]!.code, 'AUDIENCE_HAS_PORT');
    assert.equal(deriveAudience(url, 'https://us-central1-demo-project.cloudfunctions.net/update-fn').warnings[0]!.code, 'AUDIENCE_URL_FAMILY');
    assert.deepEqual(deriveAudience(url, 'https://update-123456789012.us-central1.run.app/').warnings, []);
    assert.deepEqual(deriveAudience(url, 'https://api.example.com/custom').warnings, [], 'custom audiences on other hosts are legitimate');
    assert.throws(() => deriveAudience('/relative'), TypeError);
  });
});

describe('TokenCache', () => {
  it('reuses a token until 5 minutes before exp, and concurrent callers share one fetch', async () => {
    let now = 1_000_000;
    const cache = new TokenCache({ clock: () => now });
    let n = 0;
    // The first fetch stays open until all 20 callers have asked: they overlap by construction.
    let open = () => undefined as void;
    const gate = new Promise<void>((r) => (open = r));
    const fetchToken = async (): Promise<Token> => {
      n++;
      if (n === 1) await gate;
      return { token: `t${n}`, expiresAt: now + 3600_000 };
    };
    const pending = Array.from({ length: 20 }, () => cache.get('aud', fetchToken));
    open();
    const all = await Promise.all(pending);
    assert.equal(n, 1);
    assert.ok(all.every((t) => t.token === 't1'));
    now += 54 * 60_000;
    assert.equal((await cache.get('aud', fetchToken)).token, 't1', '6 minutes left: reused');
    now += 2 * 60_000;
    assert.equal((await cache.get('aud', fetchToken)).token, 't2', '4 minutes left: refreshed early');
    assert.equal((await cache.get('other', fetchToken)).token, 't3', 'one entry per audience');
    // A failed fetch is not cached: the next caller tries again.
    const failing = () => Promise.reject(new Error('boom'));
    await assert.rejects(cache.get('bad', failing), /boom/);
    assert.equal((await cache.get('bad', fetchToken)).token, 't4');
  });
});

describe('authplane/client against authplane', () => {
  let ap: TestAuthplane;
  let echo: Server;
  let seen: IncomingHttpHeaders[];
  let door: string; // update's front door, http://127.0.0.1:PORT
  let updateUrl: string;

  before(async () => {
    seen = [];
    echo = createServer((req, res) => {
      seen.push(req.headers);
      res.end('ok');
    });
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    const upstream = `http://127.0.0.1:${(echo.address() as AddressInfo).port}`;
    ap = await startTestAuthplane({
      defaultPrincipal: 'user:developer@example.com',
      serviceAccounts: [{ name: 'scheduler-sa' }, { name: 'middle-sa' }, { name: 'caller' }, { name: 'update-runtime' }, { name: 'outsider' }],
      iam: {
        bindings: [
          { resource: 'services/update', role: 'roles/run.invoker', members: [`serviceAccount:${SA('scheduler-sa')}`, `serviceAccount:${SA('caller')}`] },
          { resource: 'serviceAccounts/middle-sa', role: 'roles/iam.serviceAccountTokenCreator', members: [`serviceAccount:${SA('scheduler-sa')}`] },
          { resource: 'serviceAccounts/caller', role: 'roles/iam.serviceAccountTokenCreator', members: [`serviceAccount:${SA('middle-sa')}`, `serviceAccount:${SA('scheduler-sa')}`] },
        ],
      },
      services: [{ name: 'update', port: 0, metadataPort: 0, upstream, serviceAccount: 'update-runtime' }],
      workloads: [
        { name: 'scheduler', serviceAccount: 'scheduler-sa', metadataPort: 0 },
        { name: 'outside', serviceAccount: 'outsider', metadataPort: 0 },
      ],
    });
    door = ap.platform.directory.get('update')!.urls.local!;
    updateUrl = ap.platform.directory.get('update')!.urls.deterministic!;
  });
  after(async () => {
    await ap?.stop();
    echo?.close();
  });

  it('metadata server (GCE_METADATA_HOST): the derived audience is accepted → 200', async () => {
    const call = createAuthorizedFetch({ env: { GCE_METADATA_HOST: ap.metadataHost('scheduler') } });
    const res = await call(`${door}/orders/7?x=1`);
    assert.equal(res.status, 200);
    const token = String(seen.at(-1)!.authorization).slice(7);
    assert.equal(claimsOf(token.replace('SIGNATURE_REMOVED_BY_GOOGLE', 'AA')).aud, door);
    assert.equal(call.client.source.cache.fetches, 1);
    await call(`${door}/again`);
    assert.equal(call.client.source.cache.fetches, 1, 'second call served from the cache');
  });

  it('X-Serverless-Authorization keeps the caller\'s Authorization; Authorization refuses to overwrite one', async () => {
    const call = createAuthorizedFetch({ metadataHost: ap.metadataHost('scheduler'), header: 'X-Serverless-Authorization', audience: updateUrl });
    const res = await call(door + '/', { headers: { authorization: 'Bearer app-level' } });
    assert.equal(res.status, 200);
    assert.equal(seen.at(-1)!.authorization, 'Bearer app-level');
    assert.match(String(seen.at(-1)!['x-serverless-authorization']), /SIGNATURE_REMOVED_BY_GOOGLE$/);
    const plain = createAuthorizedFetch({ metadataHost: ap.metadataHost('scheduler') });
    await assert.rejects(plain(door, { headers: { authorization: 'Bearer app-level' } }), /X-Serverless-Authorization/);
  });

  it('a custom audience with a path warns (AudienceWarning via onWarning), and Cloud Run indeed refuses it', async () => {
    const warnings: AudienceWarning[] = [];
    const call = createAuthorizedFetch({ metadataHost: ap.metadataHost('scheduler'), audience: `${updateUrl}/orders`, onWarning: (w) => warnings.push(w) });
    const res = await call(`${door}/orders`);
    await call(`${door}/orders`);
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('x-authplane-denial'), 'AUDIENCE_MISMATCH');
    assert.equal(warnings.length, 1, 'each distinct warning is reported once');
    assert.equal(warnings[0]!.code, 'AUDIENCE_HAS_PATH');
  });

  it('by default the warning goes to process.emitWarning as an inspectable AudienceWarning', async () => {
    const got = new Promise<Error>((resolve) => process.once('warning', resolve));
    const client = new IdTokenClient({ metadataHost: ap.metadataHost('scheduler') });
    await client.getIdToken(updateUrl, { audience: 'update-123456789012.us-central1.run.app:443' });
    const w = await got;
    assert.ok(w instanceof AudienceWarning);
    assert.equal(w.code, 'AUDIENCE_NO_SCHEME');
  });

  it('impersonation with a delegate (AUTHPLANE_URL as the IAM Credentials endpoint) → 200 as caller', async () => {
    const call = createAuthorizedFetch({
      metadataHost: ap.metadataHost('scheduler'),
      impersonate: { serviceAccount: SA('caller'), delegates: [SA('middle-sa')] },
      env: { AUTHPLANE_URL: ap.apiUrl },
    });
    const res = await call(`${door}/x`);
    assert.equal(res.status, 200);
    const caller = await ap.platform.identity.findServiceAccount(SA('caller'));
    const claims = claimsOf(String(seen.at(-1)!.authorization).slice(7).replace('SIGNATURE_REMOVED_BY_GOOGLE', 'AA'));
    assert.equal(claims.sub, caller!.uniqueId);
    assert.equal(claims.email, SA('caller'), 'includeEmail defaults to true');
  });

  it('impersonation refused → TokenFetchError with Google\'s status and authplane\'s code', async () => {
    const outsider = await ap.platform.identity.mintAccessToken(`serviceAccount:${SA('outsider')}`);
    const source = impersonatedSource({ targetServiceAccount: SA('caller'), sourceCredentials: { accessToken: outsider.token }, endpoint: ap.apiUrl });
    await assert.rejects(source.idToken(updateUrl), (e: unknown) => {
      assert.ok(e instanceof TokenFetchError);
      assert.equal(e.code, 'IMPERSONATION_FAILED');
      assert.equal(e.status, 403);
      assert.equal(e.details.googleStatus, 'PERMISSION_DENIED');
      assert.equal(e.denial, 'IMPERSONATION_DENIED');
      assert.doesNotMatch(e.message, new RegExp(outsider.token));
      return true;
    });
  });

  it('a key file created through the IAM API (POST …/keys) mints ID tokens at its token_uri → 200', async (t) => {
    const res = await ap.api(`/v1/projects/-/serviceAccounts/${SA('caller')}/keys`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(res.status, 200);
    const key = (await res.json()) as { name: string; privateKeyData: string; keyType: string };
    assert.equal(key.keyType, 'USER_MANAGED');
    const file = JSON.parse(Buffer.from(key.privateKeyData, 'base64').toString()) as Record<string, string>;
    assert.equal(file.type, 'service_account');
    assert.equal(file.client_email, SA('caller'));
    assert.equal(file.token_uri, `${ap.apiUrl}/token`);
    assert.ok(key.name.endsWith(`/keys/${file.private_key_id}`));
    const dir = mkdtempSync(join(tmpdir(), 'authplane-key-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'key.json');
    writeFileSync(path, JSON.stringify(file), { mode: 0o600 });

    const call = createAuthorizedFetch({ env: { GOOGLE_APPLICATION_CREDENTIALS: path } });
    const r = await call(`${door}/with-key`);
    assert.equal(r.status, 200);
    const access = await keyFileSource({ keyFile: path }).accessToken([]);
    assert.match(access.token, /^ya29\./);
  });

  it('metadata server unreachable → METADATA_UNREACHABLE naming the host', async () => {
    const client = new IdTokenClient({ metadataHost: '127.0.0.1:1' });
    await assert.rejects(client.getIdToken(updateUrl), (e: unknown) => e instanceof TokenFetchError && e.code === 'METADATA_UNREACHABLE' && /127\.0\.0\.1:1/.test(e.message));
  });
});

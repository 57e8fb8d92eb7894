// Keys over HTTP: a local server plays Google's JWKS / PEM endpoints (and authplane's copies of them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { signJwt } from '../src/lib/jwt.js';
import { RemoteKeySource, KeySourceError, resolveKeyUrl, freshnessMs } from '../src/verify/remote.js';
import { Verifier } from '../src/verify/verifier.js';
import { DenialError } from '../src/verify/denial.js';
import { verifyGoogleIdToken, verifyIapAssertion } from '../src/verify/google.js';
import { EC_KID, NOW_MS, RSA_KID, SERVICE_URL, ec, iapAssertion, idClaims, idToken, rsa } from './verify-fixtures.js';

const jwk = (key: KeyObject, kid: string, alg: string) => ({ ...key.export({ format: 'jwk' }), kid, alg, use: 'sig' });

interface KeyServer {
  url: string;
  base: string;
  hits: Record<string, number>;
  /** What /oauth2/v3/certs serves next. */
  keys: object[];
  status: number;
  /** A failing answer (status ≠ 200) waits for this, when set. */
  failAfter: Promise<void> | undefined;
  close(): Promise<void>;
}

async function keyServer(cacheControl = 'public, max-age=100, must-revalidate, no-transform'): Promise<KeyServer> {
  const state = { keys: [jwk(rsa.publicKey, RSA_KID, 'RS256')] as object[], status: 200, failAfter: undefined as Promise<void> | undefined, hits: {} as Record<string, number> };
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '/';
    state.hits[path] = (state.hits[path] ?? 0) + 1;
    if (state.status !== 200) return void (state.failAfter ?? Promise.resolve()).then(() => res.writeHead(state.status).end('unavailable'));
    const body =
      path === '/oauth2/v3/certs'
        ? { keys: state.keys }
        : path === '/oauth2/v1/certs'
          ? { [RSA_KID]: rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString() }
          : path === '/iap/verify/public_key-jwk'
            ? { keys: [jwk(ec.publicKey, EC_KID, 'ES256')] }
            : undefined;
    if (!body) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': cacheControl, age: '10' }).end(JSON.stringify(body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return Object.assign(state, {
    url: `${base}/oauth2/v3/certs`,
    base,
    close: () => new Promise<void>((r) => server.close(() => r())),
  }) as KeyServer;
}

test('JWKS: fetched once, kept for max-age minus Age, fetched again after', async (t) => {
  const srv = await keyServer();
  t.after(() => srv.close());
  let now = NOW_MS;
  const source = new RemoteKeySource({ url: srv.url, clock: () => now });
  const v = new Verifier({ keys: source, clock: () => now });
  assert.ok((await v.verifyAsync(idToken(), { audiences: [SERVICE_URL] })).ok);
  assert.ok((await v.verifyAsync(idToken({ sub: '2' }), { audiences: [SERVICE_URL] })).ok);
  assert.equal(srv.hits['/oauth2/v3/certs'], 1);
  now += 89_000; // max-age 100 − Age 10 = 90 s
  assert.equal(source.ready(), undefined, 'still fresh: no fetch, no promise');
  now += 2_000;
  await source.ready();
  assert.equal(srv.hits['/oauth2/v3/certs'], 2);
});

test('JWKS: an unknown kid refetches once (rate-limited), then verifies with the new key', async (t) => {
  const srv = await keyServer();
  t.after(() => srv.close());
  let now = NOW_MS;
  const source = new RemoteKeySource({ url: srv.url, clock: () => now, refetchIntervalSec: 30 });
  const v = new Verifier({ keys: source, clock: () => now });
  await source.ready();
  const rotated = generateKeyPairSync('rsa', { modulusLength: 2048 });
  srv.keys = [jwk(rsa.publicKey, RSA_KID, 'RS256'), jwk(rotated.publicKey, 'rotated-kid', 'RS256')];
  now += 31_000;
  const token = signJwt({ alg: 'RS256', kid: 'rotated-kid', typ: 'JWT' }, idClaims(), rotated.privateKey);
  assert.ok((await v.verifyAsync(token, { audiences: [SERVICE_URL] })).ok);
  assert.equal(srv.hits['/oauth2/v3/certs'], 2);
  // Another unknown kid right away: no new fetch, refused.
  const r = await v.verifyAsync(idToken({}, { kid: 'nobody' }), { audiences: [SERVICE_URL] });
  assert.equal(r.ok ? 'ok' : r.denial.code, 'KEY_UNKNOWN');
  assert.equal(srv.hits['/oauth2/v3/certs'], 2);
});

test('PEM map (/oauth2/v1/certs) works like the JWKS', async (t) => {
  const srv = await keyServer();
  t.after(() => srv.close());
  const v = new Verifier({ keys: new RemoteKeySource({ url: `${srv.base}/oauth2/v1/certs` }), clock: () => NOW_MS });
  assert.ok((await v.verifyAsync(idToken(), { audiences: [SERVICE_URL] })).ok);
});

test('a failing key endpoint: KeySourceError without keys, the last good keys with them', async (t) => {
  const srv = await keyServer('max-age=5');
  t.after(() => srv.close());
  let now = NOW_MS;
  const source = new RemoteKeySource({ url: srv.url, clock: () => now });
  srv.status = 503;
  await assert.rejects(source.ready()!, KeySourceError);
  srv.status = 200;
  now += 31_000;
  await source.ready();
  srv.status = 503;
  now += 60_000;
  await source.ready(); // stale keys keep serving
  assert.ok(source.key(RSA_KID, 'RS256'));
  assert.equal(source.key(RSA_KID, 'ES256'), undefined, 'a key answers only for its algorithm');
});

test('a key endpoint that fails before any success is asked again only after the interval, each verification rejecting meanwhile', async (t) => {
  const srv = await keyServer();
  t.after(() => srv.close());
  let now = NOW_MS;
  const source = new RemoteKeySource({ url: srv.url, clock: () => now, refetchIntervalSec: 30 });
  const v = new Verifier({ keys: source, clock: () => now });
  srv.status = 503;
  for (let i = 0; i < 5; i++) await assert.rejects(v.verifyAsync(idToken(), { audiences: [SERVICE_URL] }), KeySourceError);
  assert.equal(srv.hits['/oauth2/v3/certs'], 1, 'five verifications, one fetch');
  srv.status = 200;
  now += 29_000;
  await assert.rejects(v.verifyAsync(idToken(), { audiences: [SERVICE_URL] }), KeySourceError);
  now += 2_000;
  assert.ok((await v.verifyAsync(idToken(), { audiences: [SERVICE_URL] })).ok);
  assert.equal(srv.hits['/oauth2/v3/certs'], 2);
});

test('keys whose max-age is short are fetched again once it has passed', async (t) => {
  const srv = await keyServer('max-age=2');
  t.after(() => srv.close());
  let now = NOW_MS;
  const source = new RemoteKeySource({ url: srv.url, clock: () => now });
  const v = new Verifier({ keys: source, clock: () => now });
  assert.ok((await v.verifyAsync(idToken(), { audiences: [SERVICE_URL] })).ok);
  const rotated = generateKeyPairSync('rsa', { modulusLength: 2048 });
  srv.keys = [jwk(rotated.publicKey, 'rotated-kid', 'RS256')];
  now += 2_100; // max-age 2 − Age 10: stale already; the next verification fetches
  const token = signJwt({ alg: 'RS256', kid: 'rotated-kid', typ: 'JWT' }, idClaims(), rotated.privateKey);
  assert.ok((await v.verifyAsync(token, { audiences: [SERVICE_URL] })).ok);
  assert.equal(srv.hits['/oauth2/v3/certs'], 2);
});

test('a token with a new kid while a reload for another one fails is KEY_UNKNOWN, as after it', async (t) => {
  const srv = await keyServer();
  t.after(() => srv.close());
  let now = NOW_MS;
  const source = new RemoteKeySource({ url: srv.url, clock: () => now });
  const v = new Verifier({ keys: source, clock: () => now });
  await source.ready();
  now += 31_000; // a refetch for an unknown kid is allowed again
  srv.status = 503;
  let release!: () => void;
  srv.failAfter = new Promise<void>((r) => (release = r));
  const first = v.verifyAsync(idToken({}, { kid: 'rotated-1' }), { audiences: [SERVICE_URL] });
  while ((srv.hits['/oauth2/v3/certs'] ?? 0) < 2) await new Promise((r) => setImmediate(r)); // its reload is under way
  const during = v.verifyAsync(idToken({}, { kid: 'rotated-2' }), { audiences: [SERVICE_URL] });
  release();
  const r2 = await during;
  assert.equal(r2.ok ? 'ok' : r2.denial.code, 'KEY_UNKNOWN');
  const r = await first;
  assert.equal(r.ok ? 'ok' : r.denial.code, 'KEY_UNKNOWN');
  assert.equal(srv.hits['/oauth2/v3/certs'], 2);
  assert.ok((await v.verifyAsync(idToken(), { audiences: [SERVICE_URL] })).ok, 'the last good keys keep serving');
});

test('verifyGoogleIdToken with a custom fetch: keys fetched once for every call', async (t) => {
  const srv = await keyServer();
  t.after(() => srv.close());
  let calls = 0;
  const counting: typeof fetch = (input, init) => {
    calls++;
    return fetch(input, init);
  };
  const token = idToken({ iat: Math.floor(Date.now() / 1000) - 60, exp: Math.floor(Date.now() / 1000) + 3000 });
  for (let i = 0; i < 3; i++) await verifyGoogleIdToken(token, { audience: SERVICE_URL, keysUrl: srv.url, fetch: counting });
  assert.equal(calls, 1);
  assert.equal(srv.hits['/oauth2/v3/certs'], 1);
});

test('verifyGoogleIdToken: resolves the verified token, rejects with DenialError carrying code, evidence, remedy', async (t) => {
  const srv = await keyServer();
  t.after(() => srv.close());
  const ok = await verifyGoogleIdToken(idToken(), { audience: SERVICE_URL, keysUrl: srv.url, now: NOW_MS });
  assert.equal(ok.principal, 'tasks-invoker@demo-project.iam.gserviceaccount.com');
  const err = await verifyGoogleIdToken(idToken({ aud: `${SERVICE_URL}/v1/update` }), { audience: SERVICE_URL, keysUrl: srv.url, now: NOW_MS }).catch((e: unknown) => e);
  assert.ok(err instanceof DenialError);
  assert.equal(err.code, 'AUDIENCE_MISMATCH');
  assert.equal(err.status, 401);
  assert.equal(err.evidence['hint'], 'path');
  assert.match(err.remedy, /without the path \/v1\/update/);
  await assert.rejects(verifyGoogleIdToken('ya29.abc', { audience: SERVICE_URL, keysUrl: srv.url }), (e: unknown) => e instanceof DenialError && e.code === 'ACCESS_TOKEN_NOT_ID_TOKEN');
  await assert.rejects(verifyGoogleIdToken(idToken(), { audience: [] as string[], keysUrl: srv.url }), TypeError);
  await assert.rejects(verifyGoogleIdToken(idToken(), { audience: SERVICE_URL, keysUrl: 'http://127.0.0.1:1/certs' }), KeySourceError);
});

test('AUTHPLANE_URL points both library functions at authplane\'s key endpoints', async (t) => {
  const srv = await keyServer();
  t.after(() => srv.close());
  const before = process.env['AUTHPLANE_URL'];
  process.env['AUTHPLANE_URL'] = `${srv.base}/`;
  t.after(() => {
    if (before === undefined) delete process.env['AUTHPLANE_URL'];
    else process.env['AUTHPLANE_URL'] = before;
  });
  assert.equal((await verifyGoogleIdToken(idToken(), { audience: SERVICE_URL, now: NOW_MS })).principal, 'tasks-invoker@demo-project.iam.gserviceaccount.com');
  assert.equal(srv.hits['/oauth2/v3/certs'], 1, 'the keys came from AUTHPLANE_URL');
  const aud = '/projects/123456789012/locations/us-central1/services/update';
  const iap = await verifyIapAssertion(iapAssertion(), { audience: aud, now: NOW_MS });
  assert.equal(iap.principal, 'alice@example.com');
  assert.equal(srv.hits['/iap/verify/public_key-jwk'], 1);
  // An ID token is not an IAP assertion.
  await assert.rejects(verifyIapAssertion(idToken({ aud }), { audience: aud, now: NOW_MS }), (e: unknown) => e instanceof DenialError && e.code === 'ALG_NOT_ALLOWED');
});

test('key URL resolution: option, specific variable, AUTHPLANE_URL, Google', () => {
  assert.equal(resolveKeyUrl('id-token', undefined, {}), 'https://www.googleapis.com/oauth2/v3/certs');
  assert.equal(resolveKeyUrl('iap', undefined, {}), 'https://www.gstatic.com/iap/verify/public_key-jwk');
  assert.equal(resolveKeyUrl('id-token', undefined, { AUTHPLANE_URL: 'http://127.0.0.1:8930/' }), 'http://127.0.0.1:8930/oauth2/v3/certs');
  assert.equal(resolveKeyUrl('iap', undefined, { AUTHPLANE_URL: 'http://127.0.0.1:8930' }), 'http://127.0.0.1:8930/iap/verify/public_key-jwk');
  assert.equal(resolveKeyUrl('id-token', undefined, { AUTHPLANE_URL: 'http://a', AUTHPLANE_JWKS_URL: 'http://b/jwks' }), 'http://b/jwks');
  assert.equal(resolveKeyUrl('id-token', 'http://c/k', { AUTHPLANE_JWKS_URL: 'http://b/jwks' }), 'http://c/k');
});

test('Cache-Control freshness', () => {
  assert.equal(freshnessMs(new Headers({ 'cache-control': 'public, max-age=19204, must-revalidate, no-transform', age: '204' }), 1), 19_000_000);
  assert.equal(freshnessMs(new Headers({ 'cache-control': 'no-cache' }), 1), 0);
  assert.equal(freshnessMs(new Headers({}), 1234), 1234);
});

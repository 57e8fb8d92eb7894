// The framework adapters: same credential rules and refusals as Cloud Run's front door.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { nodeGoogleAuth } from '../src/verify/adapters/node.js';
import { expressGoogleAuth } from '../src/verify/adapters/express.js';
import { fastifyGoogleAuth } from '../src/verify/adapters/fastify.js';
import { honoGoogleAuth } from '../src/verify/adapters/hono.js';
import type { AuthplaneIdentity } from '../src/verify/adapters/authenticate.js';
import { pickCredential } from '../src/verify/credential.js';
import { EC_KID, SERVICE_URL, iapAssertion, idToken, keys } from './verify-fixtures.js';
import { staticKeySource } from '../src/verify/keys.js';
import { ec } from './verify-fixtures.js';

// Fixture tokens are minted for a fixed clock in the past; these adapters run at the real time, so mint now.
const nowSec = Math.floor(Date.now() / 1000);
const fresh = (over: Record<string, unknown> = {}) => idToken({ iat: nowSec - 10, exp: nowSec + 3000, ...over });
const options = { audience: SERVICE_URL, keys: keys() };

async function listen(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function send(base: string, path: string, headers: Record<string, string | string[]>): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { headers }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject).end();
  });
}

/** The cases every node-based adapter must answer alike. */
async function commonCases(base: string) {
  const ok = await send(base, '/hello', { authorization: `Bearer ${fresh()}` });
  assert.equal(ok.status, 200, ok.body);
  assert.equal(ok.body, 'hello tasks-invoker@demo-project.iam.gserviceaccount.com via authorization');

  const missing = await send(base, '/hello', {});
  assert.equal(missing.status, 403);
  assert.equal(missing.headers['x-authplane-denial'], 'TOKEN_MISSING');
  assert.match(missing.body, /<title>403 Forbidden<\/title>/);

  const access = await send(base, '/hello?x=1', { authorization: 'Bearer ya29.a0AfB_byC123' });
  assert.equal(access.status, 401);
  assert.equal(access.headers['x-authplane-denial'], 'ACCESS_TOKEN_NOT_ID_TOKEN');
  assert.equal(access.headers['www-authenticate'], 'Bearer error="invalid_token" error_description="The access token could not be verified"');
  assert.match(access.body, /requested URL <code>\/hello<\/code>/);

  // X-Serverless-Authorization wins; Authorization may hold anything.
  const both = await send(base, '/hello', { 'x-serverless-authorization': `Bearer ${fresh()}`, authorization: 'Basic Zm9vOmJhcg==' });
  assert.equal(both.status, 200);
  assert.match(both.body, /via x-serverless-authorization/);

  const two = await send(base, '/hello', { authorization: [`Bearer ${fresh()}`, `Bearer ${fresh({ sub: '2' })}`] });
  assert.equal(two.status, 401);
  assert.equal(two.headers['x-authplane-denial'], 'MULTIPLE_CREDENTIALS');

  const path = await send(base, '/hello', { authorization: `Bearer ${fresh({ aud: `${SERVICE_URL}/hello` })}` });
  assert.equal(path.headers['x-authplane-denial'], 'AUDIENCE_MISMATCH');
}

test('node:http adapter', async (t) => {
  const auth = nodeGoogleAuth(options);
  const server = createServer(async (req, res) => {
    const id = await auth(req, res);
    if (!id) return;
    res.end(`hello ${id.principal} via ${id.credentialHeader}`);
  });
  const base = await listen(server);
  t.after(() => server.close());
  await commonCases(base);
});

test('Express adapter', async (t) => {
  const app = express();
  app.use(expressGoogleAuth(options));
  app.get('/hello', (req, res) => {
    const id = (req as unknown as { authplane: AuthplaneIdentity }).authplane;
    res.send(`hello ${id.principal} via ${id.credentialHeader}`);
  });
  const server = createServer(app);
  const base = await listen(server);
  t.after(() => server.close());
  await commonCases(base);
});

test('Fastify adapter', async (t) => {
  const app = Fastify();
  app.decorateRequest('authplane', null);
  app.addHook('onRequest', fastifyGoogleAuth(options));
  app.get('/hello', async (req) => {
    const id = (req as unknown as { authplane: AuthplaneIdentity }).authplane;
    return `hello ${id.principal} via ${id.credentialHeader}`;
  });
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  t.after(() => app.close());
  await commonCases(base);
});

test('Hono adapter (fetch Headers join repeats: read as several credentials)', async () => {
  const app = new Hono<{ Variables: { authplane: AuthplaneIdentity } }>();
  app.use(honoGoogleAuth(options));
  app.get('/hello', (c) => c.text(`hello ${c.get('authplane').principal} via ${c.get('authplane').credentialHeader}`));
  const ok = await app.request('/hello', { headers: { authorization: `Bearer ${fresh()}` } });
  assert.equal(ok.status, 200);
  assert.equal(await ok.text(), 'hello tasks-invoker@demo-project.iam.gserviceaccount.com via authorization');
  const missing = await app.request('/hello');
  assert.equal(missing.status, 403);
  assert.equal(missing.headers.get('x-authplane-denial'), 'TOKEN_MISSING');
  const h = new Headers();
  h.append('authorization', `Bearer ${fresh()}`);
  h.append('authorization', `Bearer ${fresh({ sub: '2' })}`);
  const two = await app.request('/hello', { headers: h });
  assert.equal(two.headers.get('x-authplane-denial'), 'MULTIPLE_CREDENTIALS');
});

test('IAP assertion middleware reads x-goog-iap-jwt-assertion', async () => {
  const aud = '/projects/123456789012/locations/us-central1/services/update';
  const iapKeys = staticKeySource(new Map([[EC_KID, { alg: 'ES256' as const, key: ec.publicKey }]]));
  const app = new Hono<{ Variables: { authplane: AuthplaneIdentity } }>();
  app.use(honoGoogleAuth({ audience: aud, keys: iapKeys, credential: 'iap-assertion' }));
  app.get('/', (c) => c.text(c.get('authplane').principal));
  const ok = await app.request('/', { headers: { 'x-goog-iap-jwt-assertion': iapAssertion({ iat: nowSec - 5, exp: nowSec + 500 }) } });
  assert.equal(await ok.text(), 'alice@example.com');
  const none = await app.request('/', { headers: { authorization: `Bearer ${fresh()}` } });
  assert.equal(none.headers.get('x-authplane-denial'), 'TOKEN_MISSING');
});

test('credential rules', () => {
  const get = (h: Record<string, string | string[]>) => (n: string) => h[n];
  assert.deepEqual(pickCredential(get({ authorization: 'bearer a.b.c' })), { ok: true, token: 'a.b.c', header: 'authorization' });
  const bare = pickCredential(get({ authorization: 'a.b.c' }));
  assert.ok(!bare.ok && bare.code === 'TOKEN_MALFORMED' && /without the "Bearer " scheme/.test(String(bare.evidence['reason'])));
  const empty = pickCredential(get({ authorization: 'Bearer ' }));
  assert.ok(!empty.ok && empty.code === 'TOKEN_MALFORMED');
  const joined = pickCredential(get({ 'x-serverless-authorization': 'Bearer a.b.c, Bearer d.e.f' }));
  assert.ok(!joined.ok && joined.code === 'MULTIPLE_CREDENTIALS' && joined.evidence['credentialCount'] === 2);
  assert.throws(() => nodeGoogleAuth({ audience: [] }), TypeError);
});

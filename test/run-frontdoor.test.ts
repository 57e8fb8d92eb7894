// The Cloud Run front door end to end: a real authplane, a real upstream, requests made with fetch and
// node:http as users' code makes them. Each refusal asserts Google's status and body AND authplane's code.

import assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { encodeSegment, signJwt } from '../src/lib/jwt.js';
import { INTERNAL_HEADER } from '../src/platform.js';
import { startTestAuthplane, type TestAuthplane } from './support/authplane.js';
import { waitFor } from './support/wait.js';

interface Echo {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

const UNAUTHORIZED = 'Bearer error="invalid_token" error_description="The access token could not be verified"';

async function startEcho(): Promise<{ server: Server; url: string; bodyBytes: number[] }> {
  /** The size of every body the echo received in full. */
  const bodyBytes: number[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodyBytes.push(Buffer.concat(chunks).length);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString() }));
    });
  });
  server.on('upgrade', (req, socket) => {
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Echo-Auth: ${req.headers['x-serverless-authorization'] ?? req.headers.authorization ?? ''}\r\n\r\n`);
    socket.on('data', (d) => socket.write(d));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, bodyBytes };
}

const SA = (name: string) => `${name}@demo-project.iam.gserviceaccount.com`;

describe('Cloud Run front door', () => {
  let ap: TestAuthplane;
  let echo: Awaited<ReturnType<typeof startEcho>>;
  let update: string; // front door of `update`
  let internalOnly: string;
  let updateUrl: string; // https://update-123456789012.us-central1.run.app

  const mint = async (sa: string, audience: string, extra: { includeEmail?: boolean; iat?: number } = {}) => {
    const rec = await ap.platform.identity.findServiceAccount(SA(sa));
    return ap.platform.identity.mintIdToken(rec!, { audience, includeEmail: extra.includeEmail ?? true, ...(extra.iat !== undefined ? { iat: extra.iat } : {}) });
  };
  const call = (base: string, headers: Record<string, string> = {}, path = '/') => fetch(base + path, { headers });
  const lastLog = async () => ((await (await ap.api('/admin/v1/requests?limit=1')).json()) as { requests: Record<string, unknown>[] }).requests[0]!;

  before(async () => {
    echo = await startEcho();
    ap = await startTestAuthplane({
      defaultPrincipal: 'user:developer@example.com',
      serviceAccounts: [{ name: 'tasks-invoker' }, { name: 'tasks-no-role' }, { name: 'update-runtime' }],
      iam: {
        bindings: [
          { resource: 'projects/demo-project', role: 'roles/iam.serviceAccountTokenCreator', members: ['user:developer@example.com'] },
          { resource: 'services/update', role: 'roles/run.invoker', members: [`serviceAccount:${SA('tasks-invoker')}`] },
          { resource: 'services/internal-only', role: 'roles/run.invoker', members: [`serviceAccount:${SA('tasks-invoker')}`] },
        ],
      },
      services: [
        { name: 'update', port: 0, metadataPort: 0, upstream: echo.url, serviceAccount: 'update-runtime', customAudiences: ['https://api.example.com/update'], functionName: 'update-fn' },
        { name: 'internal-only', port: 0, metadataPort: 0, upstream: echo.url, serviceAccount: 'update-runtime', ingress: 'internal' },
        { name: 'billing', port: 0, metadataPort: 0, upstream: echo.url, serviceAccount: 'update-runtime' },
      ],
    });
    update = ap.platform.directory.get('update')!.urls.local!;
    internalOnly = ap.platform.directory.get('internal-only')!.urls.local!;
    updateUrl = ap.platform.directory.get('update')!.urls.deterministic!;
  });
  after(async () => {
    await ap?.stop();
    echo?.server.closeAllConnections();
    echo?.server.close();
  });

  it('proxies a valid ID token and records the request (hash-style URL audience)', async () => {
    const token = await mint('tasks-invoker', ap.platform.directory.get('update')!.urls.hashed + '/');
    const res = await call(update, { authorization: `Bearer ${token}` }, '/hello?x=1');
    assert.equal(res.status, 200);
    const seen = (await res.json()) as Echo;
    assert.equal(seen.url, '/hello?x=1');
    assert.equal(seen.headers.authorization, `Bearer ${token}`, 'Authorization checked by Cloud Run still reaches the container');
    assert.equal(seen.headers['x-forwarded-for'], '127.0.0.1');
    assert.equal(seen.headers['x-forwarded-proto'], 'http');
    const log = await lastLog();
    assert.equal(log.outcome, 'proxied');
    assert.equal(log.principal, `serviceAccount:${SA('tasks-invoker')}`);
  });

  it('row 12: no token → 403 "not authenticated" page, TOKEN_MISSING', async () => {
    const res = await call(update, {}, '/orders');
    assert.equal(res.status, 403);
    assert.equal(res.headers.get('x-authplane-denial'), 'TOKEN_MISSING');
    const body = await res.text();
    assert.match(body, /<title>403 Forbidden<\/title>/);
    assert.match(body, /Your client does not have permission to get URL <code>\/orders<\/code> from this server\./);
    const log = await lastLog();
    assert.equal(log.code, 'TOKEN_MISSING');
    assert.match(String(log.message), /The request was not authenticated/);
    assert.match(String(log.remedy), /print-identity-token/);
  });

  it('row 13: expired ID token → 401 with WWW-Authenticate, TOKEN_EXPIRED', async () => {
    const token = await mint('tasks-invoker', updateUrl, { iat: Math.floor(Date.now() / 1000) - 7200 });
    const res = await call(update, { authorization: `Bearer ${token}` }, '/x');
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('x-authplane-denial'), 'TOKEN_EXPIRED');
    assert.equal(res.headers.get('www-authenticate'), UNAUTHORIZED);
    assert.match(await res.text(), /<h1>Error: Unauthorized<\/h1>\n<h2>Your client does not have permission to the requested URL <code>\/x<\/code>\.<\/h2>/);
    const log = await lastLog();
    assert.match(String(log.explanation), /expired at/);
  });

  it('row 14: X-Serverless-Authorization valid, Authorization garbage → 200; container gets Authorization as sent and the stripped XSA', async () => {
    const token = await mint('tasks-invoker', updateUrl);
    const res = await call(update, { authorization: 'Basic Z2FyYmFnZQ==', 'x-serverless-authorization': `Bearer ${token}` });
    assert.equal(res.status, 200);
    const seen = (await res.json()) as Echo;
    assert.equal(seen.headers.authorization, 'Basic Z2FyYmFnZQ==');
    const [h, p] = token.split('.');
    assert.equal(seen.headers['x-serverless-authorization'], `Bearer ${h}.${p}.SIGNATURE_REMOVED_BY_GOOGLE`);
  });

  it('row 10: internal-only service: internal sender → 200 (marker stripped); plain request with a valid token → 404, INGRESS_BLOCKED, not Google-visible', async () => {
    const token = await mint('tasks-invoker', ap.platform.directory.get('internal-only')!.urls.deterministic!);
    const ok = await call(internalOnly, { authorization: `Bearer ${token}`, [INTERNAL_HEADER]: ap.platform.internalSecret });
    assert.equal(ok.status, 200);
    assert.equal(((await ok.json()) as Echo).headers[INTERNAL_HEADER], undefined, 'the internal marker never reaches the container');

    const blocked = await call(internalOnly, { authorization: `Bearer ${token}` });
    assert.equal(blocked.status, 404);
    assert.equal(blocked.headers.get('x-authplane-denial'), 'INGRESS_BLOCKED');
    assert.match(await blocked.text(), /<title>404 Page not found<\/title>/);
    const log = await lastLog();
    assert.equal(log.code, 'INGRESS_BLOCKED');
    assert.equal(log.googleVisible, false);

    const forged = await call(internalOnly, { authorization: `Bearer ${token}`, [INTERNAL_HEADER]: 'guess' });
    assert.equal(forged.status, 404, 'a wrong internal secret is external traffic');
  });

  it('an access token (generateAccessToken through the IAM Credentials API) → 401 ACCESS_TOKEN_NOT_ID_TOKEN', async () => {
    const r = await ap.api(`/v1/projects/-/serviceAccounts/${SA('tasks-invoker')}:generateAccessToken`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ scope: ['https://www.googleapis.com/auth/cloud-platform'] }),
    });
    assert.equal(r.status, 200);
    const { accessToken } = (await r.json()) as { accessToken: string };
    const res = await call(update, { authorization: `Bearer ${accessToken}` });
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('x-authplane-denial'), 'ACCESS_TOKEN_NOT_ID_TOKEN');
    assert.equal(res.headers.get('www-authenticate'), UNAUTHORIZED);
    assert.match(String((await lastLog()).remedy), /generateIdToken/);
  });

  it('a token signed by a key authplane does not know → 401 KEY_UNKNOWN', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const now = Math.floor(Date.now() / 1000);
    const token = signJwt({ alg: 'RS256', kid: 'not-authplane', typ: 'JWT' }, { iss: 'https://accounts.google.com', aud: updateUrl, sub: '1', email: SA('tasks-invoker'), iat: now, exp: now + 3600 }, privateKey);
    const res = await call(update, { authorization: `Bearer ${token}` });
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('x-authplane-denial'), 'KEY_UNKNOWN');
  });

  it('alg none → 401 ALG_NOT_ALLOWED', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = `${encodeSegment({ alg: 'none', typ: 'JWT' })}.${encodeSegment({ iss: 'https://accounts.google.com', aud: updateUrl, email: SA('tasks-invoker'), iat: now, exp: now + 3600 })}.`;
    const res = await call(update, { authorization: `Bearer ${token}` });
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('x-authplane-denial'), 'ALG_NOT_ALLOWED');
  });

  it('HS256 keyed with authplane\'s public key → 401 ALG_NOT_ALLOWED', async () => {
    const jwks = (await (await ap.api('/oauth2/v3/certs')).json()) as { keys: { kid: string }[] };
    const pems = (await (await ap.api('/oauth2/v1/certs')).json()) as Record<string, string>;
    const kid = jwks.keys[0]!.kid;
    const now = Math.floor(Date.now() / 1000);
    const input = `${encodeSegment({ alg: 'HS256', kid, typ: 'JWT' })}.${encodeSegment({ iss: 'https://accounts.google.com', aud: updateUrl, email: SA('tasks-invoker'), iat: now, exp: now + 3600 })}`;
    const token = `${input}.${createHmac('sha256', pems[kid]!).update(input).digest('base64url')}`;
    const res = await call(update, { authorization: `Bearer ${token}` });
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('x-authplane-denial'), 'ALG_NOT_ALLOWED');
  });

  it('audience with a path → 401 AUDIENCE_MISMATCH (hint path); the remedy names the URL without the path', async () => {
    const token = await mint('tasks-invoker', `${updateUrl}/v1/update`);
    const res = await call(update, { authorization: `Bearer ${token}` }, '/v1/update');
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('x-authplane-denial'), 'AUDIENCE_MISMATCH');
    const log = await lastLog();
    assert.equal((log.evidence as Record<string, unknown>).hint, 'path');
    assert.match(String(log.remedy), new RegExp(`${updateUrl.replace(/[.]/g, '\\.')}, without the path /v1/update`));
  });

  it('audience without a scheme → 401 AUDIENCE_MISMATCH (hint scheme)', async () => {
    const token = await mint('tasks-invoker', `${new URL(updateUrl).host}:443`);
    const res = await call(update, { authorization: `Bearer ${token}` });
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('x-authplane-denial'), 'AUDIENCE_MISMATCH');
    assert.equal(((await lastLog()).evidence as Record<string, unknown>).hint, 'scheme');
  });

  it('audience of another service → 401 AUDIENCE_MISMATCH (hint another-service, names it)', async () => {
    const token = await mint('tasks-invoker', ap.platform.directory.get('billing')!.urls.deterministic!);
    const res = await call(update, { authorization: `Bearer ${token}` });
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('x-authplane-denial'), 'AUDIENCE_MISMATCH');
    const log = await lastLog();
    assert.equal((log.evidence as Record<string, unknown>).hint, 'another-service');
    assert.match(String(log.explanation), /billing/);
  });

  it('a custom audience is accepted', async () => {
    const token = await mint('tasks-invoker', 'https://api.example.com/update');
    const res = await call(update, { authorization: `Bearer ${token}` });
    assert.equal(res.status, 200);
  });

  it('a functions-style URL (path included) is accepted as the audience', async () => {
    const fn = ap.platform.directory.get('update')!.urls.functions!;
    assert.equal(fn, 'https://us-central1-demo-project.cloudfunctions.net/update-fn');
    const token = await mint('tasks-invoker', fn);
    const res = await call(update, { authorization: `Bearer ${token}` }, '/update-fn');
    assert.equal(res.status, 200);
  });

  it('the front door reads credentials with the library rule: empty Bearer, a bare JWT, two tokens in one value', async () => {
    const token = await mint('tasks-invoker', updateUrl);
    const empty = await call(update, { authorization: 'Bearer ' });
    assert.equal(empty.status, 401);
    assert.equal(empty.headers.get('x-authplane-denial'), 'TOKEN_MALFORMED');
    assert.match(String(((await lastLog()).evidence as Record<string, unknown>).reason), /carries no token/);
    const bare = await call(update, { authorization: token });
    assert.equal(bare.headers.get('x-authplane-denial'), 'TOKEN_MALFORMED');
    assert.match(String(((await lastLog()).evidence as Record<string, unknown>).reason), /without the "Bearer " scheme/);
    const two = await call(update, { authorization: `Bearer ${token}, Bearer ${token}` });
    assert.equal(two.status, 401);
    assert.equal(two.headers.get('x-authplane-denial'), 'MULTIPLE_CREDENTIALS');
  });

  it('two Authorization headers → 401 MULTIPLE_CREDENTIALS', async () => {
    const token = await mint('tasks-invoker', updateUrl);
    const u = new URL(update);
    const { status, headers } = await new Promise<{ status: number; headers: IncomingHttpHeaders }>((resolve, reject) => {
      const req = request({ host: u.hostname, port: u.port, path: '/', headers: ['Host', u.host, 'Authorization', `Bearer ${token}`, 'Authorization', `Bearer ${token}`] as unknown as Record<string, string> }, (res) => {
        res.resume();
        resolve({ status: res.statusCode!, headers: res.headers });
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(status, 401);
    assert.equal(headers['x-authplane-denial'], 'MULTIPLE_CREDENTIALS');
    assert.equal(headers['www-authenticate'], UNAUTHORIZED);
  });

  it('a valid token of an account without run.invoker → 403 PERMISSION_DENIED naming the grant', async () => {
    const token = await mint('tasks-no-role', updateUrl, { includeEmail: false });
    const res = await call(update, { authorization: `Bearer ${token}` }, '/tasks');
    assert.equal(res.status, 403);
    assert.equal(res.headers.get('x-authplane-denial'), 'PERMISSION_DENIED');
    assert.match(await res.text(), /Your client does not have permission to get URL <code>\/tasks<\/code> from this server\./);
    const log = await lastLog();
    assert.match(String(log.remedy), new RegExp(`Grant roles/run.invoker on services/update to serviceAccount:${SA('tasks-no-role')}`));
  });

  it('a body over 32 MiB → 413', async () => {
    const token = await mint('tasks-invoker', updateUrl);
    const u = new URL(update);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: u.hostname, port: u.port, path: '/', method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-length': String(33 * 1024 * 1024) } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
        req.destroy();
      });
      req.on('error', (e) => (String(e).includes('ECONNRESET') || String(e).includes('EPIPE') ? undefined : reject(e)));
      req.write(Buffer.alloc(1024));
    });
    assert.equal(status, 413);

    // A chunked body has no length to refuse up front: it is cut off as it passes the limit. The client
    // sees the 413 page or, still sending, a reset connection; either way the service never gets it whole.
    const chunked = await fetch(`${update}/chunked`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: new Blob([Buffer.alloc(33 * 1024 * 1024)]).stream(), duplex: 'half' } as RequestInit).catch((e: unknown) => e);
    if (chunked instanceof Response) assert.equal(chunked.status, 413);
    else assert.match(String((chunked as { cause?: { code?: string } }).cause?.code ?? chunked), /ECONNRESET|EPIPE|UND_ERR_SOCKET/, String(chunked));
    const logged = async () => ((await (await ap.api('/admin/v1/requests?outcome=too-large&limit=10')).json()) as { requests: { path: string; status: number }[] }).requests;
    await waitFor('the request log entry of the chunked body', async () => (await logged()).some((e) => e.path === '/chunked'));
    assert.equal((await logged()).find((e) => e.path === '/chunked')!.status, 413);
    assert.ok(echo.bodyBytes.every((n) => n <= 32 * 1024 * 1024), `the service got no body past the limit: ${echo.bodyBytes.join(', ')}`);
  });

  it('Expect: 100-continue (curl sends it with any body over 1 MiB): 100, then the body reaches the service', async () => {
    const token = await mint('tasks-invoker', updateUrl);
    const u = new URL(update);
    const body = Buffer.alloc(2 * 1024 * 1024, 'a');
    const { status, sawContinue, echoed } = await new Promise<{ status: number; sawContinue: boolean; echoed: Echo }>((resolve, reject) => {
      let sawContinue = false;
      const req = request({ host: u.hostname, port: u.port, path: '/large', method: 'POST', headers: { authorization: `Bearer ${token}`, expect: '100-continue', 'content-length': String(body.length) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, sawContinue, echoed: JSON.parse(Buffer.concat(chunks).toString()) as Echo }));
      });
      req.on('continue', () => {
        sawContinue = true;
        req.end(body);
      });
      req.on('error', reject);
    });
    assert.equal(status, 200);
    assert.ok(sawContinue, 'the front door answered 100 Continue');
    assert.equal(echoed.body.length, body.length);
    assert.equal(echoed.headers.expect, undefined, 'Expect was settled at the front door');
  });

  it('WebSocket upgrades pass the same check', async () => {
    const u = new URL(update);
    const upgrade = (headers: Record<string, string>) =>
      new Promise<{ status: number; headers: IncomingHttpHeaders }>((resolve, reject) => {
        const req = request({ host: u.hostname, port: u.port, path: '/ws', headers: { connection: 'Upgrade', upgrade: 'websocket', ...headers } });
        req.on('upgrade', (res, socket) => {
          socket.destroy();
          resolve({ status: res.statusCode!, headers: res.headers });
        });
        req.on('response', (res) => {
          res.resume();
          resolve({ status: res.statusCode!, headers: res.headers });
        });
        req.on('error', reject);
        req.end();
      });
    const refused = await upgrade({});
    assert.equal(refused.status, 403);
    assert.equal(refused.headers['x-authplane-denial'], 'TOKEN_MISSING');
    const token = await mint('tasks-invoker', updateUrl);
    const ok = await upgrade({ 'x-serverless-authorization': `Bearer ${token}` });
    assert.equal(ok.status, 101);
    assert.match(String(ok.headers['x-echo-auth']), /SIGNATURE_REMOVED_BY_GOOGLE$/);
  });

  it('Cloud Run Admin API v2: services with Google\'s fields', async () => {
    const r = await ap.api('/v2/projects/demo-project/locations/us-central1/services/internal-only');
    assert.equal(r.status, 200);
    const svc = (await r.json()) as Record<string, unknown>;
    assert.equal(svc.name, 'projects/demo-project/locations/us-central1/services/internal-only');
    assert.equal(svc.ingress, 'INGRESS_TRAFFIC_INTERNAL_ONLY');
    assert.equal(svc.invokerIamDisabled, false);
    // REFERENCE §1: https://SERVICE-PROJECT_NUMBER.REGION.run.app, then https://SERVICE-HASH-REGIONCODE.a.run.app
    // (Google's hashes are 10 lowercase letters and digits; us-central1's region code is uc).
    const urls = svc.urls as string[];
    assert.equal(urls.length, 2);
    assert.equal(urls[0], 'https://internal-only-123456789012.us-central1.run.app');
    assert.match(urls[1]!, /^https:\/\/internal-only-[a-z0-9]{10}-uc\.a\.run\.app$/);
    assert.equal((svc.template as { serviceAccount: string }).serviceAccount, SA('update-runtime'));
    const list = (await (await ap.api('/v2/projects/123456789012/locations/us-central1/services')).json()) as { services: { customAudiences: string[] }[] };
    assert.equal(list.services.length, 3);
    assert.deepEqual(list.services[0]!.customAudiences, ['https://api.example.com/update']);
    const missing = await ap.api('/v2/projects/demo-project/locations/us-central1/services/nope');
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { error: { status: string } }).error.status, 'NOT_FOUND');
  });

  it('the request log file holds claims but never a signature', async () => {
    const token = await mint('tasks-invoker', updateUrl);
    await call(update, { authorization: `Bearer ${token}` }, '/logged-ok');
    await call(update, { authorization: `Bearer ${token}x` }, '/logged-refused');
    // The file is written in batches: wait until both requests are in it.
    const ids = ((await (await ap.api('/admin/v1/requests?limit=2')).json()) as { requests: { id: string; path: string }[] }).requests;
    assert.deepEqual(ids.map((e) => e.path).sort(), ['/logged-ok', '/logged-refused']);
    const file = join(ap.dataDir, 'requests.log');
    const entries = () => readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string; token?: { claims?: { aud?: string } } });
    await waitFor('both requests in requests.log', () => existsSync(file) && ids.every((e) => entries().some((x) => x.id === e.id)));
    const text = readFileSync(file, 'utf8');
    const sig = token.split('.')[2]!;
    assert.ok(!text.includes(sig.slice(0, 40)), 'no signature in the log');
    const ok = entries().find((x) => x.id === ids.find((e) => e.path === '/logged-ok')!.id)!;
    assert.equal(ok.token?.claims?.aud, updateUrl, 'the claims are logged');
  });
});

describe('a service that cannot be reached', () => {
  it("503 with Cloud Run's text, x-authplane-denial SERVICE_UNAVAILABLE, and the refusal with its reason in the request log", async () => {
    // A port nothing listens on: bound, then closed.
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const ap = await startTestAuthplane({ services: [{ name: 'gone', upstream: `http://127.0.0.1:${port}`, invokerIamCheck: false }] });
    try {
      const r = await fetch(`${ap.platform.directory.get('gone')!.urls.local!}/x`);
      assert.equal(r.status, 503);
      assert.equal(r.headers.get('x-authplane-denial'), 'SERVICE_UNAVAILABLE');
      assert.match(r.headers.get('content-type') ?? '', /^text\/plain/);
      assert.match(await r.text(), /^The request failed because either the HTTP response was malformed or connection to the instance had an error\./);
      await waitFor('the refusal in the request log', async () => {
        const { requests } = (await (await ap.api('/admin/v1/requests?service=gone')).json()) as { requests: { status: number; code?: string; explanation?: string }[] };
        return requests.some((e) => e.status === 503 && e.code === 'SERVICE_UNAVAILABLE' && /cannot reach the service at http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/.test(e.explanation ?? ''));
      });
    } finally {
      await ap.stop();
    }
  });
});

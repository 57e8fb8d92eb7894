// The gateway end to end (SCENARIOS rows 4 and 4b, the seed's impersonation route): a real authplane with its
// Cloud Run front door, a tiny upstream that records the headers it receives, requests made with fetch.

import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { deriveAudience } from '../src/client/index.js';
import { decodeJwt } from '../src/lib/jwt.js';
import { requestLogFor } from '../src/observe/request-log.js';
import { startTestAuthplane, type TestAuthplane } from './support/authplane.js';

const SA = (name: string) => `${name}@demo-project.iam.gserviceaccount.com`;
const UPDATE_URL = 'https://update-123456789012.us-central1.run.app';

interface Seen {
  url: string;
  headers: IncomingHttpHeaders;
}

async function startRecorder(): Promise<{ server: Server; url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/plain', connection: 'keep-alive', 'x-upstream': 'yes' });
      res.end('ok from update');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

function config(upstream: string, impersonationMethod: 'generateIdToken' | 'generateAccessToken') {
  return {
    defaultPrincipal: 'user:developer@example.com',
    serviceAccounts: [{ name: 'edge-gateway' }, { name: 'caller' }, { name: 'update-runtime' }],
    iam: {
      bindings: [
        { resource: 'services/update', role: 'roles/run.invoker', members: [`serviceAccount:${SA('edge-gateway')}`, `serviceAccount:${SA('caller')}`] },
        { resource: 'services/private', role: 'roles/run.invoker', members: [`serviceAccount:${SA('edge-gateway')}`] },
        { resource: 'serviceAccounts/caller', role: 'roles/iam.serviceAccountTokenCreator', members: [`serviceAccount:${SA('edge-gateway')}`] },
      ],
    },
    services: [
      { name: 'update', port: 0, metadataPort: 0, upstream, serviceAccount: 'update-runtime' },
      { name: 'private', port: 0, metadataPort: 0, upstream, serviceAccount: 'update-runtime', ingress: 'internal' },
    ],
    gateways: [
      {
        name: 'edge',
        port: 0,
        metadataPort: 0,
        serviceAccount: 'edge-gateway',
        routes: [
          // Row 4 / 4b: platform authentication, as in the seed's ServiceCallout.
          { path: '/orders/**', target: UPDATE_URL, authentication: { googleIdToken: { audience: { useTargetUrl: true } }, headerName: 'X-Serverless-Authorization' } },
          // 4b's fix: a literal audience.
          { path: '/fixed/**', target: UPDATE_URL, authentication: { googleIdToken: { audience: UPDATE_URL }, headerName: 'X-Serverless-Authorization' } },
          // The seed's manual flow: impersonate `caller` through the IAM Credentials API.
          { path: '/as-caller/**', target: UPDATE_URL, authentication: { impersonate: { serviceAccount: 'caller', method: impersonationMethod, audience: UPDATE_URL }, headerName: 'X-Serverless-Authorization' } },
          { path: '/access/**', target: UPDATE_URL, authentication: { googleAccessToken: {} } },
          { path: '/empty/**', target: UPDATE_URL, authentication: { googleIdToken: { audience: '' } } },
          { path: '/private/**', target: 'https://private-123456789012.us-central1.run.app', authentication: { googleIdToken: { audience: 'https://private-123456789012.us-central1.run.app' } } },
          { path: '/open/*', target: `${upstream}/base?fixed=1` },
        ],
      },
      {
        name: 'inside',
        port: 0,
        metadataPort: 0,
        serviceAccount: 'edge-gateway',
        insideVpc: true,
        routes: [{ path: '/**', target: 'https://private-123456789012.us-central1.run.app', authentication: { googleIdToken: { audience: 'https://private-123456789012.us-central1.run.app' } } }],
      },
    ],
  };
}

const gatewayUrl = (ap: TestAuthplane, name: string) => ap.listeners.find((l) => l.name === `gateway ${name}`)!.url;
const gatewayLog = (ap: TestAuthplane, gateway: string) => requestLogFor(ap.platform).recent({ service: gateway, limit: 1 })[0]!;

describe('gateway', () => {
  let rec: Awaited<ReturnType<typeof startRecorder>>;
  let ap: TestAuthplane;
  let edge: string;
  // authplane's clock: tokens minted at different times differ in iat, so a cache is told from a re-mint.
  let now = Date.now();

  before(async () => {
    rec = await startRecorder();
    ap = await startTestAuthplane(config(rec.url, 'generateAccessToken'), { clock: () => now });
    edge = gatewayUrl(ap, 'edge');
  });
  after(async () => {
    await ap?.stop();
    rec?.server.close();
  });

  it('row 4: useTargetUrl at the root → 200; the service gets the client\'s Authorization untouched and X-Serverless-Authorization without signature', async () => {
    rec.seen.length = 0;
    const res = await fetch(`${edge}/orders?limit=5`, { headers: { authorization: 'Bearer client-app-session-42' } });
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(await res.text(), 'ok from update');
    assert.equal(res.headers.get('x-upstream'), 'yes');
    const seen = rec.seen.at(-1)!;
    assert.equal(seen.url, '/?limit=5');
    assert.equal(seen.headers.authorization, 'Bearer client-app-session-42');
    const xsa = String(seen.headers['x-serverless-authorization']);
    assert.match(xsa, /^Bearer [\w-]+\.[\w-]+\.SIGNATURE_REMOVED_BY_GOOGLE$/);
    const claims = decodeJwt(xsa.slice(7).replace('SIGNATURE_REMOVED_BY_GOOGLE', 'AA'))!.claims;
    assert.equal(claims.aud, UPDATE_URL);
    assert.equal(claims.email, undefined, 'includeEmail defaults to false, as in Apigee');
    const gw = await ap.platform.identity.findServiceAccount(SA('edge-gateway'));
    assert.equal(claims.sub, gw!.uniqueId);
    assert.equal(seen.headers['x-authplane-internal'], undefined);
    assert.equal(gatewayLog(ap, 'edge').outcome, 'proxied');
  });

  it('caches the gateway\'s token per audience: the next request carries the same token', async () => {
    rec.seen.length = 0;
    await (await fetch(`${edge}/orders`)).text();
    // A second later a token minted anew would differ in iat (two mints in one second are identical).
    now += 1_000;
    await (await fetch(`${edge}/orders`)).text();
    assert.equal(rec.seen.length, 2);
    assert.equal(rec.seen[0]!.headers['x-serverless-authorization'], rec.seen[1]!.headers['x-serverless-authorization']);
  });

  it('row 4b: useTargetUrl with a request path → 401 AUDIENCE_MISMATCH, explained as useTargetUrl carrying the path', async () => {
    rec.seen.length = 0;
    const res = await fetch(`${edge}/orders/123?x=1`, { headers: { authorization: 'Bearer client-app-session-42' } });
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('x-authplane-denial'), 'AUDIENCE_MISMATCH');
    assert.match(res.headers.get('www-authenticate') ?? '', /invalid_token/);
    assert.equal(rec.seen.length, 0, 'the service never sees the request');
    const entry = gatewayLog(ap, 'edge');
    assert.equal(entry.code, 'AUDIENCE_MISMATCH');
    assert.equal(entry.outcome, 'refused');
    // The audience Apigee computes: target URL + request path, without the query…
    assert.equal(entry.evidence?.['audience'], `${UPDATE_URL}/123`);
    assert.match(entry.explanation!, /useTargetUrl/);
    assert.match(entry.explanation!, /plus the path \/123/);
    assert.match(entry.remedy!, new RegExp(`audience: ${UPDATE_URL.replace(/\./g, '\\.')}`));
    // …while the client library derives the origin for the same URL.
    assert.equal(deriveAudience(`${UPDATE_URL}/123?x=1`).audience, UPDATE_URL);
    // The front door's own entry says why Cloud Run refuses it: an audience with a path.
    const door = requestLogFor(ap.platform).recent({ service: 'update', limit: 1 })[0]!;
    assert.equal(door.code, 'AUDIENCE_MISMATCH');
    assert.equal(door.evidence?.['hint'], 'path');
    assert.match(door.remedy!, /useTargetUrl/);
  });

  it('a literal audience fixes 4b: the same path → 200, path passed on', async () => {
    rec.seen.length = 0;
    const res = await fetch(`${edge}/fixed/orders/123`, { method: 'POST', body: 'payload' });
    assert.equal(res.status, 200);
    assert.equal(rec.seen.at(-1)!.url, '/orders/123');
  });

  it('the seed\'s impersonation route with generateAccessToken → 401 ACCESS_TOKEN_NOT_ID_TOKEN, explained', async () => {
    const res = await fetch(`${edge}/as-caller/update`, { method: 'PUT', body: '{"taskId":"test"}' });
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('x-authplane-denial'), 'ACCESS_TOKEN_NOT_ID_TOKEN');
    const entry = gatewayLog(ap, 'edge');
    assert.match(entry.explanation!, /generateAccessToken/);
    assert.match(entry.remedy!, /generateIdToken/);
  });

  it('googleAccessToken to Cloud Run → 401 ACCESS_TOKEN_NOT_ID_TOKEN', async () => {
    const res = await fetch(`${edge}/access/x`);
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('x-authplane-denial'), 'ACCESS_TOKEN_NOT_ID_TOKEN');
  });

  it('an empty audience is Apigee\'s googletoken.EmptyIDTokenAudience fault', async () => {
    const res = await fetch(`${edge}/empty/x`);
    assert.equal(res.status, 500);
    assert.deepEqual(await res.json(), { fault: { faultstring: 'Unable to generate Google ID token: the audience is empty', detail: { errorcode: 'googletoken.EmptyIDTokenAudience' } } });
  });

  it('no matching route → 404 ApplicationNotFound fault', async () => {
    const res = await fetch(`${edge}/nowhere`);
    assert.equal(res.status, 404);
    const body = (await res.json()) as { fault: { detail: { errorcode: string } } };
    assert.equal(body.fault.detail.errorcode, 'messaging.adaptors.http.flow.ApplicationNotFound');
  });

  it('strips the base path, appends the suffix and the query to an outside target; hop-by-hop headers dropped; a client cannot claim internal', async () => {
    rec.seen.length = 0;
    const res = await fetch(`${edge}/open/item?q=2`, { headers: { 'x-authplane-internal': 'forged', 'x-custom': 'kept', te: 'trailers' } });
    assert.equal(res.status, 200);
    const seen = rec.seen.at(-1)!;
    assert.equal(seen.url, '/base/item?fixed=1&q=2');
    assert.equal(seen.headers['x-custom'], 'kept');
    assert.equal(seen.headers['x-authplane-internal'], undefined);
    assert.equal(seen.headers.te, undefined);
    assert.match(String(seen.headers['x-forwarded-for']), /127\.0\.0\.1/);
  });

  it('ingress: internal — blocked (404) through the outside gateway, admitted through the gateway declared insideVpc', async () => {
    const outside = await fetch(`${edge}/private/x`);
    assert.equal(outside.status, 404);
    assert.equal(outside.headers.get('x-authplane-denial'), 'INGRESS_BLOCKED');
    const inside = await fetch(`${gatewayUrl(ap, 'inside')}/x`);
    assert.equal(inside.status, 200);
    assert.equal(rec.seen.at(-1)!.headers['x-authplane-internal'], undefined, 'the front door strips the marker');
  });
});

describe('gateway: switching the impersonation route to generateIdToken', () => {
  it('the same request → 200, the service sees caller\'s identity', async () => {
    const rec = await startRecorder();
    const ap = await startTestAuthplane(config(rec.url, 'generateIdToken'));
    try {
      const res = await fetch(`${gatewayUrl(ap, 'edge')}/as-caller/update`, { method: 'PUT', body: '{"taskId":"test"}' });
      assert.equal(res.status, 200, await res.clone().text());
      const xsa = String(rec.seen.at(-1)!.headers['x-serverless-authorization']);
      const claims = decodeJwt(xsa.slice(7).replace('SIGNATURE_REMOVED_BY_GOOGLE', 'AA'))!.claims;
      assert.equal(claims.aud, UPDATE_URL);
      const caller = await ap.platform.identity.findServiceAccount(SA('caller'));
      assert.equal(claims.sub, caller!.uniqueId);
    } finally {
      await ap.stop();
      rec.server.close();
    }
  });

  it('a gateway not allowed to impersonate gets Apigee\'s callout fault carrying IMPERSONATION_DENIED', async () => {
    const rec = await startRecorder();
    const cfg = config(rec.url, 'generateIdToken');
    cfg.iam.bindings = cfg.iam.bindings.filter((b) => b.resource !== 'serviceAccounts/caller');
    const ap = await startTestAuthplane(cfg);
    try {
      const res = await fetch(`${gatewayUrl(ap, 'edge')}/as-caller/update`);
      assert.equal(res.status, 500);
      assert.equal(res.headers.get('x-authplane-denial'), 'IMPERSONATION_DENIED');
      const body = (await res.json()) as { fault: { detail: { errorcode: string } } };
      assert.equal(body.fault.detail.errorcode, 'steps.servicecallout.ExecutionFailed');
    } finally {
      await ap.stop();
      rec.server.close();
    }
  });
});

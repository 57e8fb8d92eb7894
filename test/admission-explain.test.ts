// `authplane explain` and the live front door make the same admission decision: for a table of (token,
// URL, header) triples across a plain service, one that accepts audiences with a path, one behind IAP, an
// internal-only one and one with a custom audience, the real CLI's finding has the status and code the front
// door answers.

import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { INTERNAL_HEADER } from '../src/platform.js';
import { startTestAuthplane, type TestAuthplane } from './support/authplane.js';
import { startBackend, type Backend } from './support/backend.js';
import { runCli } from './support/cli.js';

const PROJECT = 'demo-project';
const NUMBER = '123456789012';
const sa = (name: string) => `${name}@${PROJECT}.iam.gserviceaccount.com`;
const url = (service: string) => `https://${service}-${NUMBER}.us-central1.run.app`;
const CLIENT_ID = `${NUMBER}-portal.apps.googleusercontent.com`;
const IAP_AGENT = `service-${NUMBER}@gcp-sa-iap.iam.gserviceaccount.com`;
const CUSTOM = 'https://api.example.com/orders';

type Header = 'authorization' | 'x-serverless-authorization' | 'proxy-authorization';

interface Row {
  name: string;
  token: string;
  url: string;
  header?: Header;
  internal?: boolean;
}

describe('explain agrees with the live front door', () => {
  let ap: TestAuthplane;
  let backend: Backend;
  const rows: Row[] = [];

  before(async () => {
    backend = await startBackend();
    const upstream = backend.url;
    ap = await startTestAuthplane({
      defaultPrincipal: 'user:developer@example.com',
      iam: {
        bindings: [
          { resource: `projects/${PROJECT}`, role: 'roles/iam.serviceAccountTokenCreator', members: ['user:developer@example.com'] },
          ...['plain', 'paths', 'internal', 'custom'].map((s) => ({ resource: `services/${s}`, role: 'roles/run.invoker', members: [`serviceAccount:${sa('invoker')}`] })),
          { resource: 'services/portal', role: 'roles/run.invoker', members: [`serviceAccount:${IAP_AGENT}`] },
          { resource: 'iap/portal', role: 'roles/iap.httpsResourceAccessor', members: [`serviceAccount:${sa('invoker')}`] },
        ],
      },
      serviceAccounts: [{ name: 'invoker' }, { name: 'no-role' }],
      services: [
        { name: 'plain', upstream },
        { name: 'paths', upstream, allowAudiencePath: true },
        { name: 'portal', upstream, iap: { enabled: true, oauthClientId: CLIENT_ID } },
        { name: 'internal', upstream, ingress: 'internal' },
        { name: 'custom', upstream, customAudiences: [CUSTOM] },
        { name: 'public', upstream, invokerIamCheck: false },
      ],
    });
    const mint = async (account: string, audience: string, includeEmail = true) => {
      const r = await ap.api(`/v1/projects/-/serviceAccounts/${sa(account)}:generateIdToken`, { method: 'POST', body: JSON.stringify({ audience, includeEmail }) });
      assert.equal(r.status, 200);
      return ((await r.json()) as { token: string }).token;
    };
    const access = async () => {
      const r = await ap.api(`/v1/projects/-/serviceAccounts/${sa('invoker')}:generateAccessToken`, { method: 'POST', body: JSON.stringify({ scope: ['https://www.googleapis.com/auth/cloud-platform'] }) });
      return ((await r.json()) as { accessToken: string }).accessToken;
    };
    const signJwt = async (claims: Record<string, unknown>) => {
      const r = await ap.api(`/v1/projects/-/serviceAccounts/${sa('invoker')}:signJwt`, { method: 'POST', body: JSON.stringify({ payload: JSON.stringify(claims) }) });
      return ((await r.json()) as { signedJwt: string }).signedJwt;
    };
    const t = Math.floor(Date.now() / 1000);
    const add = (name: string, token: string, u: string, extra: Partial<Row> = {}) => rows.push({ name, token, url: u, ...extra });

    // A plain service.
    add('plain: the right token', await mint('invoker', url('plain')), `${url('plain')}/`);
    add('plain: the right token, trailing slash', await mint('invoker', `${url('plain')}/`), `${url('plain')}/x`);
    add('plain: without email', await mint('invoker', url('plain'), false), `${url('plain')}/`);
    add('plain: an account without the role', await mint('no-role', url('plain')), `${url('plain')}/`);
    add('plain: aud with a path', await mint('invoker', `${url('plain')}/v1`), `${url('plain')}/v1`);
    add('plain: aud without a scheme', await mint('invoker', `plain-${NUMBER}.us-central1.run.app:443`), `${url('plain')}/`);
    add('plain: aud of another service', await mint('invoker', url('custom')), `${url('plain')}/`);
    add('plain: an access token', await access(), `${url('plain')}/`);
    add('plain: no token', '', `${url('plain')}/`);
    add('plain: a self-signed JWT', await signJwt({ iss: sa('invoker'), sub: sa('invoker'), aud: url('plain'), iat: t, exp: t + 600 }), `${url('plain')}/`);
    add('plain: a forged Google ID token', await signJwt({ iss: 'https://accounts.google.com', sub: '1', email: sa('invoker'), aud: url('plain'), iat: t, exp: t + 600 }), `${url('plain')}/`);
    add('plain: garbage', 'not-a-token', `${url('plain')}/`);
    add('plain: in X-Serverless-Authorization', await mint('invoker', url('plain')), `${url('plain')}/`, { header: 'x-serverless-authorization' });
    add('plain: the IAP client ID', await mint('invoker', CLIENT_ID), `${url('plain')}/`);
    // A service that accepts audiences with a path.
    add('paths: aud with a path', await mint('invoker', `${url('paths')}/v1/update`), `${url('paths')}/v1/update`);
    add('paths: aud with a path and a port', await mint('invoker', `${url('paths')}:443/v1`), `${url('paths')}/v1`);
    add('paths: the root', await mint('invoker', url('paths')), `${url('paths')}/`);
    add('paths: another service with a path', await mint('invoker', `${url('plain')}/v1`), `${url('paths')}/v1`);
    // A service behind IAP.
    add('iap: client ID with email', await mint('invoker', CLIENT_ID), `${url('portal')}/`);
    add('iap: client ID without email', await mint('invoker', CLIENT_ID, false), `${url('portal')}/`);
    add('iap: the run.app URL', await mint('invoker', url('portal')), `${url('portal')}/`);
    add('iap: in Proxy-Authorization', await mint('invoker', CLIENT_ID), `${url('portal')}/`, { header: 'proxy-authorization' });
    add('iap: the account\'s own JWT for the resource', await signJwt({ iss: sa('invoker'), sub: sa('invoker'), aud: url('portal'), iat: t, exp: t + 600 }), `${url('portal')}/page`);
    add('iap: an account without access', await mint('no-role', CLIENT_ID), `${url('portal')}/`);
    add('iap: an access token', await access(), `${url('portal')}/`);
    // An internal-only service: blocked from outside whatever the token, admitted as same-project traffic.
    add('internal: from outside, the right token', await mint('invoker', url('internal')), `${url('internal')}/`);
    add('internal: from outside, no token', '', `${url('internal')}/`);
    add('internal: same-project traffic, the right token', await mint('invoker', url('internal')), `${url('internal')}/`, { internal: true });
    add('internal: same-project traffic, a wrong audience', await mint('invoker', url('plain')), `${url('internal')}/`, { internal: true });
    // A custom audience.
    add('custom: the custom audience', await mint('invoker', CUSTOM), `${url('custom')}/orders`);
    add('custom: the run.app URL too', await mint('invoker', url('custom')), `${url('custom')}/`);
    add('custom: the custom audience with a slash', await mint('invoker', `${CUSTOM}/`), `${url('custom')}/`);
    // A public service.
    add('public: no token', '', `${url('public')}/`);
    add('public: garbage', 'garbage', `${url('public')}/`);
  });

  after(async () => {
    await ap?.stop();
    await backend?.close();
  });

  /** The live front door's answer: the request sent to the service's port with the URL's Host. */
  function live(row: Row): Promise<{ status: number; code: string | null }> {
    const u = new URL(row.url);
    const service = ap.platform.directory.lookup(u)!;
    const door = new URL(service.urls.local!);
    const headers: string[] = ['Host', u.host];
    if (row.token !== '') headers.push(row.header ?? 'authorization', `Bearer ${row.token}`);
    if (row.internal) headers.push(INTERNAL_HEADER, ap.platform.internalSecret);
    return new Promise((resolve, reject) => {
      const req = httpRequest({ host: door.hostname, port: door.port, path: `${u.pathname}${u.search}`, headers: headers as unknown as Record<string, string> }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode!, code: (res.headers['x-authplane-denial'] as string | undefined) ?? null }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('for every row of the table, the real CLI says what the front door answers', async () => {
    assert.ok(rows.length >= 30, `${rows.length} rows`);
    const disagree: string[] = [];
    for (const row of rows) {
      const door = await live(row);
      const args = ['explain', '--token', row.token, '--url', row.url, '--json'];
      if (row.header) args.push('--header', row.header);
      if (row.internal) args.push('--internal');
      const cli = await runCli(args, { env: { AUTHPLANE_URL: ap.apiUrl } });
      const finding = JSON.parse(cli.stdout) as { accepted: boolean; status: number | 'proxied'; denial?: { code: string } };
      const said = { status: finding.accepted ? 200 : finding.status, code: finding.denial?.code ?? null };
      assert.equal(cli.code, finding.accepted ? 0 : 1, `${row.name}: exit code`);
      if (said.status !== door.status || said.code !== door.code) disagree.push(`${row.name}: front door ${door.status} ${door.code}, explain ${said.status} ${said.code}`);
    }
    assert.deepEqual(disagree, []);
    // Both outcomes occur in the table: it is not all refusals, nor all admissions.
    const outcomes = new Set(await Promise.all(rows.map(async (r) => (await live(r)).status)));
    for (const s of [200, 401, 403, 404]) assert.ok(outcomes.has(s), `the table covers ${s}`);
  });
});

// IAP's sign-in round trip over plain HTTP (no browser): the session cookie one authplane issues is
// valid on another authplane that shares its store (here: a restart on the same data dir), a cookie for
// another service or an altered one is not, and redirect targets stay on the service's origin.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { safeTarget } from '../src/iap/redirect.js';
import { startTestAuthplane, type TestAuthplane } from './support/authplane.js';

const CLIENT_ID = '123456789012-iapsession.apps.googleusercontent.com';
const AGENT = 'service-123456789012@gcp-sa-iap.iam.gserviceaccount.com';

/** The part of Set-Cookie headers a browser would send back. */
function cookiesFrom(r: Response): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of r.headers.getSetCookie()) {
    const [pair] = line.split(';');
    const eq = pair!.indexOf('=');
    out.set(pair!.slice(0, eq), pair!.slice(eq + 1));
  }
  return out;
}
const header = (jar: Map<string, string>) => [...jar].filter(([, v]) => v !== '').map(([k, v]) => `${k}=${v}`).join('; ');

describe('IAP session round trip over HTTP', () => {
  let backend: Server;
  let upstream: string;
  const dataDir = mkdtempSync(join(tmpdir(), 'authplane-iap-session-'));
  const config = () => ({
    defaultPrincipal: null,
    iam: {
      bindings: [
        { resource: 'iap/hello', role: 'roles/iap.httpsResourceAccessor', members: ['user:carol@example.com'] },
        { resource: 'iap/other', role: 'roles/iap.httpsResourceAccessor', members: ['user:carol@example.com'] },
        { resource: 'services/hello', role: 'roles/run.invoker', members: [`serviceAccount:${AGENT}`] },
        { resource: 'services/other', role: 'roles/run.invoker', members: [`serviceAccount:${AGENT}`] },
      ],
    },
    users: [{ email: 'carol@example.com' }],
    services: [
      { name: 'hello', upstream, iap: { enabled: true, oauthClientId: CLIENT_ID } },
      { name: 'other', upstream, iap: { enabled: true, oauthClientId: CLIENT_ID } },
    ],
  });

  before(async () => {
    backend = createServer((req, res) => res.end(String(req.headers['x-goog-authenticated-user-email'] ?? '')));
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
    upstream = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise<void>((r) => backend.close(() => r()));
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Walks the whole sign-in as a browser would; returns the cookie jar holding the session. */
  async function signIn(ap: TestAuthplane, app: string, path: string): Promise<Map<string, string>> {
    const jar = new Map<string, string>();
    const start = await fetch(app + path, { redirect: 'manual' });
    assert.equal(start.status, 302);
    for (const [k, v] of cookiesFrom(start)) jar.set(k, v);
    const signin = new URL(start.headers.get('location')!);
    assert.equal((await fetch(signin)).status, 200);
    const form = new URLSearchParams(signin.searchParams);
    form.set('email', 'carol@example.com');
    const chosen = await ap.api('/iap/signin', { method: 'POST', body: form, redirect: 'manual' });
    const html = await chosen.text();
    const pending = /name="pending" value="([^"]+)"/.exec(html)?.[1];
    assert.ok(pending, 'the consent page carries the pending sign-in');
    const consent = await ap.api('/iap/signin/consent', { method: 'POST', body: new URLSearchParams({ pending: pending.replace(/&#(\d+);/g, (_, c: string) => String.fromCharCode(Number(c))), decision: 'allow' }), redirect: 'manual' });
    assert.equal(consent.status, 302);
    const callback = consent.headers.get('location')!;
    assert.ok(callback.startsWith(`${app}/_gcp_gatekeeper/authenticate?`));
    const back = await fetch(callback, { headers: { cookie: header(jar) }, redirect: 'manual' });
    assert.equal(back.status, 302, await back.clone().text());
    assert.equal(back.headers.get('location'), path);
    for (const [k, v] of cookiesFrom(back)) jar.set(k, v);
    return jar;
  }

  it('a session issued by one authplane is valid on the next one sharing the store; not on another service; not when altered', async () => {
    let ap = await startTestAuthplane(config(), { dataDir });
    let jar: Map<string, string>;
    try {
      const app = ap.platform.directory.get('hello')!.urls.local!;
      jar = await signIn(ap, app, '/deep/page?x=1');
      const r = await fetch(`${app}/deep/page?x=1`, { headers: { cookie: header(jar) } });
      assert.equal(await r.text(), 'accounts.google.com:carol@example.com');
      // The XSRF nonce cookie is cleared after use; the session cookie remains.
      assert.deepEqual([...jar].filter(([, v]) => v !== '').map(([k]) => k.replace(/_[0-9A-F]+$/, '')), ['GCP_IAP_AUTH_TOKEN']);
    } finally {
      await ap.stop();
    }

    ap = await startTestAuthplane(config(), { dataDir });
    try {
      const hello = ap.platform.directory.get('hello')!.urls.local!;
      const other = ap.platform.directory.get('other')!.urls.local!;
      const again = await fetch(`${hello}/`, { headers: { cookie: header(jar), 'x-requested-with': 'XMLHttpRequest' } });
      assert.equal(again.status, 200);
      assert.equal(await again.text(), 'accounts.google.com:carol@example.com');
      // Same OAuth client, other service: that service's cookie name differs, so no session there.
      const elsewhere = await fetch(`${other}/`, { headers: { cookie: header(jar), 'x-requested-with': 'XMLHttpRequest' } });
      assert.equal(elsewhere.status, 401);
      // A cookie value changed by one character is not a session.
      const altered = new Map([...jar].map(([k, v]) => [k, v === '' ? v : v.slice(0, -2) + (v.at(-2) === 'A' ? 'B' : 'A') + v.slice(-1)]));
      for (const [k, v] of altered) assert.ok(v === '' || v !== jar.get(k), `cookie ${k} was altered`);
      const bad = await fetch(`${hello}/`, { headers: { cookie: header(altered), 'x-requested-with': 'XMLHttpRequest' } });
      assert.equal(bad.status, 401);
      assert.equal(bad.headers.get('x-authplane-denial'), 'TOKEN_MISSING');
    } finally {
      await ap.stop();
    }
  });

  it('redirect targets after sign-in are paths on the same origin', () => {
    assert.equal(safeTarget('/a/b?c=1'), '/a/b?c=1');
    for (const bad of ['https://evil.example/', '//evil.example/x', '/\\evil.example', 'javascript:alert(1)', '', undefined, '/%0d%0aSet-Cookie:x'.replace('%0d%0a', '\r\n')]) {
      assert.equal(safeTarget(bad), '/', String(bad));
    }
  });
});

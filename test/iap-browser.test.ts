// IAP's browser flow in real Chromium (SCENARIOS rows 15 and 16): sign in on authplane's account chooser,
// consent, land back on the page with a session cookie, visit again without signing in, sign out; a user
// without roles/iap.httpsResourceAccessor sees IAP's 403 Access denied page.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page, type Response } from 'playwright-core';
import { startTestAuthplane, type TestAuthplane } from './support/authplane.js';

const CHROMIUM = '/usr/bin/chromium';
const CLIENT_ID = '123456789012-iapweb.apps.googleusercontent.com';
const AGENT = 'service-123456789012@gcp-sa-iap.iam.gserviceaccount.com';
const haveChromium = existsSync(CHROMIUM);

if (!haveChromium) {
  console.warn(
    '\n' + '='.repeat(78) + `\n  SKIPPING IAP BROWSER TESTS: ${CHROMIUM} is missing.\n  Install it with: apt-get install -y chromium   (CI's .ci/run does)\n` + '='.repeat(78) + '\n',
  );
}

describe('IAP browser sign-in (rows 15, 16)', () => {
  let ap: TestAuthplane;
  let backend: Server;
  let browser: Browser;
  let app: string;

  before(async () => {
    if (!haveChromium) return;
    // The app: a page that greets the user IAP says is signed in.
    backend = createServer((req, res) => {
      const who = String(req.headers['x-goog-authenticated-user-email'] ?? 'nobody').replace(/^accounts\.google\.com:/, '');
      const iapCookies = String(req.headers.cookie ?? '').includes('GCP_IAP_');
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><title>hello app</title><h1 id="who">${who.replace(/[<>&]/g, '')}</h1><p id="path">${req.url}</p><p id="cookies">${iapCookies ? 'leaked' : 'clean'}</p>`);
    });
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
    ap = await startTestAuthplane({
      defaultPrincipal: null,
      iam: {
        bindings: [
          { resource: 'iap/hello', role: 'roles/iap.httpsResourceAccessor', members: ['user:alice@example.com'] },
          { resource: 'services/hello', role: 'roles/run.invoker', members: [`serviceAccount:${AGENT}`] },
        ],
      },
      users: [
        { email: 'alice@example.com', displayName: 'Alice', password: 'correct horse' },
        { email: 'bob@example.com', displayName: 'Bob' },
      ],
      services: [{ name: 'hello', upstream: `http://127.0.0.1:${(backend.address() as AddressInfo).port}`, iap: { enabled: true, oauthClientId: CLIENT_ID } }],
    });
    app = ap.platform.directory.get('hello')!.urls.local!;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    });
  });

  after(async () => {
    await browser?.close();
    await ap?.stop();
    if (backend) await new Promise<void>((r) => backend.close(() => r()));
  });

  /** Picks `email` on the account chooser (typing `password` if asked); returns with the page after that step. */
  async function chooseAccount(page: Page, email: string, password?: string): Promise<void> {
    assert.ok(page.url().startsWith(`${ap.apiUrl}/iap/signin?`), `expected the sign-in page, got ${page.url()}`);
    assert.equal(await page.locator('h1').textContent(), 'Choose an account');
    await Promise.all([page.waitForLoadState('load'), page.locator(`button[value="${email}"]`).click()]);
    if (password !== undefined) {
      assert.ok(await page.locator('input[type=password]').isVisible(), 'the password step shows');
      await page.fill('input[type=password]', password);
      await Promise.all([page.waitForLoadState('load'), page.locator('button.primary').click()]);
    }
  }

  it('row 15: alice signs in, consents, sees her page, comes back without signing in, signs out', { skip: haveChromium ? false : `${CHROMIUM} is missing` }, async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const signinHits: string[] = [];
    page.on('request', (r) => {
      if (r.url().startsWith(`${ap.apiUrl}/iap/signin`)) signinHits.push(r.url());
    });

    // 1. Unauthenticated: IAP sends the browser to the account chooser.
    const first = await page.goto(`${app}/reports?q=1`);
    assert.ok(first);
    await chooseAccount(page, 'alice@example.com', 'wrong');
    assert.match((await page.locator('.error').textContent()) ?? '', /Wrong password/);
    await page.fill('input[type=password]', 'correct horse');
    await Promise.all([page.waitForLoadState('load'), page.locator('button.primary').click()]);

    // 2. First use of this OAuth client: the consent screen names it.
    assert.match((await page.locator('h1').textContent()) ?? '', /wants to access your account/);
    assert.ok(((await page.content()) ?? '').includes(CLIENT_ID));
    // The session cookie is set during this step: its expiry is bracketed by the clock before and after.
    const consentFrom = Date.now() / 1000;
    await Promise.all([page.waitForURL(`${app}/reports?q=1`), page.locator('button[value=allow]').click()]);
    const consentTo = Date.now() / 1000;

    // 3. Back on the page asked for, as alice; IAP's cookies do not reach the app.
    assert.equal(await page.locator('#who').textContent(), 'alice@example.com');
    assert.equal(await page.locator('#path').textContent(), '/reports?q=1');
    assert.equal(await page.locator('#cookies').textContent(), 'clean');
    const session = (await context.cookies(app)).find((c) => c.name.startsWith('GCP_IAP_AUTH_TOKEN_'));
    assert.ok(session, 'a session cookie is set');
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, 'Lax');
    assert.equal(session.secure, false, 'plain http front door: not Secure');
    // One hour from when it was set (Expires has whole seconds).
    assert.ok(session.expires >= Math.floor(consentFrom) + 3600 && session.expires <= Math.ceil(consentTo) + 3600, `expires ${session.expires}, set between ${consentFrom} and ${consentTo}`);
    assert.ok(!session.value.includes('alice'), 'the cookie is opaque');

    // 4. A second visit needs no sign-in.
    signinHits.length = 0;
    await page.goto(`${app}/second`);
    assert.equal(await page.locator('#who').textContent(), 'alice@example.com');
    assert.deepEqual(signinHits, []);
    // …and the page's own AJAX calls go through with the cookie.
    const ajax = await page.evaluate(async () => (await fetch('/_gcp_iap/identity', { headers: { 'X-Requested-With': 'XMLHttpRequest' } })).json());
    assert.equal((ajax as { email: string }).email, 'accounts.google.com:alice@example.com');

    // 5. Sign out; the next visit goes to sign-in again; consent is not asked twice.
    await page.goto(`${app}/_gcp_iap/clear_login_cookie`);
    assert.equal(await page.locator('h1').textContent(), 'You have been signed out');
    assert.equal((await context.cookies(app)).find((c) => c.name.startsWith('GCP_IAP_AUTH_TOKEN_')), undefined);
    const status = await page.evaluate(async () => (await fetch('/x', { headers: { 'X-Requested-With': 'XMLHttpRequest' } })).status);
    assert.equal(status, 401, 'AJAX without a session: 401, not a redirect');
    await page.goto(`${app}/again`);
    await chooseAccount(page, 'alice@example.com', 'correct horse');
    await page.waitForURL(`${app}/again`);
    assert.equal(await page.locator('#who').textContent(), 'alice@example.com');
    await context.close();
  });

  it('row 16: bob, without the role, sees 403 Access denied after signing in', { skip: haveChromium ? false : `${CHROMIUM} is missing` }, async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const answers: Response[] = [];
    page.on('response', (r) => {
      if (r.url().startsWith(app)) answers.push(r);
    });
    await page.goto(`${app}/`);
    await chooseAccount(page, 'bob@example.com');
    await Promise.all([page.waitForURL(`${app}/`), page.locator('button[value=allow]').click()]);
    assert.equal(await page.locator('h1').textContent(), '403 Access denied');
    assert.ok(((await page.content()) ?? '').includes('bob@example.com'));
    const denied = answers.at(-1)!;
    assert.equal(denied.status(), 403);
    const headers = await denied.allHeaders();
    assert.equal(headers['x-goog-iap-generated-response'], 'true');
    assert.equal(headers['x-authplane-denial'], 'PERMISSION_DENIED');
    await context.close();
  });

  it('no open redirect: the sign-in page refuses redirect URIs that are not a protected service\'s callback', { skip: haveChromium ? false : `${CHROMIUM} is missing` }, async () => {
    const ask = (redirectUri: string, clientId = CLIENT_ID) =>
      ap.api(`/iap/signin?${new URLSearchParams({ client_id: clientId, redirect_uri: redirectUri, response_type: 'code', state: 's' })}`);
    for (const bad of ['https://evil.example/_gcp_gatekeeper/authenticate', `${app}/elsewhere`, `${app}/_gcp_gatekeeper/authenticate?next=https://evil.example`]) {
      const r = await ask(bad);
      assert.equal(r.status, 400, bad);
      assert.match(await r.text(), /redirect_uri_mismatch/);
    }
    assert.equal((await ask(`${app}/_gcp_gatekeeper/authenticate`, 'someone-else.apps.googleusercontent.com')).status, 400);
    assert.equal((await ask(`${app}/_gcp_gatekeeper/authenticate`)).status, 200);
    // A callback whose state this browser did not start is refused, whatever its code.
    const forged = await fetch(`${app}/_gcp_gatekeeper/authenticate?state=v1.AAAA&code=v1.BBBB`, { redirect: 'manual' });
    assert.equal(forged.status, 401);
    assert.equal(forged.headers.get('set-cookie'), null);
  });
});

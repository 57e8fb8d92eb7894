// authplane's sign-in pages on the API port: what accounts.google.com is to IAP. IAP sends the browser
// here with an OAuth authorization request (client_id, redirect_uri, state, response_type=code); the user
// picks one of the configured users (typing its password when one is set), consents to the app's OAuth
// client on first use, and is sent back to redirect_uri with a code (authorization-code.ts).
//
//   GET  /iap/signin           account chooser
//   POST /iap/signin           chosen account (+ password) → consent page, or straight back when already consented
//   POST /iap/signin/consent   Allow → back with a code; Cancel → back with error=access_denied

import { timingSafeEqual, createHash } from 'node:crypto';
import type { ApiRequest, ApiResponse, Router } from '../apis/router.js';
import type { Platform } from '../platform.js';
import { issueCode } from './authorization-code.js';
import type { IapRuntime } from './runtime.js';
import { accountChooserPage, consentPage, oauthErrorPage, passwordPage } from './pages.js';
import { checkRedirect } from './redirect.js';
import { SIGNIN_WINDOW_S } from './session.js';

export const SIGNIN_PATH = '/iap/signin';

const HTML_HEADERS = { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'x-frame-options': 'DENY' };

interface PendingConsent {
  email: string;
  clientId: string;
  redirectUri: string;
  state: string;
  exp: number;
}

const html = (body: string, status = 200, extra: Record<string, string | string[]> = {}): ApiResponse => ({ status, headers: { ...HTML_HEADERS, ...extra }, body });

const isHttps = (req: ApiRequest) => Boolean((req.raw.socket as { encrypted?: boolean }).encrypted);

function samePassword(given: string, expected: string): boolean {
  // Compare digests so the comparison takes the same time whatever the lengths.
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

export function signinRoutes(router: Router, platform: Platform, runtime: () => Promise<IapRuntime>): void {
  const users = platform.config.users;

  /** The OAuth request as the pages pass it along, validated. */
  const oauthRequest = (p: URLSearchParams) => {
    const clientId = p.get('client_id');
    const check = checkRedirect(platform.directory, clientId, p.get('redirect_uri'));
    if (!check.ok) return { ok: false as const, response: html(oauthErrorPage(check.error, check.detail), 400) };
    if (p.get('response_type') !== null && p.get('response_type') !== 'code') {
      return { ok: false as const, response: html(oauthErrorPage('unsupported_response_type', `response_type ${p.get('response_type')} is not supported; IAP uses code.`), 400) };
    }
    const state = p.get('state') ?? '';
    const fields = { client_id: clientId!, redirect_uri: check.redirectUri, state, response_type: 'code', scope: p.get('scope') ?? 'openid email' };
    return { ok: true as const, clientId: clientId!, redirectUri: check.redirectUri, state, fields, appName: check.service.config.name };
  };

  const backWithCode = async (rt: IapRuntime, email: string, clientId: string, redirectUri: string, state: string, setCookies: string[] = []): Promise<ApiResponse> => {
    const check = checkRedirect(platform.directory, clientId, redirectUri);
    if (!check.ok) return html(oauthErrorPage(check.error, check.detail), 400);
    const code = issueCode(rt.sealer, { email, userId: platform.identity.userId(email), clientId, service: check.service.config.name, redirectUri }, state, platform.clock());
    const location = `${redirectUri}?state=${encodeURIComponent(state)}&code=${encodeURIComponent(code)}`;
    return { status: 302, headers: { location, 'cache-control': 'no-store', ...(setCookies.length ? { 'set-cookie': setCookies } : {}) } };
  };

  // The sign-in pages are public, like accounts.google.com: they are where a caller becomes known.
  const pages = router.for('accounts.google.com');
  const signIn = { public: 'sign-in pages: where a browser user authenticates' } as const;
  pages.get(SIGNIN_PATH, signIn, (req) => {
    const r = oauthRequest(req.query);
    return r.ok ? html(accountChooserPage(r.appName, users, r.fields)) : r.response;
  });

  pages.post(SIGNIN_PATH, signIn, async (req) => {
    const rt = await runtime();
    const form = await req.form();
    const r = oauthRequest(form);
    if (!r.ok) return r.response;
    const email = form.get('email') ?? '';
    const user = users.find((u) => u.email === email);
    if (!user) return html(accountChooserPage(r.appName, users, r.fields, `Couldn't find an account ${email}: choose one of the users configured in authplane.yaml.`), 400);
    if (user.password !== undefined) {
      const password = form.get('password');
      if (password === null) return html(passwordPage(r.appName, email, r.fields));
      if (!samePassword(password, user.password)) return html(passwordPage(r.appName, email, r.fields, 'Wrong password. Try again.'), 401);
    }
    if (rt.consent.has(req.headers.cookie, email, r.clientId)) return backWithCode(rt, email, r.clientId, r.redirectUri, r.state);
    const pending: PendingConsent = { email, clientId: r.clientId, redirectUri: r.redirectUri, state: r.state, exp: Math.floor(platform.clock() / 1000) + SIGNIN_WINDOW_S };
    return html(consentPage(r.appName, r.clientId, email, rt.sealer.seal('pending', pending)));
  });

  pages.post(`${SIGNIN_PATH}/consent`, signIn, async (req) => {
    const rt = await runtime();
    const form = await req.form();
    const pending = rt.sealer.open<PendingConsent>('pending', form.get('pending') ?? undefined);
    if (!pending || pending.exp <= platform.clock() / 1000) {
      return html(oauthErrorPage('invalid_request', 'This sign-in has expired or was not started here. Open the application again to sign in.'), 400);
    }
    if (form.get('decision') !== 'allow') {
      const location = `${pending.redirectUri}?error=access_denied&state=${encodeURIComponent(pending.state)}`;
      return { status: 302, headers: { location, 'cache-control': 'no-store' } };
    }
    const granted = rt.consent.grant(req.headers.cookie, pending.email, pending.clientId, isHttps(req));
    return backWithCode(rt, pending.email, pending.clientId, pending.redirectUri, pending.state, [granted]);
  });
}

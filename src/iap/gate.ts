// IAP in a Cloud Run service's request path (a FrontDoorGate: after ingress, before the invoker check).
//
//   1. IAP's own URLs: the sign-in callback, /_gcp_iap/clear_login_cookie (or ?gcp-iap-mode=CLEAR_LOGIN_COOKIE).
//   2. Who is calling: a bearer credential (programmatic.ts) or the session cookie (session.ts); neither →
//      302 to the sign-in page, or 401 for AJAX (X-Requested-With: XMLHttpRequest).
//   3. /_gcp_iap/do_session_refresh renews the session.
//   4. Access: iap.webServiceVersions.accessViaIAP on iap/SERVICE (access.ts), else 403 Access denied.
//   5. /_gcp_iap/identity (or ?gcp-iap-mode=IDENTITY) answers who the caller is.
//   6. Otherwise the request goes on without client-sent x-goog-* headers and IAP's cookies, with IAP's
//      identity headers and signed assertion, and IAP's service agent's ID token for the invoker check.

import type { FrontDoorGate, GateOutcome, GateRequest, GateResponse } from '../admission/gate.js';
import { memberForEmail } from '../admission/invoker.js';
import { header, type AdmissionRequest } from '../admission/request.js';
import type { TokenChecks } from '../admission/tokens.js';
import type { ServiceEntry } from '../services/directory.js';
import { deny, type Denial } from '../verify/denial.js';
import { DENIAL_HEADER, denialResponse } from '../verify/response.js';
import { checkIapAccess } from './access.js';
import { IAP_ACCOUNT_PREFIX } from './assertion.js';
import { redeemCode } from './authorization-code.js';
import { clearCookie, withoutCookies } from './cookies.js';
import { accessDeniedPage, escapeHtml, sessionRefreshedPage, signedOutPage, signinFailedPage } from './pages.js';
import { IAP_CREDENTIAL_HEADERS, pickIapCredential, ProgrammaticAccess, type IapIdentity } from './programmatic.js';
import { IAP_CALLBACK_PATH, safeTarget, serviceOrigins } from './redirect.js';
import type { IapRuntime } from './runtime.js';
import { IAP_COOKIE_PREFIX, sessionCookieName, xsrfCookieName } from './session.js';
import { SIGNIN_PATH } from './signin.js';

const CLEAR_LOGIN_COOKIE_PATH = '/_gcp_iap/clear_login_cookie';
const IDENTITY_PATH = '/_gcp_iap/identity';
const SESSION_REFRESH_PATH = '/_gcp_iap/do_session_refresh';

/** Every answer IAP itself gives carries this (REFERENCE §5). */
const GENERATED = { 'x-goog-iap-generated-response': 'true' } as const;
const HTML = { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' } as const;

type Respond = GateResponse;

const isHttps = (req: AdmissionRequest) => req.secure;
const isAjax = (req: AdmissionRequest) => (header(req, 'x-requested-with') ?? '').toLowerCase() === 'xmlhttprequest';
const wantsHtml = (req: AdmissionRequest) => (header(req, 'accept') ?? '').includes('text/html');
const cookieOf = (req: AdmissionRequest) => header(req, 'cookie');

export class IapGate implements FrontDoorGate {
  readonly name = 'iap';

  constructor(private readonly rt: IapRuntime) {}

  applies(service: ServiceEntry): boolean {
    return service.config.iap.enabled;
  }

  async handle({ service, request: req, url, tokens }: GateRequest): Promise<GateOutcome> {
    const mode = (url.searchParams.get('gcp-iap-mode') ?? '').toUpperCase();
    const path = url.pathname;
    if (path === IAP_CALLBACK_PATH) return this.finishSignin(service, req, url);
    if (path === CLEAR_LOGIN_COOKIE_PATH || mode === 'CLEAR_LOGIN_COOKIE') {
      const clear = this.rt.sessions.clear(service.config.iap.oauthClientId!, service.config.name, isHttps(req));
      return { kind: 'respond', status: 200, headers: { ...HTML, ...GENERATED, 'set-cookie': clear }, body: signedOutPage() };
    }

    const who = await this.authenticate(service, req, url, tokens);
    if ('kind' in who) return who;

    if (path === SESSION_REFRESH_PATH || mode === 'DO_SESSION_REFRESH') {
      const headers: Record<string, string | string[]> = { ...HTML, ...GENERATED };
      if (who.via === 'session-cookie') {
        headers['set-cookie'] = this.rt.sessions.issue(who.email, who.userId, service.config.iap.oauthClientId!, service.config.name, isHttps(req)).setCookie;
      }
      return { kind: 'respond', status: 200, headers, body: sessionRefreshedPage() };
    }

    const denial = checkIapAccess(this.rt.platform.iam, who, service.config.name, this.rt.platform.config.project.region);
    if (denial) return this.refuse(denial, req, { email: who.email });

    if (path === IDENTITY_PATH || mode === 'IDENTITY') {
      return {
        kind: 'respond',
        status: 200,
        headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...GENERATED },
        body: JSON.stringify({ email: IAP_ACCOUNT_PREFIX + who.email, sub: IAP_ACCOUNT_PREFIX + who.userId }),
      };
    }
    return this.pass(service, req, who);
  }

  /** Who is calling, or the answer when IAP cannot tell. */
  private async authenticate(service: ServiceEntry, req: AdmissionRequest, url: URL, tokens: TokenChecks): Promise<IapIdentity | Respond> {
    const audiences = ProgrammaticAccess.idTokenAudiences(service);
    const cred = pickIapCredential(req.rawHeaders, audiences);
    if (cred.kind === 'refused') return this.refuse(cred.denial, req);
    if (cred.kind === 'bearer') {
      const r = await this.rt.programmatic.verify(cred.token, cred.header, service, url.pathname, tokens);
      return r.ok ? r.identity : this.refuse(r.denial, req);
    }

    const clientId = service.config.iap.oauthClientId!;
    const session = this.rt.sessions.read(cookieOf(req), clientId, service.config.name);
    if (session.kind === 'valid') {
      const s = session.session;
      return { email: s.email, userId: s.userId, member: memberForEmail(s.email), via: 'session-cookie' };
    }

    // No credential at all: browsers go to sign-in, scripts get 401.
    const cookieName = sessionCookieName(clientId, service.config.name);
    const evidence = { audiences, expectedAudience: audiences[0], headers: [...IAP_CREDENTIAL_HEADERS], cookie: cookieName, session: session.kind };
    const denial =
      session.kind === 'expired'
        ? deny('TOKEN_EXPIRED', 'iap', { ...evidence, expIso: new Date(session.session.exp * 1000).toISOString(), expiredForSec: Math.round(this.rt.platform.clock() / 1000 - session.session.exp), clockSkewSec: 0 })
        : deny('TOKEN_MISSING', 'iap', evidence);
    const secure = isHttps(req);
    const staleCookie = session.kind === 'none' ? [] : [clearCookie(cookieName, secure)];
    if (isAjax(req)) return this.refuse(denial, req, { setCookie: staleCookie });

    const origin = this.originOf(service, req);
    const begin = this.rt.sessions.beginSignin(service.config.name, safeTarget(url.pathname + url.search), secure);
    const q = new URLSearchParams({
      client_id: clientId,
      response_type: 'code',
      scope: 'openid email',
      redirect_uri: origin + IAP_CALLBACK_PATH,
      state: begin.state,
    });
    const location = `${this.rt.platform.apiUrl}${SIGNIN_PATH}?${q}`;
    return {
      kind: 'respond',
      status: 302,
      headers: { ...HTML, ...GENERATED, location, 'set-cookie': [begin.setCookie, ...staleCookie], [DENIAL_HEADER]: denial.code },
      body: `<!doctype html><title>302 Found</title><a href="${escapeHtml(location)}">Sign in</a>\n`,
      denial,
    };
  }

  /** The sign-in page sent the browser back: check the round trip, start the session, return to the page. */
  private finishSignin(service: ServiceEntry, req: AdmissionRequest, url: URL): Respond {
    const clientId = service.config.iap.oauthClientId!;
    const secure = isHttps(req);
    const state = url.searchParams.get('state') ?? '';
    const fail = (reason: string, status = 401, cookies: string[] = []): Respond => ({
      kind: 'respond',
      status,
      headers: { ...HTML, ...GENERATED, ...(cookies.length ? { 'set-cookie': cookies } : {}) },
      body: signinFailedPage(reason),
    });
    const round = this.rt.sessions.finishSignin(state, cookieOf(req), service.config.name);
    if (!round) return fail('This sign-in was not started in this browser, or took longer than 10 minutes. Open the page again to sign in.');
    const xsrf = clearCookie(xsrfCookieName(round.id), secure);
    if (url.searchParams.get('error') === 'access_denied') return fail('You declined to share your account with this application.', 401, [xsrf]);
    const code = redeemCode(this.rt.sealer, url.searchParams.get('code') ?? undefined, { clientId, service: service.config.name, state }, this.rt.platform.clock());
    if (!code.ok) return fail(code.reason, 401, [xsrf]);
    const { setCookie } = this.rt.sessions.issue(code.code.email, code.code.userId, clientId, service.config.name, secure);
    return {
      kind: 'respond',
      status: 302,
      headers: { ...HTML, ...GENERATED, location: safeTarget(round.target), 'set-cookie': [setCookie, xsrf] },
      body: '',
    };
  }

  /** Admitted: what IAP changes on the request before Cloud Run's invoker check. */
  private async pass(service: ServiceEntry, req: AdmissionRequest, who: IapIdentity): Promise<GateOutcome> {
    const assertion = this.rt.assertions.sign(service.config.name, { email: who.email, userId: who.userId });
    const setHeaders: Record<string, string> = {
      'x-goog-authenticated-user-email': IAP_ACCOUNT_PREFIX + who.email,
      'x-goog-authenticated-user-id': IAP_ACCOUNT_PREFIX + who.userId,
      'x-goog-iap-jwt-assertion': assertion,
    };
    // IAP consumes its own credentials: the proxy header and IAP's cookies never reach the app.
    const removeHeaders = ['x-goog-*', 'proxy-authorization'];
    if (who.header === 'x-serverless-authorization') removeHeaders.push('x-serverless-authorization');
    const cookie = cookieOf(req);
    if (cookie !== undefined) {
      const rest = withoutCookies(cookie, (n) => n.startsWith(IAP_COOKIE_PREFIX));
      if (rest === undefined) removeHeaders.push('cookie');
      else setHeaders['cookie'] = rest;
    }
    return { kind: 'continue', setHeaders, removeHeaders, invokerToken: await this.rt.invokerTokens.tokenFor(service), principal: who.member };
  }

  /** IAP's refusal: Google's status and words, the generated-response marker and authplane's code. */
  private refuse(denial: Denial, req: AdmissionRequest, opts: { email?: string; setCookie?: string[] } = {}): Respond {
    const r = denialResponse(denial);
    const headers: Record<string, string | string[]> = { ...r.headers, ...GENERATED, 'cache-control': 'no-store' };
    if (opts.setCookie?.length) headers['set-cookie'] = opts.setCookie;
    const body = denial.status === 403 && wantsHtml(req) ? accessDeniedPage(denial.message, opts.email, CLEAR_LOGIN_COOKIE_PATH) : r.body;
    return { kind: 'respond', status: denial.status, headers, body, denial };
  }

  /** The origin the browser used, when it is one of the service's; else the front door's own. */
  private originOf(service: ServiceEntry, req: AdmissionRequest): string {
    const host = header(req, 'host');
    const scheme = isHttps(req) ? 'https' : 'http';
    const origins = serviceOrigins(service);
    const candidate = host ? `${scheme}://${host}` : undefined;
    if (candidate && origins.includes(candidate)) return candidate;
    if (host && this.rt.platform.directory.lookup(`${scheme}://${host}`) === service) {
      // localhost:PORT for 127.0.0.1:PORT: same front door, and the origin the browser keeps cookies for.
      return candidate!;
    }
    return origins[0]!;
  }
}

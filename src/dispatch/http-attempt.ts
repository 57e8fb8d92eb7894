// One HTTP attempt of one of Google's callers (Cloud Tasks, Cloud Scheduler, Pub/Sub push), sent the way
// they send it: the product's method, headers and body, and an OIDC or OAuth token minted for the service
// account the work runs as, which overrides any Authorization header of the work's own (REFERENCE §7, §10).
// A URL of a local service goes to its front door as same-project (internal) traffic, with Host computed
// from the URL as Google does; any other URL is called as given. The front door's refusal code and request
// id come back from its response headers. The deadline is a wait on the platform's clock (timers.ts). Tasks and
// Scheduler follow redirects within the attempt (`followRedirects`, `redirected`); the last response decides.

import http from 'node:http';
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import { INTERNAL_HEADER, type Platform } from '../platform.js';
import { DENIAL_HEADER, REQUEST_ID_HEADER } from '../verify/response.js';
import type { DispatchTokens } from './tokens.js';
import { localFrontDoors, wireHeaders } from './local-delivery.js';
import type { HttpMethodName } from '../store/task-store.js';
import type { AttemptFields } from '../store/dispatch-attempts.js';


/** The token Google attaches: an ID token (oidcToken) or an access token (oauthToken). */
export type AttemptToken = { kind: 'oidc'; serviceAccountEmail: string; audience: string } | { kind: 'oauth'; serviceAccountEmail: string; scope: string };

export interface HttpAttemptRequest {
  url: string;
  method: HttpMethodName;
  /** The product's headers, already stripped of what it computes or reserves; Authorization gives way to `token`. */
  headers: Record<string, string>;
  body?: Buffer;
  token?: AttemptToken;
  /** No complete response within this = a failed attempt (Google cancels the request). */
  deadlineMs: number;
  /** Set when the token cannot be minted for a reason Google's caller would not send it for (the product explains). */
  withoutToken?: string;
  /**
   * Interim (1xx) statuses that are the attempt's answer: Pub/Sub push counts "102" as an acknowledgement
   * (REFERENCE §9), where an HTTP client would otherwise wait for the final response.
   */
  interimAnswers?: readonly number[];
  /**
   * Redirects (301, 302, 303, 307, 308 with a Location) followed within the attempt, at most this many; unset
   * or 0: a redirect is the attempt's answer. See `redirected` for what the next request carries.
   */
  followRedirects?: number;
}

/**
 * How many redirects Cloud Tasks and Cloud Scheduler follow. Neither says; Go's net/http client (Google's, and the
 * model for `redirected`) stops after 10 (client.go defaultCheckRedirect: "stopped after 10 redirects").
 */
export const MAX_REDIRECTS = 10;

/** What came of an attempt: the shared fields of every attempt record, and what only the dispatcher needs. */
export interface AttemptOutcome extends Pick<AttemptFields, 'dispatchTime' | 'responseTime' | 'httpStatus' | 'latencyMs' | 'denial' | 'frontDoorRequestId' | 'error'> {
  /** The target's Retry-After header. */
  retryAfter: string | undefined;
  /** Whether it went to a local front door as internal traffic. */
  internal: boolean;
}

const agentOptions = { keepAlive: true, maxSockets: 2048, maxFreeSockets: 512, scheduling: 'lifo' as const };
const httpAgent = new http.Agent(agentOptions);
const httpsAgent = new https.Agent(agentOptions);

function mint(tokens: DispatchTokens, t: AttemptToken): Promise<string> {
  return t.kind === 'oidc' ? tokens.idToken(t.serviceAccountEmail, t.audience) : tokens.accessToken(t.serviceAccountEmail, t.scope);
}

export async function sendAttempt(platform: Platform, tokens: DispatchTokens, req: HttpAttemptRequest): Promise<AttemptOutcome> {
  const dispatchTime = platform.clock();
  const started = performance.now();
  const original = new URL(req.url);
  const first = platform.directory.resolve(req.url);
  let internal = Boolean(first);
  const fail = (error: string): AttemptOutcome => ({
    dispatchTime,
    responseTime: null,
    httpStatus: null,
    latencyMs: performance.now() - started,
    denial: null,
    frontDoorRequestId: null,
    retryAfter: undefined,
    error,
    internal,
  });

  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (!(req.token && k.toLowerCase() === 'authorization')) headers[k] = v;
  if (req.token) {
    try {
      headers['Authorization'] = `Bearer ${await mint(tokens, req.token)}`;
    } catch (e) {
      return fail(`could not mint the token for ${req.token.serviceAccountEmail}: ${(e as Error).message}`);
    }
  }

  // The attempt settles once: a response, an interim answer, a failure or the deadline, whichever comes first.
  let settle: (o: AttemptOutcome) => void = () => undefined;
  const outcome = new Promise<AttemptOutcome>((resolve) => (settle = resolve));
  let settled = false;
  let cancel: () => void = () => undefined;
  const done = (o: AttemptOutcome) => {
    if (settled) return;
    settled = true;
    deadline.cancel();
    settle(req.withoutToken && o.error === null ? { ...o, error: req.withoutToken } : o);
  };
  const answered = (status: number, header: (name: string) => string | undefined, local: boolean): AttemptOutcome => {
    const requestId = header(REQUEST_ID_HEADER);
    return {
      dispatchTime,
      responseTime: platform.clock(),
      httpStatus: status,
      latencyMs: performance.now() - started,
      denial: header(DENIAL_HEADER) ?? null,
      frontDoorRequestId: local && requestId !== undefined ? requestId : null,
      retryAfter: header('retry-after'),
      error: null,
      internal,
    };
  };
  // An interim answer that counts as success (Pub/Sub push: 102 Processing) settles the attempt.
  const interim = (status: number) => {
    if (!req.interimAnswers?.includes(status)) return;
    done({ dispatchTime, responseTime: platform.clock(), httpStatus: status, latencyMs: performance.now() - started, denial: null, frontDoorRequestId: null, retryAfter: undefined, error: null, internal });
    cancel();
  };
  // One deadline for the attempt, redirects included (a redirect is not an attempt of its own).
  const deadline = platform.timers.at(dispatchTime + req.deadlineMs, () => {
    done(fail(`DEADLINE_EXCEEDED: no response within the deadline (${req.deadlineMs / 1000}s)`));
    cancel();
  });

  let redirects = 0;
  /** One request of the attempt: the work's own, then each redirect followed. */
  const send = (url: URL, hop: Hop, resolved: ReturnType<typeof platform.directory.resolve>): void => {
    if (settled) return;
    internal = Boolean(resolved);
    // What this request adds stays off `hop`, which a redirect copies: the internal secret never leaves for another URL.
    const wire: Record<string, string> = resolved || hop.body ? { ...hop.headers } : hop.headers;
    if (resolved) {
      wire[INTERNAL_HEADER] = platform.internalSecret;
      // Host is computed from the work's URL, as Google does; the front door listens locally.
      wire['Host'] = url.host;
    }
    if (hop.body) wire['Content-Length'] = String(hop.body.length);
    const answer = (status: number, header: (name: string) => string | undefined): void => {
      const location = req.followRedirects ? header('location') : undefined;
      if (location === undefined || !REDIRECT_STATUSES.has(status)) return done(answered(status, header, Boolean(resolved)));
      let next: URL | undefined;
      try {
        next = new URL(location, url);
      } catch {
        next = undefined;
      }
      if (!next || !/^https?:$/.test(next.protocol)) return done({ ...answered(status, header, Boolean(resolved)), error: `redirect not followed: Location ${JSON.stringify(location)} is not an http(s) URL` });
      if (redirects >= req.followRedirects!) return done({ ...answered(status, header, Boolean(resolved)), error: `stopped after ${redirects} redirects (the last: ${status} to ${next.href})` });
      redirects++;
      send(next, redirected(status, hop, original, next), platform.directory.resolve(next.href));
    };

    const door = resolved ? localFrontDoors(platform).get(resolved.service.config.name) : undefined;
    if (door) {
      // A service on this machine: handed to its front door in process, as the HTTP request would have arrived.
      const delivery = door.deliver({ method: hop.method, url: url.pathname + url.search, rawHeaders: wireHeaders(hop.method, wire, hop.body), ...(hop.body ? { body: hop.body } : {}), onInterim: interim });
      cancel = delivery.cancel;
      void delivery.answer.then((a) => answer(a.status, a.header));
      return;
    }

    const target = resolved ? new URL(resolved.localUrl) : url;
    const mod = target.protocol === 'https:' ? https : http;
    let request: http.ClientRequest;
    const attempt = (retried: boolean): void => {
      // The retry takes a connection of its own: the pool may hold more sockets that died the same way.
      const agent = retried ? false : target.protocol === 'https:' ? httpsAgent : httpAgent;
      request = mod.request(target, { method: hop.method, headers: wire, agent }, (res) => {
        const finish = () => answer(res.statusCode ?? 0, (name) => single(res.headers[name]));
        res.resume();
        res.on('end', finish);
        res.on('error', finish);
      });
      if (req.interimAnswers?.length) request.on('information', (info) => interim(info.statusCode));
      request.on('error', (e: NodeJS.ErrnoException) => {
        // A kept-alive socket the target closed just as it was reused (its idle timeout, a stalled machine):
        // the request almost surely never reached it, so it goes again once on a new connection, as Node's docs advise.
        // Google's callers have no such race; it must not cost the attempt.
        if (!retried && !settled && request.reusedSocket && e.code === 'ECONNRESET') attempt(true);
        else done(fail(`${e.code ?? 'ERROR'}: ${e.message}`));
      });
      request.end(hop.body);
    };
    cancel = () => request.destroy();
    attempt(false);
  };
  send(original, { method: req.method, headers, ...(req.body ? { body: req.body } : {}) }, first);
  return outcome;
}

/** What one request of an attempt sends, besides what its URL decides (Host, the internal header, Content-Length). */
interface Hop {
  method: string;
  headers: Record<string, string>;
  body?: Buffer;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/** Headers that carry credentials: not sent to another site (Go: Authorization, Www-Authenticate, Cookie, Cookie2). */
const SENSITIVE = new Set(['authorization', 'www-authenticate', 'cookie', 'cookie2']);
/** Headers that describe the body: dropped with it. */
const BODY_HEADERS = new Set(['content-type', 'content-encoding', 'content-language', 'content-location']);

/**
 * The request that follows a redirect, as Go's net/http client makes it (client.go redirectBehavior and
 * shouldCopyHeaderOnRedirect; Google documents no rule of its own — Scheduler's target.proto says only "For a
 * redirected request, the response returned by the redirected request is considered", Tasks' "The Location header
 * … may be followed. The redirect is not counted as a separate attempt"): 301, 302 and 303 turn any method but
 * GET and HEAD into GET without the body; 307 and 308 repeat the method and the body. The work's headers go
 * along, except that credentials (the OIDC or OAuth token in Authorization, cookies) go only to the first URL's
 * host or its subdomains — a token minted for one audience is not handed to another site — and the headers
 * describing a dropped body go with it.
 */
export function redirected(status: number, hop: Hop, first: URL, next: URL): Hop {
  const keepBody = status === 307 || status === 308;
  const method = keepBody || hop.method === 'GET' || hop.method === 'HEAD' ? hop.method : 'GET';
  const sameSite = isDomainOrSubdomain(next.hostname.toLowerCase(), first.hostname.toLowerCase());
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(hop.headers)) {
    const lower = k.toLowerCase();
    if (!sameSite && SENSITIVE.has(lower)) continue;
    if (!keepBody && BODY_HEADERS.has(lower)) continue;
    headers[k] = v;
  }
  return { method, headers, ...(keepBody && hop.body ? { body: hop.body } : {}) };
}

/** Go's isDomainOrSubdomain: `sub` is `parent` or ends with "." + `parent` (never for IP addresses but equal ones). */
function isDomainOrSubdomain(sub: string, parent: string): boolean {
  if (sub === parent) return true;
  if (/^[\d.]+$|:/.test(sub)) return false;
  return sub.endsWith(`.${parent}`);
}

/** A response header as one string (Node joins repeated custom headers with ", "). */
function single(v: string | string[] | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

// One HTTP attempt of one of Google's callers (Cloud Tasks, Cloud Scheduler, Pub/Sub push), sent the way
// they send it: the product's method, headers and body, and an OIDC or OAuth token minted for the service
// account the work runs as, which overrides any Authorization header of the work's own (REFERENCE §7, §10).
// A URL of a local service goes to its front door as same-project (internal) traffic, with Host computed
// from the URL as Google does; any other URL is called as given. The front door's refusal code and request
// id come back from its response headers. The deadline is a wait on the platform's clock (timers.ts).

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
}

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
  const resolved = platform.directory.resolve(req.url);
  const internal = Boolean(resolved);
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
  const target = resolved ? new URL(resolved.localUrl) : original;
  if (resolved) {
    headers[INTERNAL_HEADER] = platform.internalSecret;
    // Host is computed from the work's URL, as Google does; the front door listens locally.
    headers['Host'] = original.host;
  }
  if (req.body) headers['Content-Length'] = String(req.body.length);

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
  const answered = (status: number, header: (name: string) => string | undefined): AttemptOutcome => {
    const requestId = header(REQUEST_ID_HEADER);
    return {
      dispatchTime,
      responseTime: platform.clock(),
      httpStatus: status,
      latencyMs: performance.now() - started,
      denial: header(DENIAL_HEADER) ?? null,
      frontDoorRequestId: resolved && requestId !== undefined ? requestId : null,
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
  const deadline = platform.timers.at(dispatchTime + req.deadlineMs, () => {
    done(fail(`DEADLINE_EXCEEDED: no response within the deadline (${req.deadlineMs / 1000}s)`));
    cancel();
  });

  const door = resolved ? localFrontDoors(platform).get(resolved.service.config.name) : undefined;
  if (door) {
    // A service on this machine: handed to its front door in process, as the HTTP request would have arrived.
    const delivery = door.deliver({ method: req.method, url: original.pathname + original.search, rawHeaders: wireHeaders(req.method, headers, req.body), ...(req.body ? { body: req.body } : {}), onInterim: interim });
    cancel = delivery.cancel;
    void delivery.answer.then((a) => done(answered(a.status, a.header)));
    return outcome;
  }

  const mod = target.protocol === 'https:' ? https : http;
  let request: http.ClientRequest;
  const send = (retried: boolean): void => {
    // The retry takes a connection of its own: the pool may hold more sockets that died the same way.
    const agent = retried ? false : target.protocol === 'https:' ? httpsAgent : httpAgent;
    request = mod.request(target, { method: req.method, headers, agent }, (res) => {
      const finish = () => done(answered(res.statusCode ?? 0, (name) => single(res.headers[name])));
      res.resume();
      res.on('end', finish);
      res.on('error', finish);
    });
    if (req.interimAnswers?.length) request.on('information', (info) => interim(info.statusCode));
    request.on('error', (e: NodeJS.ErrnoException) => {
      // A kept-alive socket the target closed just as it was reused (its idle timeout, a stalled machine):
      // the request almost surely never reached it, so it goes again once on a new connection, as Node's docs advise.
      // Google's callers have no such race; it must not cost the attempt.
      if (!retried && !settled && request.reusedSocket && e.code === 'ECONNRESET') send(true);
      else done(fail(`${e.code ?? 'ERROR'}: ${e.message}`));
    });
    request.end(req.body);
  };
  cancel = () => request.destroy();
  send(false);
  return outcome;
}

/** A response header as one string (Node joins repeated custom headers with ", "). */
function single(v: string | string[] | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

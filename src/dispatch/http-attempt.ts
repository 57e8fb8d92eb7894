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

  const mod = target.protocol === 'https:' ? https : http;
  return new Promise<AttemptOutcome>((resolve) => {
    let settled = false;
    const done = (o: AttemptOutcome) => {
      if (settled) return;
      settled = true;
      deadline.cancel();
      resolve(req.withoutToken && o.error === null ? { ...o, error: req.withoutToken } : o);
    };
    let request: http.ClientRequest;
    const send = (retried: boolean): void => {
      // The retry takes a connection of its own: the pool may hold more sockets that died the same way.
      const agent = retried ? false : target.protocol === 'https:' ? httpsAgent : httpAgent;
      request = mod.request(target, { method: req.method, headers, agent }, (res) => {
        const status = res.statusCode ?? 0;
        const denial = res.headers[DENIAL_HEADER];
        const requestId = res.headers[REQUEST_ID_HEADER];
        const retryAfter = res.headers['retry-after'];
        res.resume();
        const finish = () =>
          done({
            dispatchTime,
            responseTime: platform.clock(),
            httpStatus: status,
            latencyMs: performance.now() - started,
            denial: typeof denial === 'string' ? denial : null,
            frontDoorRequestId: resolved && typeof requestId === 'string' ? requestId : null,
            retryAfter: typeof retryAfter === 'string' ? retryAfter : undefined,
            error: null,
            internal,
          });
        res.on('end', finish);
        res.on('error', finish);
      });
      if (req.interimAnswers?.length) {
        // An interim answer that counts as success (Pub/Sub push: 102 Processing) settles the attempt.
        request.on('information', (info) => {
          if (!req.interimAnswers!.includes(info.statusCode)) return;
          done({ dispatchTime, responseTime: platform.clock(), httpStatus: info.statusCode, latencyMs: performance.now() - started, denial: null, frontDoorRequestId: null, retryAfter: undefined, error: null, internal });
          request.destroy();
        });
      }
      request.on('error', (e: NodeJS.ErrnoException) => {
        // A kept-alive socket the target closed just as it was reused (its idle timeout, a stalled machine):
        // the request almost surely never reached it, so it goes again once on a new connection, as Node's docs advise.
        // Google's callers have no such race; it must not cost the attempt.
        if (!retried && !settled && request.reusedSocket && e.code === 'ECONNRESET') send(true);
        else done(fail(`${e.code ?? 'ERROR'}: ${e.message}`));
      });
      request.end(req.body);
    };
    const deadline = platform.timers.at(dispatchTime + req.deadlineMs, () => {
      done(fail(`DEADLINE_EXCEEDED: no response within the deadline (${req.deadlineMs / 1000}s)`));
      request.destroy();
    });
    send(false);
  });
}

// One attempt of an HTTP task, sent like Cloud Tasks sends it (REFERENCE §7): the task's method,
// body and headers, User-Agent Google-Cloud-Tasks, every X-CloudTasks-* header, and an OIDC or
// OAuth token. A URL of a local service goes to its front door as same-project (internal) traffic;
// any other URL is called as given.

import http from 'node:http';
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import { INTERNAL_HEADER, type Platform } from '../platform.js';
import type { TaskRecord } from '../store/task-store.js';
import type { TaskTokenCache } from './token-cache.js';

/** Headers Cloud Tasks computes or reserves: a task's own values for these are dropped. */
const RESERVED = /^(host|content-length|user-agent|x-google-.*|x-appengine-.*|x-cloudtasks-.*|transfer-encoding|connection)$/i;

const agentOptions = { keepAlive: true, maxSockets: 2048, maxFreeSockets: 512, scheduling: 'lifo' as const };
const httpAgent = new http.Agent(agentOptions);
const httpsAgent = new https.Agent(agentOptions);

export interface AttemptOutcome {
  dispatchTime: number;
  responseTime: number | null;
  httpStatus: number | null;
  latencyMs: number;
  /** The front door's refusal code. */
  denial: string | null;
  retryAfter: string | undefined;
  error: string | null;
}

/** X-CloudTasks-TaskETA: seconds since the epoch, fractional. */
const etaHeader = (ms: number): string => (ms / 1000).toFixed(6);

async function buildHeaders(task: TaskRecord, queueId: string, tokens: TaskTokenCache): Promise<Record<string, string>> {
  const hr = task.httpRequest;
  const token = hr.oidcToken
    ? tokens.idToken(hr.oidcToken.serviceAccountEmail, hr.oidcToken.audience || hr.url)
    : hr.oauthToken
      ? tokens.accessToken(hr.oauthToken.serviceAccountEmail, hr.oauthToken.scope)
      : undefined;
  const headers: Record<string, string> = {};
  // With a token, the task's own Authorization header gives way to it.
  for (const [k, v] of Object.entries(hr.headers)) if (!RESERVED.test(k) && !(token && k.toLowerCase() === 'authorization')) headers[k] = v;
  headers['User-Agent'] = 'Google-Cloud-Tasks';
  headers['X-CloudTasks-QueueName'] = queueId;
  headers['X-CloudTasks-TaskName'] = task.id;
  // dispatchCount already counts this attempt (the claim incremented it).
  headers['X-CloudTasks-TaskRetryCount'] = String(task.dispatchCount - 1);
  headers['X-CloudTasks-TaskExecutionCount'] = String(task.executionCount);
  headers['X-CloudTasks-TaskETA'] = etaHeader(task.scheduleTime);
  if (task.lastAttempt) {
    if (task.lastAttempt.httpStatus !== null) headers['X-CloudTasks-TaskPreviousResponse'] = String(task.lastAttempt.httpStatus);
    // Recorded traffic shows it empty for HTTP targets.
    headers['X-CloudTasks-TaskRetryReason'] = '';
  }
  if (token) headers['Authorization'] = `Bearer ${await token}`;
  return headers;
}

export async function sendAttempt(platform: Platform, task: TaskRecord, queueId: string, tokens: TaskTokenCache): Promise<AttemptOutcome> {
  const dispatchTime = platform.clock();
  const started = performance.now();
  const fail = (error: string): AttemptOutcome => ({
    dispatchTime,
    responseTime: null,
    httpStatus: null,
    latencyMs: performance.now() - started,
    denial: null,
    retryAfter: undefined,
    error,
  });

  let headers: Record<string, string>;
  try {
    headers = await buildHeaders(task, queueId, tokens);
  } catch (e) {
    return fail(`could not mint the task's token: ${(e as Error).message}`);
  }
  const original = new URL(task.httpRequest.url);
  const resolved = platform.directory.resolve(task.httpRequest.url);
  const target = resolved ? new URL(resolved.localUrl) : original;
  if (resolved) {
    headers[INTERNAL_HEADER] = platform.internalSecret;
    // Host is computed from the task's URL, as Google does; the front door listens locally.
    headers['Host'] = original.host;
  }
  const body = task.httpRequest.body ? Buffer.from(task.httpRequest.body, 'base64') : undefined;
  if (body) headers['Content-Length'] = String(body.length);

  const mod = target.protocol === 'https:' ? https : http;
  return new Promise<AttemptOutcome>((resolve) => {
    let settled = false;
    const done = (o: AttemptOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(o);
    };
    const req = mod.request(
      target,
      { method: task.httpRequest.httpMethod, headers, agent: target.protocol === 'https:' ? httpsAgent : httpAgent },
      (res) => {
        const status = res.statusCode ?? 0;
        const denial = res.headers['x-authplane-denial'];
        const retryAfter = res.headers['retry-after'];
        res.resume();
        const finish = () =>
          done({
            dispatchTime,
            responseTime: platform.clock(),
            httpStatus: status,
            latencyMs: performance.now() - started,
            denial: typeof denial === 'string' ? denial : null,
            retryAfter: typeof retryAfter === 'string' ? retryAfter : undefined,
            error: null,
          });
        res.on('end', finish);
        res.on('error', finish);
      },
    );
    // dispatchDeadline: no complete response in time = a failed attempt (Google cancels the request).
    const timer = setTimeout(() => {
      done(fail(`DEADLINE_EXCEEDED: no response within the dispatch deadline (${task.dispatchDeadlineMs / 1000}s)`));
      req.destroy();
    }, task.dispatchDeadlineMs);
    req.on('error', (e: NodeJS.ErrnoException) => done(fail(`${e.code ?? 'ERROR'}: ${e.message}`)));
    req.end(body);
  });
}

// Task ⇄ Google's Task message: validation of a new HTTP task (REFERENCE §7 limits) and the
// BASIC/FULL views of a stored one.

import { randomBytes } from 'node:crypto';
import { invalidArgument } from '../apis/errors.js';
import { rpcStatusForHttp } from '../apis/errors.js';
import { GRPC_CODES } from '../verify/response.js';
import type { RpcStatus } from '../verify/codes.js';
import type { AttemptSummary, HttpMethodName, HttpTarget, TaskRecord } from '../store/task-store.js';
import { taskName } from './names.js';
import { notImplementedAppEngine } from './queue-model.js';
import { fromMs, toMs, type Obj, type ProtoTime } from '../apis/proto.js';

const MAX_SCHEDULE_AHEAD_MS = 30 * 24 * 3_600_000;
const MIN_DEADLINE_MS = 15_000;
const MAX_DEADLINE_MS = 30 * 60_000;
const DEFAULT_DEADLINE_MS = 10 * 60_000;
const MAX_HEADERS_BYTES = 80 * 1024;
/** Google's quota page says 1 MB for a task; the API reference still says 100 KB. authplane takes 1 MB. */
const MAX_TASK_BYTES = 1024 * 1024;
const MAX_URL_LENGTH = 2083;
const METHODS: HttpMethodName[] = ['POST', 'GET', 'HEAD', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];
const BODY_METHODS = new Set<HttpMethodName>(['POST', 'PUT', 'PATCH']);
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Google-style generated task IDs: a long decimal number. */
export function generateTaskId(): string {
  return (randomBytes(8).readBigUInt64BE() % 10n ** 19n + 10n ** 19n).toString();
}

export interface ValidTask {
  httpRequest: HttpTarget;
  scheduleTime: number;
  dispatchDeadlineMs: number;
}

/** Validates the `task` of a CreateTask request (everything but its name). */
export function validateNewTask(task: Obj, now: number): ValidTask {
  if (task.appEngineHttpRequest !== undefined) throw notImplementedAppEngine();
  const hr = task.httpRequest as Obj | undefined;
  if (!hr) throw invalidArgument('Task.http_request is required: authplane emulates HTTP target tasks (set httpRequest.url).', 'task.http_request');

  const url = hr.url;
  if (typeof url !== 'string' || url === '') throw invalidArgument('HttpRequest.url is required.', 'task.http_request.url');
  if (url.length > MAX_URL_LENGTH) throw invalidArgument(`HttpRequest.url must be at most ${MAX_URL_LENGTH} characters (got ${url.length}).`, 'task.http_request.url');
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!parsed || !/^https?:$/.test(parsed.protocol) || /\s/.test(url)) {
    throw invalidArgument(`HttpRequest.url must be a valid URL that begins with 'http://' or 'https://' and contains no spaces (got "${url}").`, 'task.http_request.url');
  }

  const method = (hr.httpMethod === undefined || hr.httpMethod === 'HTTP_METHOD_UNSPECIFIED' ? 'POST' : hr.httpMethod) as HttpMethodName;
  if (!METHODS.includes(method)) throw invalidArgument(`HttpRequest.http_method ${String(hr.httpMethod)} is not supported.`, 'task.http_request.http_method');
  const body = hr.body as Buffer | undefined;
  if (body && body.length > 0 && !BODY_METHODS.has(method)) {
    throw invalidArgument(`Body is only allowed for POST, PUT, or PATCH HTTP methods; the task's http_method is ${method}.`, 'task.http_request.body');
  }

  const headers: Record<string, string> = {};
  let headerBytes = 0;
  for (const [k, v] of Object.entries((hr.headers ?? {}) as Record<string, string>)) {
    if (!HEADER_NAME.test(k)) throw invalidArgument(`Invalid HTTP header name "${k}".`, 'task.http_request.headers');
    if (/[\r\n\0]/.test(v)) throw invalidArgument(`Invalid value for HTTP header "${k}": it contains a line break or NUL.`, 'task.http_request.headers');
    headers[k] = v;
    headerBytes += k.length + v.length + 4;
  }
  if (headerBytes >= MAX_HEADERS_BYTES) throw invalidArgument(`The size of the headers must be less than 80KB (got ${headerBytes} bytes).`, 'task.http_request.headers');
  const size = url.length + headerBytes + (body?.length ?? 0);
  if (size > MAX_TASK_BYTES) throw invalidArgument(`Task size (${size} bytes) exceeds the maximum of ${MAX_TASK_BYTES} bytes.`, 'task');

  const target: HttpTarget = { url, httpMethod: method, headers, body: body && body.length ? body.toString('base64') : null };
  const oidc = hr.oidcToken as Obj | undefined;
  const oauth = hr.oauthToken as Obj | undefined;
  if (oidc && oauth) throw invalidArgument('Only one of oidc_token and oauth_token may be set.', 'task.http_request');
  if (oidc) {
    const email = oidc.serviceAccountEmail;
    if (typeof email !== 'string' || !email) throw invalidArgument('OidcToken.service_account_email is required.', 'task.http_request.oidc_token.service_account_email');
    target.oidcToken = { serviceAccountEmail: email, audience: typeof oidc.audience === 'string' ? oidc.audience : '' };
  }
  if (oauth) {
    const email = oauth.serviceAccountEmail;
    if (typeof email !== 'string' || !email) throw invalidArgument('OAuthToken.service_account_email is required.', 'task.http_request.oauth_token.service_account_email');
    target.oauthToken = { serviceAccountEmail: email, scope: typeof oauth.scope === 'string' && oauth.scope ? oauth.scope : 'https://www.googleapis.com/auth/cloud-platform' };
  }

  const scheduleTime = toMs(task.scheduleTime as ProtoTime | undefined) ?? now;
  if (scheduleTime > now + MAX_SCHEDULE_AHEAD_MS) {
    throw invalidArgument(`Task.schedule_time ${new Date(scheduleTime).toISOString()} is too far in the future: it must be at most 30 days from now.`, 'task.schedule_time');
  }
  const deadline = toMs(task.dispatchDeadline as ProtoTime | undefined) ?? DEFAULT_DEADLINE_MS;
  if (deadline < MIN_DEADLINE_MS || deadline > MAX_DEADLINE_MS) {
    throw invalidArgument(`Task.dispatch_deadline must be in the interval [15 seconds, 30 minutes] for HTTP tasks (got ${deadline / 1000}s).`, 'task.dispatch_deadline');
  }
  return { httpRequest: target, scheduleTime, dispatchDeadlineMs: deadline };
}

/** google.rpc.Code for an HTTP status, as Cloud Tasks reports attempts. */
function rpcStatusFor(httpStatus: number | null): RpcStatus | 'OK' {
  return httpStatus === null ? 'UNAVAILABLE' : rpcStatusForHttp(httpStatus);
}

function attemptMessage(a: AttemptSummary): Obj {
  const status = rpcStatusFor(a.httpStatus);
  const code = GRPC_CODES[status];
  const name = status;
  return {
    scheduleTime: fromMs(a.scheduleTime),
    dispatchTime: fromMs(a.dispatchTime),
    ...(a.responseTime !== null ? { responseTime: fromMs(a.responseTime) } : {}),
    responseStatus: code === 0 ? { code: 0 } : { code, message: a.httpStatus !== null ? `${name}(${code}): HTTP status code ${a.httpStatus}` : `${name}(${code}): ${a.error ?? 'no response'}` },
  };
}

export type View = 'BASIC' | 'FULL';

export const viewOf = (v: unknown): View => (v === 'FULL' ? 'FULL' : 'BASIC');

export function toTaskMessage(t: TaskRecord, project: string, location: string, view: View): Obj {
  const hr = t.httpRequest;
  const httpRequest: Obj = { url: hr.url, httpMethod: hr.httpMethod, headers: hr.headers };
  // BASIC omits the body, which can be large or sensitive (Google's Task.View).
  if (view === 'FULL' && hr.body) httpRequest.body = Buffer.from(hr.body, 'base64');
  if (hr.oidcToken) httpRequest.oidcToken = { serviceAccountEmail: hr.oidcToken.serviceAccountEmail, ...(hr.oidcToken.audience ? { audience: hr.oidcToken.audience } : {}) };
  if (hr.oauthToken) httpRequest.oauthToken = hr.oauthToken;
  return {
    name: taskName({ project, location, queue: t.queue, task: t.id }),
    httpRequest,
    scheduleTime: fromMs(t.scheduleTime),
    createTime: fromMs(t.createTime),
    dispatchDeadline: fromMs(t.dispatchDeadlineMs),
    dispatchCount: t.dispatchCount,
    responseCount: t.responseCount,
    // Google keeps only the dispatch time of the first attempt.
    ...(t.firstAttemptAt !== null ? { firstAttempt: { dispatchTime: fromMs(t.firstAttemptAt) } } : {}),
    ...(t.lastAttempt ? { lastAttempt: attemptMessage(t.lastAttempt) } : {}),
    view,
  };
}

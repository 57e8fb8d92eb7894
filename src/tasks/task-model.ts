// Task ⇄ Google's Task message: validation of a new HTTP task (REFERENCE §7 limits) and the
// BASIC/FULL views of a stored one.

import { randomFillSync } from 'node:crypto';
import { invalidArgument } from '../apis/errors.js';
import { rpcStatusForHttp } from '../apis/errors.js';
import { GRPC_CODES } from '../verify/response.js';
import type { RpcStatus } from '../verify/codes.js';
import type { AttemptSummary, HttpTarget, TaskRecord } from '../store/task-store.js';
import { validateHttpTarget } from '../dispatch/http-target.js';
import { taskName } from './names.js';
import { notImplementedAppEngine } from './queue-model.js';
import { fromMs, toMs, type Obj, type ProtoTime } from '../apis/proto.js';

const MAX_SCHEDULE_AHEAD_MS = 30 * 24 * 3_600_000;
const MIN_DEADLINE_MS = 15_000;
const MAX_DEADLINE_MS = 30 * 60_000;
const DEFAULT_DEADLINE_MS = 10 * 60_000;
/** Google's quota page says 1 MB for a task; the API reference still says 100 KB. authplane takes 1 MB. */
const MAX_TASK_BYTES = 1024 * 1024;

const TEN_TO_19 = 10n ** 19n;
/**
 * Random bytes for task IDs, drawn 4 KiB at a time: one randomBytes(8) call per create cost ≈ 3 µs, a read
 * from the pool ≈ 0.2 µs (bench/tasks-create). Each ID still takes 8 bytes no other ID has used.
 */
const idBytes = Buffer.alloc(4096);
let idOffset = idBytes.length;

/** Google-style generated task IDs: a long decimal number. */
export function generateTaskId(): string {
  if (idOffset === idBytes.length) {
    randomFillSync(idBytes);
    idOffset = 0;
  }
  const n = idBytes.readBigUInt64BE(idOffset);
  idOffset += 8;
  return ((n % TEN_TO_19) + TEN_TO_19).toString();
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

  const { target, headerBytes, bodyBytes } = validateHttpTarget(hr, { message: 'HttpRequest', path: 'task.http_request', urlField: 'url', owner: 'task' });
  // Google's words (recorded: googleapis/nodejs-tasks#353, 2020; stackkit/laravel-google-cloud-tasks-queue#77, 2022;
  // flamingo-run/django-cloud-tasks#46, 2024): a token goes only to an https:// URL. A loopback URL is let through:
  // no task of Google's can name one, so it hides no mistake, and a service on this machine may have no TLS.
  if ((target.oidcToken || target.oauthToken) && !target.url.startsWith('https://') && !isLoopbackUrl(target.url)) {
    throw invalidArgument("HttpRequest.url must start with 'https://' for request with HttpRequest.authorization_header", 'task.http_request.url', {
      fix: `Use the https:// URL of the target (${target.url.replace(/^http:/, 'https:')}): for a Cloud Run service its https://SERVICE-PROJECT_NUMBER.REGION.run.app URL, which authplane routes to the local service. A plain http:// target gets no token.`,
    });
  }
  const size = target.url.length + headerBytes + bodyBytes;
  // Google's words (recorded: googleapis/repo-automation-bots#893 and #920, 2020): the sizes are in the evidence.
  if (size > MAX_TASK_BYTES) {
    throw invalidArgument('Task size too large', 'task', { taskBytes: size, maxTaskBytes: MAX_TASK_BYTES, fix: `Make the task at most ${MAX_TASK_BYTES} bytes (it is ${size}: its URL, headers and body): keep large payloads elsewhere (Cloud Storage, a database) and send a reference.` });
  }

  // cloudtasks.proto, CreateTaskRequest.task: "If schedule_time is not set or is in the past then Cloud Tasks
  // will set it to the current time." (The response and X-CloudTasks-TaskETA then show the current time.)
  const requested = toMs(task.scheduleTime as ProtoTime | undefined);
  const scheduleTime = requested === undefined || requested < now ? now : requested;
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
    // task.proto: "create_time will be truncated to the nearest second." (The store keeps the instant: purge
    // compares it with the purge time.)
    createTime: fromMs(Math.floor(t.createTime / 1000) * 1000),
    dispatchDeadline: fromMs(t.dispatchDeadlineMs),
    dispatchCount: t.dispatchCount,
    responseCount: t.responseCount,
    // Google keeps only the dispatch time of the first attempt.
    ...(t.firstAttemptAt !== null ? { firstAttempt: { dispatchTime: fromMs(t.firstAttemptAt) } } : {}),
    ...(t.lastAttempt ? { lastAttempt: attemptMessage(t.lastAttempt) } : {}),
    view,
  };
}

/** http://localhost, 127.0.0.0/8 or [::1], any port. */
function isLoopbackUrl(url: string): boolean {
  const host = new URL(url).hostname;
  return host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

// Every attempt of Google's callers lands in the request log (surface 'dispatch', with the `dispatch`
// field), carrying the front door's own refusal — code, Google's message, explanation, remedy, evidence —
// looked up by the request id the front door answered with, so `authplane tasks attempts`, the dashboard
// and the Cloud Logging mapping show each attempt's own explanation. A refusal whose entry is not at hand
// (another process's front door, or long gone from the ring) falls back to the code table's words.

import { requestLogFor, type DispatchAttempt, type RequestLogEntry } from '../observe/request-log.js';
import type { Platform } from '../platform.js';
import { isRefusalCode, REFUSAL_CODES } from '../verify/codes.js';
import type { AttemptOutcome } from './http-attempt.js';
import type { AttemptFields } from '../store/dispatch-attempts.js';

/** What the product says about an attempt beyond its outcome. */
export interface AttemptDescription extends Omit<DispatchAttempt, 'product' | 'frontDoorRequestId'> {
  /** The Google API that made the call (cloudtasks.googleapis.com, …): the entry's `service`. */
  api: string;
  /** `METHOD`, and the URL's path for the entry. */
  method: string;
  url: string;
  /** The member the token was minted for (serviceAccount:EMAIL), when one was attached. */
  principal?: string;
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;

/** The request-log entry of one attempt. */
export function attemptEntry(platform: Platform, product: DispatchAttempt['product'], d: AttemptDescription, o: AttemptOutcome): RequestLogEntry {
  const log = requestLogFor(platform);
  let path = d.url;
  try {
    const u = new URL(d.url);
    path = u.pathname + u.search;
  } catch {
    // keep the URL as given
  }
  const { api, method, principal } = d;
  const { resource, attempt, target, scheduleTime, retryTime, retryReason, messageId } = d;
  const rest: Omit<DispatchAttempt, 'product'> = { resource, attempt, target, scheduleTime };
  if (messageId !== undefined) rest.messageId = messageId;
  if (retryTime !== undefined) rest.retryTime = retryTime;
  if (retryReason !== undefined) rest.retryReason = retryReason;
  const entry: RequestLogEntry = {
    id: log.newId(),
    time: new Date(o.dispatchTime).toISOString(),
    surface: 'dispatch',
    service: api,
    method,
    path,
    source: '',
    internal: o.internal,
    status: o.httpStatus ?? 0,
    outcome: o.httpStatus === null ? 'upstream-error' : o.denial ? 'refused' : 'answered',
    googleVisible: true,
    durationMs: round(o.latencyMs),
    dispatch: { product, ...rest, ...(o.frontDoorRequestId ? { frontDoorRequestId: o.frontDoorRequestId } : {}) },
  };
  if (principal) entry.principal = principal;
  if (o.error) entry.error = o.error;
  if (o.denial) {
    const door = o.frontDoorRequestId ? log.get(o.frontDoorRequestId) : undefined;
    if (door?.code === o.denial) Object.assign(entry, refusalFields(door));
    else if (isRefusalCode(o.denial)) {
      const spec = REFUSAL_CODES[o.denial];
      Object.assign(entry, { code: o.denial, explanation: spec.summary, remedy: 'See the front door\'s entry for this request for the evidence and the fix.' });
    } else entry.code = o.denial;
  }
  return entry;
}

const isoOrNull = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * A recorded attempt as the admin API shows it (`authplane tasks|scheduler attempts`, the dashboard): times in
 * RFC 3339, the refusal code with its summary, and the front door's own explanation and fix while its entry is in
 * this process's log.
 */
export function attemptView(platform: Platform, a: AttemptFields) {
  const door = frontDoorRefusal(platform, a.frontDoorRequestId);
  return {
    attempt: a.attempt,
    scheduleTime: isoOrNull(a.scheduleTime),
    dispatchTime: isoOrNull(a.dispatchTime),
    responseTime: isoOrNull(a.responseTime),
    httpStatus: a.httpStatus,
    latencyMs: a.latencyMs,
    denial: a.denial,
    ...(a.denial && isRefusalCode(a.denial) ? { denialSummary: REFUSAL_CODES[a.denial].summary } : {}),
    frontDoorRequestId: a.frontDoorRequestId,
    ...(door?.explanation ? { explanation: door.explanation } : {}),
    ...(door?.remedy ? { remedy: door.remedy } : {}),
    error: a.error,
    worker: a.worker,
  };
}

/**
 * attemptView of each attempt of `resource` (a task's, a job's full name), with what the request log's entry
 * of that attempt adds while this process holds it: when the next attempt is due and why (`retryTime`,
 * `retryReason`: backoff, Retry-After, maxAttempts, maxRetryDuration). Attempts are matched on their number
 * and schedule time (a job's executions number their attempts from 1 each).
 */
export function attemptViews(platform: Platform, resource: string, attempts: AttemptFields[]) {
  const log = requestLogFor(platform);
  const byAttempt = new Map<string, DispatchAttempt>();
  for (const e of log.recent({ resource, surface: 'dispatch', limit: log.capacity })) {
    if (e.dispatch?.resource === resource) byAttempt.set(`${e.dispatch.attempt}@${e.dispatch.scheduleTime}`, e.dispatch);
  }
  return attempts.map((a) => {
    const d = byAttempt.get(`${a.attempt}@${new Date(a.scheduleTime).toISOString()}`);
    return { ...attemptView(platform, a), ...(d?.retryTime !== undefined ? { retryTime: d.retryTime } : {}), ...(d?.retryReason !== undefined ? { retryReason: d.retryReason } : {}) };
  });
}

/** The refusal fields of the front door's entry `requestId`, while it is still in this process's log. */
export function frontDoorRefusal(platform: Platform, requestId: string | null): Pick<RequestLogEntry, 'code' | 'message' | 'explanation' | 'remedy' | 'evidence'> | undefined {
  if (!requestId) return undefined;
  const e = requestLogFor(platform).get(requestId);
  return e?.code ? refusalFields(e) : undefined;
}

/** A refused entry's code, Google's message, explanation, remedy and evidence (those it has). */
function refusalFields(e: RequestLogEntry): Pick<RequestLogEntry, 'code' | 'message' | 'explanation' | 'remedy' | 'evidence'> {
  const out: Pick<RequestLogEntry, 'code' | 'message' | 'explanation' | 'remedy' | 'evidence'> = { code: e.code };
  if (e.message !== undefined) out.message = e.message;
  if (e.explanation !== undefined) out.explanation = e.explanation;
  if (e.remedy !== undefined) out.remedy = e.remedy;
  if (e.evidence !== undefined) out.evidence = e.evidence;
  return out;
}

/**
 * An attempt known only by its request-log entry (Pub/Sub push keeps no attempt rows), in attemptView's
 * shape, so every caller's attempts are shown alike.
 */
export function attemptViewOfEntry(e: RequestLogEntry) {
  const d = e.dispatch!;
  return {
    attempt: d.attempt,
    scheduleTime: d.scheduleTime,
    dispatchTime: e.time,
    httpStatus: e.status || null,
    latencyMs: e.durationMs,
    denial: e.code ?? null,
    ...(e.code && isRefusalCode(e.code) ? { denialSummary: REFUSAL_CODES[e.code].summary } : {}),
    frontDoorRequestId: d.frontDoorRequestId ?? null,
    ...(e.explanation ? { explanation: e.explanation } : {}),
    ...(e.remedy ? { remedy: e.remedy } : {}),
    error: e.error ?? null,
    ...(d.retryTime !== undefined ? { retryTime: d.retryTime } : {}),
    ...(d.retryReason !== undefined ? { retryReason: d.retryReason } : {}),
  };
}

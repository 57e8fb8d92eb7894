// authplane's own findings on a LogEntry. They ride in LogEntry.labels — a map Google's services also
// write their own keys into (instanceId, goog-*) — under keys of authplane's own domain, so no field
// Google writes is changed and a filter can select them: labels."authplane.dev/denial"="PERMISSION_DENIED".

import type { RequestLogEntry } from '../observe/request-log.js';

export const DENIAL_LABEL = 'authplane.dev/denial';
export const EXPLANATION_LABEL = 'authplane.dev/explanation';
export const REMEDY_LABEL = 'authplane.dev/remedy';
export const REQUEST_ID_LABEL = 'authplane.dev/request-id';
export const PRINCIPAL_LABEL = 'authplane.dev/principal';
export const FRONT_DOOR_REQUEST_LABEL = 'authplane.dev/front-door-request-id';
export const RETRY_REASON_LABEL = 'authplane.dev/retry-reason';
export const ERROR_LABEL = 'authplane.dev/error';

/** The request id always; the refusal code, explanation and remedy, the principal and any error when known. */
export function authplaneLabels(r: RequestLogEntry): Record<string, string> {
  const labels: Record<string, string> = { [REQUEST_ID_LABEL]: r.id };
  if (r.code !== undefined) labels[DENIAL_LABEL] = r.code;
  if (r.explanation !== undefined) labels[EXPLANATION_LABEL] = r.explanation;
  if (r.remedy !== undefined) labels[REMEDY_LABEL] = r.remedy;
  if (r.principal !== undefined) labels[PRINCIPAL_LABEL] = r.principal;
  if (r.error !== undefined) labels[ERROR_LABEL] = r.error;
  if (r.dispatch?.frontDoorRequestId !== undefined) labels[FRONT_DOOR_REQUEST_LABEL] = r.dispatch.frontDoorRequestId;
  if (r.dispatch?.retryReason !== undefined) labels[RETRY_REASON_LABEL] = r.dispatch.retryReason;
  return labels;
}

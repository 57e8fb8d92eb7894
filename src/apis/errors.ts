// Google API refusals, built from the one code table (src/verify/codes.ts) and thrown as the one refusal
// type, DenialError. The router (REST) and the gRPC servers encode them into Google's shapes with
// verify/response.ts; nothing else writes an error body.

import { deny, DenialError, type DenyOptions, type Evidence } from '../verify/denial.js';
import { REFUSAL_CODES, type CodeSpec, type RefusalCode, type RpcStatus } from '../verify/codes.js';

/** A refusal on an API surface: `code` from the table, `evidence` fills its templates. */
export function apiRefusal(code: RefusalCode, evidence: Evidence = {}, options: DenyOptions = {}): DenialError {
  return new DenialError(deny(code, 'api', evidence, options));
}

/** INVALID_ARGUMENT naming the field (proto field path, e.g. `task.http_request.url`). */
export const invalidArgument = (message: string, field: string, evidence: Evidence = {}): DenialError => apiRefusal('INVALID_ARGUMENT', { ...evidence, message, field });

/** One entry of google.rpc.BadRequest: the field path (proto names, e.g. `task.http_request.url`; '' for the request itself) and Google's words. */
export interface FieldViolation {
  readonly field: string;
  readonly description: string;
}

/**
 * INVALID_ARGUMENT for every violation found in a request at once, as Google's JSON transcoder answers:
 * the descriptions joined by newlines as the message, one BadRequest field violation each.
 */
export function invalidFields(violations: readonly FieldViolation[]): DenialError {
  const first = violations[0] ?? { field: '', description: 'Request contains an invalid argument.' };
  return apiRefusal('INVALID_ARGUMENT', { message: violations.map((v) => v.description).join('\n') || first.description, field: first.field || 'request body', violations });
}

/** NOT_FOUND with Google's words `message`; `resource` names what is missing, for people. */
export const notFound = (message: string, resource: string, evidence: Evidence = {}): DenialError => apiRefusal('RESOURCE_NOT_FOUND', { ...evidence, message, resource });

export const alreadyExists = (resource: string, message = 'Requested entity already exists'): DenialError => apiRefusal('ALREADY_EXISTS', { message, resource });

/** FAILED_PRECONDITION: Google's words, and what to do about it. */
export const failedPrecondition = (message: string, fix: string, evidence: Evidence = {}): DenialError => apiRefusal('FAILED_PRECONDITION', { ...evidence, message, fix });

/** UNIMPLEMENTED: a Google feature authplane does not emulate. */
export const notSupported = (message: string, fix: string): DenialError => apiRefusal('NOT_SUPPORTED', { message, fix });

/** setIamPolicy with a stale etag (Google: ABORTED, 409). */
export const policyEtagConflict = (resource: string, etag: string): DenialError => apiRefusal('POLICY_ETAG_CONFLICT', { resource, etag });

/**
 * IAM's refusal: "Permission 'P' denied on resource (or it may not exist)." with ErrorInfo
 * {reason: IAM_PERMISSION_DENIED, domain, metadata.permission}. `code` is the authplane code that explains
 * it best (PERMISSION_DENIED, IAM_NOT_YET_PROPAGATED, IMPERSONATION_DENIED, ACT_AS_DENIED, …).
 */
export function permissionDenied(permission: string, domain: string, code: RefusalCode = 'PERMISSION_DENIED', evidence: Evidence = {}): DenialError {
  const g: CodeSpec['google'] = REFUSAL_CODES[code].google;
  return apiRefusal(code, { ...evidence, permission, domain }, g.api?.status === 403 ? {} : { answerAs: 'PERMISSION_DENIED' });
}

/** The google.rpc.Code an HTTP status maps to (google/rpc/code.proto's HTTP mapping), e.g. for task attempts. */
export function rpcStatusForHttp(httpStatus: number): RpcStatus | 'OK' {
  if (httpStatus >= 200 && httpStatus < 300) return 'OK';
  const byStatus: Record<number, RpcStatus> = {
    400: 'INVALID_ARGUMENT',
    401: 'UNAUTHENTICATED',
    403: 'PERMISSION_DENIED',
    404: 'NOT_FOUND',
    409: 'ABORTED',
    429: 'RESOURCE_EXHAUSTED',
    499: 'CANCELLED',
    501: 'UNIMPLEMENTED',
    503: 'UNAVAILABLE',
    504: 'DEADLINE_EXCEEDED',
  };
  return byStatus[httpStatus] ?? (httpStatus >= 500 ? 'INTERNAL' : httpStatus >= 400 ? 'FAILED_PRECONDITION' : 'UNKNOWN');
}

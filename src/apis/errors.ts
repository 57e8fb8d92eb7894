// Google's API error shape, produced in one place for REST (and mapped to gRPC status codes).
//   {"error":{"code":403,"message":"…","status":"PERMISSION_DENIED","details":[…]}}

export type GoogleStatus =
  | 'INVALID_ARGUMENT'
  | 'FAILED_PRECONDITION'
  | 'OUT_OF_RANGE'
  | 'UNAUTHENTICATED'
  | 'PERMISSION_DENIED'
  | 'NOT_FOUND'
  | 'ABORTED'
  | 'ALREADY_EXISTS'
  | 'RESOURCE_EXHAUSTED'
  | 'CANCELLED'
  | 'DATA_LOSS'
  | 'UNKNOWN'
  | 'INTERNAL'
  | 'NOT_IMPLEMENTED'
  | 'UNAVAILABLE'
  | 'DEADLINE_EXCEEDED';

export const HTTP_STATUS: Record<GoogleStatus, number> = {
  INVALID_ARGUMENT: 400,
  FAILED_PRECONDITION: 400,
  OUT_OF_RANGE: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  ABORTED: 409,
  ALREADY_EXISTS: 409,
  RESOURCE_EXHAUSTED: 429,
  CANCELLED: 499,
  DATA_LOSS: 500,
  UNKNOWN: 500,
  INTERNAL: 500,
  NOT_IMPLEMENTED: 501,
  UNAVAILABLE: 503,
  DEADLINE_EXCEEDED: 504,
};

/** gRPC status codes by name (google.rpc.Code). */
export const GRPC_CODE: Record<GoogleStatus, number> = {
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  NOT_IMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
};

export interface ErrorDetail {
  '@type': string;
  [k: string]: unknown;
}

/** An API failure in Google's terms. `denial` is authplane's refusal code, sent as x-authplane-denial. */
export class ApiError extends Error {
  constructor(
    readonly status: GoogleStatus,
    message: string,
    readonly details: ErrorDetail[] = [],
    readonly denial?: { code: string; explanation?: string; remedy?: string; evidence?: Record<string, unknown> },
  ) {
    super(message);
    this.name = 'ApiError';
  }

  get httpStatus(): number {
    return HTTP_STATUS[this.status];
  }

  toJSON(): { error: { code: number; message: string; status: GoogleStatus; details?: ErrorDetail[] } } {
    return {
      error: {
        code: this.httpStatus,
        message: this.message,
        status: this.status,
        ...(this.details.length ? { details: this.details } : {}),
      },
    };
  }
}

/** IAM's refusal: "Permission 'P' denied on resource (or it may not exist)." with ErrorInfo. */
export function permissionDenied(
  permission: string,
  denial?: ApiError['denial'],
  opts: { domain?: string; message?: string } = {},
): ApiError {
  return new ApiError(
    'PERMISSION_DENIED',
    opts.message ?? `Permission '${permission}' denied on resource (or it may not exist).`,
    [
      {
        '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
        reason: 'IAM_PERMISSION_DENIED',
        domain: opts.domain ?? 'iam.googleapis.com',
        metadata: { permission },
      },
    ],
    denial,
  );
}

export const invalidArgument = (message: string, field?: string): ApiError =>
  new ApiError(
    'INVALID_ARGUMENT',
    message,
    field
      ? [{ '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{ field, description: message }] }]
      : [],
  );

export const notFound = (message: string): ApiError => new ApiError('NOT_FOUND', message);

export const unauthenticated = (): ApiError =>
  new ApiError(
    'UNAUTHENTICATED',
    'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
    [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'ACCESS_TOKEN_TYPE_UNSUPPORTED', domain: 'googleapis.com' }],
  );

/** setIamPolicy with a stale etag (Google: ABORTED, 409). */
export const concurrentPolicyChange = (): ApiError =>
  new ApiError('ABORTED', 'There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff.');

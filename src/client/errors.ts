// The client's failures and warnings, as classes with stable codes and the fields a caller needs to act.
// A caller's mistake (bad option) is a TypeError; a token that could not be obtained is a TokenFetchError;
// an audience that the target would refuse is an AudienceWarning (inspectable, not thrown).

import type { AudienceHint } from '../verify/denial.js';

export type TokenFetchErrorCode =
  /** The metadata server could not be reached (not on Google Cloud, or GCE_METADATA_HOST is wrong). */
  | 'METADATA_UNREACHABLE'
  /** The metadata server answered with an error. */
  | 'METADATA_REFUSED'
  /** The IAM Credentials API refused to mint for the target service account. */
  | 'IMPERSONATION_FAILED'
  /** The OAuth token endpoint refused the key file's assertion. */
  | 'TOKEN_ENDPOINT_FAILED'
  /** An endpoint answered 2xx but not with what it should have. */
  | 'INVALID_RESPONSE'
  /** The service-account key file cannot be used. */
  | 'KEY_FILE_INVALID';

export class TokenFetchError extends Error {
  override readonly name = 'TokenFetchError';

  constructor(
    readonly code: TokenFetchErrorCode,
    message: string,
    readonly details: {
      /** The URL that was called (never with a token in it). */
      readonly endpoint?: string;
      /** The HTTP status answered, when there was an answer. */
      readonly status?: number;
      /** Google's error status name (PERMISSION_DENIED, …) or OAuth error (invalid_grant, …). */
      readonly googleStatus?: string;
      /** authplane's refusal code (x-authplane-denial), when the endpoint was authplane. */
      readonly denial?: string;
      readonly cause?: unknown;
    } = {},
  ) {
    super(message, details.cause !== undefined ? { cause: details.cause } : undefined);
  }

  get status(): number | undefined {
    return this.details.status;
  }

  get denial(): string | undefined {
    return this.details.denial;
  }
}

export type AudienceWarningCode =
  /** The audience carries a request path; Cloud Run compares audiences with the service URL as a whole. */
  | 'AUDIENCE_HAS_PATH'
  /** The audience is the called host without its https:// scheme (e.g. `host:443`); other audiences without one are custom audiences. */
  | 'AUDIENCE_NO_SCHEME'
  /** The audience names a port that the service's URL does not have. */
  | 'AUDIENCE_HAS_PORT'
  /** The audience carries a query or fragment. */
  | 'AUDIENCE_HAS_QUERY'
  /** A cloudfunctions.net call whose audience is not the function's URL, or a run.app call with a functions audience. */
  | 'AUDIENCE_URL_FAMILY';

/**
 * An audience the target would refuse with 401 (authplane: AUDIENCE_MISMATCH with `hint`). Delivered to
 * `onWarning` (default: `process.emitWarning`, so `process.on('warning')` listeners can check `instanceof`).
 */
export class AudienceWarning extends Error {
  override readonly name = 'AudienceWarning';
  /** The refusal the target would answer with. */
  readonly refusalCode = 'AUDIENCE_MISMATCH';

  constructor(
    readonly code: AudienceWarningCode,
    message: string,
    /** The URL being called. */
    readonly url: string,
    /** The audience that would be sent. */
    readonly audience: string,
    /** What authplane's verifier would name the mistake (evidence.hint). */
    readonly hint: AudienceHint,
    /** The audience that would be accepted, when it can be told. */
    readonly suggestedAudience?: string,
  ) {
    super(message);
  }
}

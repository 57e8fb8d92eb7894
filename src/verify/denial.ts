// A refusal, in one shape for every product: Google's status and words, plus authplane's code,
// explanation, remedy and the evidence they were built from.

import { googleAnswer, REFUSAL_CODES, type CodeSpec, type RefusalCode, type RpcStatus, type Surface } from './codes.js';

/** The AUDIENCE_MISMATCH diagnosis, in `evidence.hint` and `Denial.hint`. */
export type AudienceHint =
  | 'path'
  | 'path-missing'
  | 'query'
  | 'scheme'
  | 'port'
  | 'trailing-slash'
  | 'case'
  | 'another-service'
  | 'custom-domain'
  | 'functions-vs-run'
  | 'iap-client-id-expected'
  | 'missing'
  | 'other';

/**
 * What a verifier expected when a token's issuer is not one it accepts (ISSUER_UNTRUSTED, SELF_SIGNED_JWT), when
 * that is not a Google ID token: IAP's assertion, or JWTs one service account signed for itself.
 */
export type IssuerHint = 'iap-assertion' | 'service-account-jwt' | 'another-service-account';

/** `evidence.hint` and `Denial.hint`: the code's finer diagnosis, which picks its explanation and remedy (codes.ts `hints`). */
export type DenialHint = AudienceHint | IssuerHint;

/** Values that mattered for a refusal: claim values, accepted values, times (seconds), bindings. Never a signature. */
export type Evidence = Record<string, unknown>;

/** One entry of Google's `error.details` (google.rpc.ErrorInfo, google.rpc.BadRequest, …), proto3 JSON with `@type`. */
export interface ErrorDetail {
  readonly '@type': string;
  readonly [field: string]: unknown;
}

export interface Denial {
  readonly code: RefusalCode;
  readonly surface: Surface;
  /** Google's HTTP status on this surface. */
  readonly status: number;
  /** Google's own words on this surface. */
  readonly message: string;
  /** google.rpc.Code name on API surfaces (REST `error.status`, the gRPC status). */
  readonly rpcStatus?: RpcStatus;
  /** Google's `error.details` on API surfaces (ErrorInfo, BadRequest). */
  readonly details?: readonly ErrorDetail[];
  /** The OAuth 2.0 `error` value on the `oauth` surface; Apigee's `errorcode` on the `gateway` surface. */
  readonly errorCode?: string;
  /** What happened, for a person. */
  readonly explanation: string;
  /** What to change, for a person. */
  readonly remedy: string;
  readonly hint?: DenialHint;
  readonly evidence: Evidence;
}

/** A refused token or request, thrown by the async library functions. */
export class DenialError extends Error {
  override readonly name = 'DenialError';
  readonly code: RefusalCode;
  readonly status: number;
  readonly evidence: Evidence;
  readonly remedy: string;

  constructor(readonly denial: Denial) {
    super(`${denial.code}: ${denial.explanation}`);
    this.code = denial.code;
    this.status = denial.status;
    this.evidence = denial.evidence;
    this.remedy = denial.remedy;
  }
}

export interface DenyOptions {
  /**
   * Answer with Google's status and words for this other code: where Google's answer hides the cause that
   * authplane names (a missing service account is a 403 PERMISSION_DENIED to a caller without permission).
   */
  answerAs?: RefusalCode;
}

/**
 * Builds the Denial for `code` on `surface`. Products use this for their own refusals too
 * (PERMISSION_DENIED, IAM_NOT_YET_PROPAGATED, INGRESS_BLOCKED, …); put every value the code's
 * templates name into `evidence` (see docs/refusal-codes.md).
 */
export function deny(code: RefusalCode, surface: Surface, evidence: Evidence = {}, options: DenyOptions = {}): Denial {
  const spec: CodeSpec = REFUSAL_CODES[code];
  const answer = googleAnswer(options.answerAs ?? code, surface);
  const hint = typeof evidence['hint'] === 'string' ? (evidence['hint'] as DenialHint) : undefined;
  const byHint = hint !== undefined ? spec.hints?.[hint] : undefined;
  const domain = evidence['domain'];
  const template = (typeof domain === 'string' ? answer.messageByDomain?.[domain] : undefined) ?? answer.message;
  const message = fillTemplate(template, { path: '/', ...evidence });
  const details = answer.rpcStatus !== undefined ? errorDetails(answer, message, evidence) : [];
  const errorCode = answer.oauthError ?? answer.errorcode;
  return {
    code,
    surface,
    status: answer.status,
    message,
    ...(answer.rpcStatus !== undefined ? { rpcStatus: answer.rpcStatus } : {}),
    ...(details.length > 0 ? { details } : {}),
    ...(errorCode !== undefined ? { errorCode } : {}),
    explanation: fillTemplate(byHint?.explanation ?? spec.explanation, evidence),
    // A thrower that knows the precise fix (a `fix` in the evidence) says it instead of the code's general remedy.
    remedy: typeof evidence['fix'] === 'string' ? evidence['fix'] : fillTemplate(byHint?.remedy ?? spec.remedy, evidence),
    ...(hint !== undefined ? { hint } : {}),
    evidence,
  };
}

/**
 * Google's `details` for an API refusal: ErrorInfo (reason, domain = the refusing API, metadata such as the
 * permission; REFERENCE §2) and, for a named field, BadRequest.fieldViolations.
 */
function errorDetails(answer: ReturnType<typeof googleAnswer>, message: string, evidence: Evidence): ErrorDetail[] {
  const out: ErrorDetail[] = [];
  if (answer.errorInfo !== undefined) {
    const metadata: Record<string, string> = {};
    const extra = evidence['errorMetadata'];
    if (extra !== null && typeof extra === 'object') for (const [k, v] of Object.entries(extra)) metadata[k] = String(v);
    if (answer.errorInfo.reason === 'IAM_PERMISSION_DENIED' && typeof evidence['permission'] === 'string') metadata['permission'] = evidence['permission'];
    const domain = typeof evidence['domain'] === 'string' ? evidence['domain'] : answer.errorInfo.domain;
    out.push({ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: answer.errorInfo.reason, domain, ...(Object.keys(metadata).length ? { metadata } : {}) });
  }
  const violations = evidence['violations'];
  if (answer.rpcStatus === 'INVALID_ARGUMENT' && Array.isArray(violations)) {
    // Several fields at once (apis/errors.ts invalidFields); a violation of the request itself names no field.
    const fieldViolations = (violations as { field: string; description: string }[]).map((v) => (v.field ? { field: v.field, description: v.description } : { description: v.description }));
    out.push({ '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations });
  } else if (answer.rpcStatus === 'INVALID_ARGUMENT' && typeof evidence['field'] === 'string') {
    out.push({ '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{ field: evidence['field'], description: message }] });
  }
  return out;
}

/** The placeholders a template names, e.g. `['aud', 'expectedAudience']`. */
export function templateFields(template: string): string[] {
  return [...template.matchAll(/\{([A-Za-z][A-Za-z0-9]*)\}/g)].map((m) => m[1]!);
}

/** Replaces `{name}` with `evidence[name]`; arrays are listed; null (an absent claim) reads "(none)", a missing field "(unknown)". */
export function fillTemplate(template: string, evidence: Evidence): string {
  return template.replace(/\{([A-Za-z][A-Za-z0-9]*)\}/g, (_, name: string) => formatValue(evidence[name]));
}

function formatValue(value: unknown): string {
  if (value === undefined) return '(unknown)';
  if (value === null) return '(none)'; // a claim the token does not carry
  if (Array.isArray(value)) return value.length === 0 ? '(none)' : value.map(formatValue).join(', ');
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

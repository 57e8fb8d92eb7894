// A refusal, in one shape for every product: Google's status and words, plus authplane's code,
// explanation, remedy and the evidence they were built from.

import { googleAnswer, REFUSAL_CODES, type CodeSpec, type RefusalCode, type Surface } from './codes.js';

/** The AUDIENCE_MISMATCH diagnosis, in `evidence.hint` and `Denial.hint`. */
export type AudienceHint =
  | 'path'
  | 'scheme'
  | 'port'
  | 'trailing-slash'
  | 'another-service'
  | 'functions-vs-run'
  | 'iap-client-id-expected'
  | 'missing'
  | 'other';

/** Values that mattered for a refusal: claim values, accepted values, times (seconds), bindings. Never a signature. */
export type Evidence = Record<string, unknown>;

export interface Denial {
  readonly code: RefusalCode;
  readonly surface: Surface;
  /** Google's HTTP status on this surface. */
  readonly status: number;
  /** Google's own words on this surface. */
  readonly message: string;
  /** What happened, for a person. */
  readonly explanation: string;
  /** What to change, for a person. */
  readonly remedy: string;
  readonly hint?: AudienceHint;
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

/**
 * Builds the Denial for `code` on `surface`. Products use this for their own refusals too
 * (PERMISSION_DENIED, IAM_NOT_YET_PROPAGATED, INGRESS_BLOCKED, …); put every value the code's
 * templates name into `evidence` (see docs/refusal-codes.md).
 */
export function deny(code: RefusalCode, surface: Surface, evidence: Evidence = {}): Denial {
  const spec: CodeSpec = REFUSAL_CODES[code];
  const answer = googleAnswer(code, surface);
  const hint = typeof evidence['hint'] === 'string' ? (evidence['hint'] as AudienceHint) : undefined;
  const byHint = hint !== undefined ? spec.hints?.[hint] : undefined;
  const denial: Denial = {
    code,
    surface,
    status: answer.status,
    message: fillTemplate(answer.message, { path: '/', ...evidence }),
    explanation: fillTemplate(byHint?.explanation ?? spec.explanation, evidence),
    remedy: fillTemplate(byHint?.remedy ?? spec.remedy, evidence),
    evidence,
  };
  return hint !== undefined ? { ...denial, hint } : denial;
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

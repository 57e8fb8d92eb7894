// A JWT a service account signed for itself (IAM Credentials signJwt, a key file) in the form IAP accepts and
// Google's sample builds (REFERENCE §12): iss = sub = the account's email, exp at most an hour after iat. The
// verifier checks the signature, the issuer, the time and the audience; these are the checks left, shared by
// IAP's front door and `verifyServiceAccountJwt`.
//
// Two clocks meet in such a JWT: the signer writes iat (and usually exp) from its own, and signJwt fills in
// exp from Google's when it is absent. So both bounds on the lifetime allow the verifier's clock skew.

import { deny, type Denial } from './denial.js';
import type { Surface } from './codes.js';
import type { VerifiedToken } from './verifier.js';

/** Longest exp − iat of a service account's own JWT: one hour, as IAP's documentation and Google's sample. */
export const SERVICE_ACCOUNT_JWT_MAX_LIFETIME_SEC = 3600;

/**
 * The Verifier's `maxLifetimeSec` for these JWTs (its bound on exp − now): the lifetime, plus the clock skew
 * tolerated (a signer whose clock runs ahead), plus a second for a JWT minted this instant.
 */
export function serviceAccountJwtHorizonSec(maxLifetimeSec: number, clockSkewSec: number): number {
  return maxLifetimeSec + clockSkewSec + 1;
}

export interface ServiceAccountJwtRules {
  /** The account whose own JWT this must be. */
  email: string;
  audiences: readonly string[];
  maxLifetimeSec: number;
  clockSkewSec: number;
  surface: Surface;
}

/** Why `t`, verified with `rules.email`'s keys, is not a JWT of that account in the documented form; undefined when it is. */
export function serviceAccountJwtDenial(t: VerifiedToken, rules: ServiceAccountJwtRules): Denial | undefined {
  const { claims } = t;
  const evidence = { iss: claims.iss, sub: claims.sub, iat: claims.iat, exp: claims.exp, audiences: rules.audiences, expectedAudience: rules.audiences[0], clockSkewSec: rules.clockSkewSec };
  if (claims.sub !== rules.email) {
    return deny('TOKEN_MALFORMED', rules.surface, { ...evidence, reason: `a service account's own JWT has sub = iss = ${rules.email}; its sub is ${String(claims.sub)}` });
  }
  const lifetime = claims.exp - claims.iat;
  if (lifetime > rules.maxLifetimeSec + rules.clockSkewSec) {
    return deny('TOKEN_MALFORMED', rules.surface, {
      ...evidence,
      reason: `its exp is ${lifetime} s after iat; a service account's own JWT may live at most ${rules.maxLifetimeSec} s (${rules.clockSkewSec} s more are allowed for the signer's and Google's clocks)`,
    });
  }
  return undefined;
}

// The signed header IAP adds for the app: `x-goog-iap-jwt-assertion`, an ES256 JWT signed by the
// platform's IAP key (published at /iap/verify/public_key-jwk and /iap/verify/public_key), with the claims
// Google's assertions carry. Apps verify it with google-auth-library's getIapPublicKeys() +
// verifySignedJwtWithCertsAsync(…, ['https://cloud.google.com/iap']) or authplane/verify's verifyIapAssertion.
//
// aud: authplane puts IAP directly on Cloud Run services, so it emits Google's format for that case,
// `/projects/PROJECT_NUMBER/locations/REGION/services/SERVICE` (docs/iap.md).

import type { ProjectConfig } from '../config/types.js';
import type { KeyRing } from '../identity/keys.js';
import { IAP_ISSUER } from '../identity/identity.js';
import { signJwt, type JwtClaims } from '../lib/jwt.js';

/** Google: "exp … 10 minutes". */
const ASSERTION_LIFETIME_S = 600;
/** A cached assertion is reused while it has at least this long to live. */
const REUSE_MARGIN_S = ASSERTION_LIFETIME_S - 60;

export const IAP_ACCOUNT_PREFIX = 'accounts.google.com:';

function assertionAudience(project: ProjectConfig, service: string): string {
  return `/projects/${project.number}/locations/${project.region}/services/${service}`;
}

export interface AssertionSubject {
  email: string;
  userId: string;
  /** Workspace domain, when the account has one. */
  hd?: string;
  accessLevels?: string[];
}

export class AssertionSigner {
  /** Recently signed assertions by subject + audience: signing is cheap (ES256), but not free on every request. */
  private readonly recent = new Map<string, { token: string; iat: number; kid: string }>();

  constructor(
    private readonly keys: KeyRing,
    private readonly project: ProjectConfig,
    private readonly clock: () => number,
  ) {}

  sign(service: string, subject: AssertionSubject): string {
    const now = Math.floor(this.clock() / 1000);
    const key = this.keys.signingKey('ES256');
    const aud = assertionAudience(this.project, service);
    const cacheKey = `${aud}\n${subject.email}\n${subject.userId}\n${subject.hd ?? ''}\n${(subject.accessLevels ?? []).join(',')}`;
    const hit = this.recent.get(cacheKey);
    if (hit && hit.kid === key.record.kid && now - hit.iat < ASSERTION_LIFETIME_S - REUSE_MARGIN_S) return hit.token;

    // Claims in Google's order.
    const claims: JwtClaims = { aud, email: subject.email, exp: now + ASSERTION_LIFETIME_S };
    if (subject.accessLevels?.length) claims.google = { access_levels: subject.accessLevels };
    if (subject.hd) claims.hd = subject.hd;
    claims.iat = now;
    claims.identity_source = 'GOOGLE';
    claims.iss = IAP_ISSUER;
    claims.sub = `${IAP_ACCOUNT_PREFIX}${subject.userId}`;
    const token = signJwt({ alg: 'ES256', typ: 'JWT', kid: key.record.kid }, claims, key.privateKey);
    if (this.recent.size > 10_000) this.recent.clear();
    this.recent.set(cacheKey, { token, iat: now, kid: key.record.kid });
    return token;
  }
}

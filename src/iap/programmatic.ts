// IAP's programmatic access (REFERENCE §5): a bearer credential in Proxy-Authorization,
// X-Serverless-Authorization or Authorization, which is either
//   - a Google ID token with aud = the IAP OAuth client ID (or an IAP custom audience) and an email claim, or
//   - a JWT a service account signed itself (IAM Credentials signJwt), {iss = sub = SA, aud = the resource
//     URL, exp ≤ iat + 1 h}, verified with that account's own keys.
// Both go through the one verifier (src/verify/); this file only chooses the header, the issuer, the keys
// and the accepted audiences.

import type { TokenChecks } from '../admission/tokens.js';
import { memberForEmail } from '../admission/invoker.js';
import type { ServiceEntry } from '../services/directory.js';
import type { Identity } from '../identity/identity.js';
import { decodeJwt } from '../lib/jwt.js';
import { parseBearer } from '../verify/credential.js';
import { deny, type Denial } from '../verify/denial.js';
import { DEFAULT_CLOCK_SKEW_SEC, GOOGLE_ISSUERS, isServiceAccountEmail } from '../verify/verifier.js';
import { SERVICE_ACCOUNT_JWT_MAX_LIFETIME_SEC, serviceAccountJwtDenial, serviceAccountJwtHorizonSec } from '../verify/service-account-jwt.js';

/** Where IAP looks for a bearer credential, first match wins. Proxy-Authorization leaves Authorization to the app. */
export const IAP_CREDENTIAL_HEADERS = ['proxy-authorization', 'x-serverless-authorization', 'authorization'] as const;
export type IapCredentialHeader = (typeof IAP_CREDENTIAL_HEADERS)[number];

export type IapCredential =
  | { kind: 'none' }
  | { kind: 'bearer'; header: IapCredentialHeader; token: string }
  | { kind: 'refused'; denial: Denial };

/** A caller IAP has authenticated. */
export interface IapIdentity {
  email: string;
  /** Numeric account id (Google's `sub`). */
  userId: string;
  /** IAM member: user:EMAIL or serviceAccount:EMAIL. */
  member: string;
  via: 'session-cookie' | 'id-token' | 'service-account-jwt';
  /** The header the credential came in (programmatic access). */
  header?: IapCredentialHeader;
}

/**
 * The bearer credential, if any, parsed by the same rule as Cloud Run's (verify/credential.ts parseBearer).
 * An Authorization header with another scheme (Basic, …) belongs to the app and is ignored; in
 * Proxy-Authorization or X-Serverless-Authorization it is refused.
 */
export function pickIapCredential(raw: readonly string[], audiences: readonly string[]): IapCredential {
  const values = new Map<string, string[]>();
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if ((IAP_CREDENTIAL_HEADERS as readonly string[]).includes(name) && raw[i + 1]!.trim() !== '') {
      const list = values.get(name) ?? [];
      list.push(raw[i + 1]!.trim());
      values.set(name, list);
    }
  }
  const base = { audiences, expectedAudience: audiences[0] };
  for (const header of IAP_CREDENTIAL_HEADERS) {
    const list = values.get(header);
    if (!list) continue;
    const isBearer = (v: string) => /^bearer(\s|$)/i.test(v);
    if (header === 'authorization' && !list.some(isBearer)) continue;
    if (list.length > 1) return { kind: 'refused', denial: deny('MULTIPLE_CREDENTIALS', 'iap', { ...base, header, credentialCount: list.length }) };
    const parsed = parseBearer(header, list[0]!);
    if (!parsed.ok) return { kind: 'refused', denial: deny(parsed.code, 'iap', { ...base, ...parsed.evidence }) };
    return { kind: 'bearer', header, token: parsed.token };
  }
  return { kind: 'none' };
}

export type ProgrammaticResult = { ok: true; identity: IapIdentity } | { ok: false; denial: Denial };

/** Verifies programmatic credentials for IAP-protected services, through the admission's token checks. */
export class ProgrammaticAccess {
  constructor(private readonly identity: Identity) {}

  /** The audiences an ID token may carry for this service: the OAuth client ID, then IAP custom audiences. */
  static idTokenAudiences(service: ServiceEntry): string[] {
    return [service.config.iap.oauthClientId!, ...service.config.iap.customAudiences];
  }

  /**
   * The audiences a service-account JWT may carry when calling `path`: a service URL, that URL plus the
   * request path, or a wildcard (`URL/*`, `URL/prefix/*`) covering the path.
   */
  static resourceAudiences(service: ServiceEntry, path: string): string[] {
    const roots = [service.urls.deterministic, service.urls.hashed, service.urls.local].filter((u): u is string => !!u);
    const segments = path.split('/').filter((s) => s !== '');
    const out: string[] = [];
    for (const root of roots) {
      out.push(root);
      if (segments.length) out.push(root + path);
      for (let i = 0; i <= segments.length; i++) out.push(`${root}/${segments.slice(0, i).map((s) => `${s}/`).join('')}*`);
    }
    return out;
  }

  async verify(token: string, header: IapCredentialHeader, service: ServiceEntry, path: string, tokens: TokenChecks): Promise<ProgrammaticResult> {
    const decoded = decodeJwt(token);
    const iss = decoded?.claims['iss'];
    // IAP's documented form for a service account's own JWT: iss = sub = the account (REFERENCE §12).
    const selfSigned = isServiceAccountEmail(iss) && !GOOGLE_ISSUERS.includes(iss);
    if (!selfSigned) {
      const r = await tokens.idToken(token, { audiences: ProgrammaticAccess.idTokenAudiences(service), surface: 'iap', requireEmail: true });
      if (!r.ok) return { ok: false, denial: r.denial };
      const email = r.email!;
      return { ok: true, identity: { email, userId: r.claims.sub, member: memberForEmail(email), via: 'id-token', header } };
    }

    const email = iss;
    const audiences = ProgrammaticAccess.resourceAudiences(service, path);
    const rules = { email, audiences, maxLifetimeSec: SERVICE_ACCOUNT_JWT_MAX_LIFETIME_SEC, clockSkewSec: DEFAULT_CLOCK_SKEW_SEC, surface: 'iap' as const };
    const r = await tokens.serviceAccountJwt(token, email, { audiences, surface: 'iap' }, serviceAccountJwtHorizonSec(rules.maxLifetimeSec, rules.clockSkewSec));
    if (!r.ok) return { ok: false, denial: r.denial };
    const denial = serviceAccountJwtDenial(r, rules);
    if (denial) return { ok: false, denial };
    const sa = await this.identity.findServiceAccount(email);
    return { ok: true, identity: { email, userId: sa?.uniqueId ?? '', member: memberForEmail(email), via: 'service-account-jwt', header } };
  }
}

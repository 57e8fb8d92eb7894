// Who is calling an API and whether they may: the principal behind an authplane access token (or the
// configured default principal when the request carries no credential, so a developer's script works out
// of the box), and IAM's answer for a permission on a resource, refused in Google's words.

import type { IncomingHttpHeaders } from 'node:http';
import type { Platform } from '../platform.js';
import { apiRefusal } from './errors.js';
import { hasScope } from './scopes.js';
import { iamRefusal } from '../iam/refusal.js';
import { DenialError } from '../verify/denial.js';

/** Who is calling and with which OAuth scopes (all, for the default principal acting without a token). */
export interface Caller {
  /** The IAM member (`user:…` / `serviceAccount:…`). */
  member: string;
  scopes: readonly string[] | 'all';
}

/**
 * The caller of an API call to `api` (a Google API's service name): its member, once its access token is
 * known to carry a scope `api` accepts for a `read` or another call. Throws TOKEN_MISSING,
 * ACCESS_TOKEN_INVALID or ACCESS_TOKEN_SCOPE_INSUFFICIENT.
 */
export async function authorizedCaller(platform: Platform, headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>, api: string, read: boolean, method: string): Promise<string> {
  const caller = await credentialOf(platform, headers);
  if (caller.scopes !== 'all') {
    const check = hasScope(caller.scopes, api, read);
    if (!check.ok) {
      throw apiRefusal('ACCESS_TOKEN_SCOPE_INSUFFICIENT', { scopes: caller.scopes, acceptedScopes: check.accepted, service: api, principal: caller.member, errorMetadata: { service: api, method } });
    }
  }
  return caller.member;
}

/** The IAM member (`user:…` / `serviceAccount:…`) making the call. Throws TOKEN_MISSING or ACCESS_TOKEN_INVALID. */
export async function callerOf(platform: Platform, headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>): Promise<string> {
  return (await credentialOf(platform, headers)).member;
}

async function credentialOf(platform: Platform, headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>): Promise<Caller> {
  const auth = headers['authorization'];
  const value = Array.isArray(auth) ? auth[0] : auth;
  if (value === undefined || value === '') {
    if (platform.config.defaultPrincipal) return { member: platform.config.defaultPrincipal, scopes: 'all' };
    throw apiRefusal('TOKEN_MISSING', { expectedAudience: '(an access token has no audience)', headers: ['authorization'] });
  }
  const m = /^Bearer +([A-Za-z0-9._~+/-]+=*)$/i.exec(value);
  if (!m) throw apiRefusal('ACCESS_TOKEN_INVALID', { reason: /^bearer/i.test(value) ? 'it is not "Bearer" and one token' : `it uses the ${value.split(' ')[0]} scheme, not Bearer` });
  const token = m[1]!;
  const rec = await platform.identity.resolveAccessToken(token);
  if (!rec) {
    const reason = token.split('.').length === 3 ? 'it is a JWT (an ID token?), not an access token' : 'no unexpired access token of this authplane has this value (expired, revoked, minted elsewhere, or from before a reset)';
    throw apiRefusal('ACCESS_TOKEN_INVALID', { reason });
  }
  return { member: rec.principal, scopes: rec.scopes };
}

/**
 * Throws Google's PERMISSION_DENIED unless `member` holds `permission` on `resource` as this front end sees
 * IAM now; the code says whether the binding is missing or still propagating. `domain` is the refusing API
 * (ErrorInfo.domain, e.g. run.googleapis.com).
 */
export function requirePermission(platform: Platform, member: string, permission: string, resource: string, domain = 'iam.googleapis.com'): void {
  const decision = platform.iam.check(member, permission, resource);
  if (!decision.allowed) throw new DenialError(iamRefusal(decision, 'api', member, { domain, region: platform.config.project.region }));
}

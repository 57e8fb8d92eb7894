// Who is calling an API and whether they may: the principal behind an authplane access token (or the
// configured default principal when the request carries no credential, so a developer's script works out
// of the box), and IAM's answer for a permission on a resource, refused in Google's words.

import type { IncomingHttpHeaders } from 'node:http';
import type { Platform } from '../platform.js';
import { apiRefusal, permissionDenied } from './errors.js';
import { serviceAccountResource } from '../iam/resources.js';
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
 * (ErrorInfo.domain, e.g. run.googleapis.com), which picks Google's words (codes.ts messageByDomain);
 * `googleResource` is the full resource name those words may name (default: `resource`).
 */
export function requirePermission(platform: Platform, member: string, permission: string, resource: string, domain = 'iam.googleapis.com', googleResource = resource): void {
  const decision = platform.iam.check(member, permission, resource);
  if (!decision.allowed) throw new DenialError(iamRefusal(decision, 'api', member, { domain, googleResource, region: platform.config.project.region }));
}

/**
 * Google's rule for work that runs as a service account (a task's or a job's token, a push subscription's):
 * the caller needs iam.serviceAccounts.actAs on it (ACT_AS_DENIED); an account that does not exist here (a
 * typo, another project's) is SERVICE_ACCOUNT_UNKNOWN, answered as Google's actAs 403 (REFERENCE §7, §9, §10).
 * `domain` is the refusing API.
 */
export async function requireActAs(platform: Platform, caller: string, email: string, domain: string): Promise<void> {
  const account = await platform.identity.findServiceAccount(email);
  const evidence = { principal: caller, member: caller, serviceAccount: email };
  if (!account) throw apiRefusal('SERVICE_ACCOUNT_UNKNOWN', { ...evidence, permission: 'iam.serviceAccounts.actAs', domain }, { answerAs: 'ACT_AS_DENIED' });
  const decision = platform.iam.check(caller, 'iam.serviceAccounts.actAs', serviceAccountResource(account.email));
  if (decision.allowed) return;
  throw permissionDenied('iam.serviceAccounts.actAs', domain, 'ACT_AS_DENIED', { ...evidence, ...(decision.propagating ? { propagating: decision.propagating } : {}) });
}

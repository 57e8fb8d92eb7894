// Who is calling an API and whether they may: the principal behind an authplane access token (or the
// configured default principal when the request carries no credential, so a developer's script works out
// of the box), and IAM's answer for a permission on a resource, refused in Google's words.

import type { IncomingHttpHeaders } from 'node:http';
import type { Platform } from '../platform.js';
import { apiRefusal, invalidArgument, permissionDenied } from './errors.js';
import { serviceAccountResource } from '../iam/resources.js';

/** The IAM member (`user:…` / `serviceAccount:…`) making the call. Throws TOKEN_MISSING or ACCESS_TOKEN_INVALID. */
export async function callerOf(platform: Platform, headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>): Promise<string> {
  const auth = headers['authorization'];
  const value = Array.isArray(auth) ? auth[0] : auth;
  if (value === undefined || value === '') {
    if (platform.config.defaultPrincipal) return platform.config.defaultPrincipal;
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
  return rec.principal;
}

/**
 * Throws Google's PERMISSION_DENIED unless `member` holds `permission` on `resource` as this front end sees
 * IAM now; the code says whether the binding is missing or still propagating. `domain` is the refusing API
 * (ErrorInfo.domain, e.g. run.googleapis.com).
 */
export function requirePermission(platform: Platform, member: string, permission: string, resource: string, domain = 'iam.googleapis.com'): void {
  const decision = platform.iam.check(member, permission, resource);
  if (decision.allowed) return;
  const p = decision.propagating;
  if (p) {
    throw permissionDenied(permission, domain, 'IAM_NOT_YET_PROPAGATED', {
      path: '/',
      principal: member,
      member: p.grant.member,
      role: p.grant.role,
      resource: p.grant.resource,
      grantedAt: new Date(p.changedAt).toISOString(),
      visibleAt: new Date(p.visibleAt).toISOString(),
      fullyVisibleAt: new Date(p.fullyVisibleAt).toISOString(),
      frontEnd: decision.frontEnd,
    });
  }
  throw permissionDenied(permission, domain, 'PERMISSION_DENIED', {
    principal: member,
    member,
    resource,
    role: decision.rolesGranting[0] ?? 'a role that grants it',
    rolesGranting: decision.rolesGranting,
    frontEnd: decision.frontEnd,
  });
}

/**
 * Google's rule for work that runs as a service account (a task's or a job's token, a push subscription's):
 * the caller needs iam.serviceAccounts.actAs on it (ACT_AS_DENIED), and it must exist in the project (REFERENCE
 * §7, §9, §10). `domain` is the refusing API; `field` names the account's field for the wrong-project error.
 */
export async function requireActAs(platform: Platform, caller: string, email: string, domain: string, field: string, owner: string): Promise<void> {
  const account = await platform.identity.findServiceAccount(email);
  const evidence = { principal: caller, member: caller, serviceAccount: email };
  if (!account) throw apiRefusal('SERVICE_ACCOUNT_UNKNOWN', { ...evidence, permission: 'iam.serviceAccounts.actAs', domain }, { answerAs: 'ACT_AS_DENIED' });
  const project = platform.config.project.id;
  if (account.projectId !== project) throw invalidArgument(`The service account ${email} must belong to the ${owner}'s project ${project}.`, field);
  const decision = platform.iam.check(caller, 'iam.serviceAccounts.actAs', serviceAccountResource(account.email));
  if (decision.allowed) return;
  throw permissionDenied('iam.serviceAccounts.actAs', domain, 'ACT_AS_DENIED', { ...evidence, ...(decision.propagating ? { propagating: decision.propagating } : {}) });
}

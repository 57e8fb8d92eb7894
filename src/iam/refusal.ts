// An IAM decision that did not allow a call, as a Denial: PERMISSION_DENIED naming the binding to add, or
// IAM_NOT_YET_PROPAGATED when the binding exists but this front end does not see it yet. One builder for the
// invoker check, IAP and every API, so the evidence and the fix read the same everywhere.

import type { Surface } from '../verify/codes.js';
import { deny, type Denial, type Evidence } from '../verify/denial.js';
import type { IamDecision } from './iam.js';
import { grantCommand } from './resources.js';

/**
 * `principal` names the caller for people (an email, or "the unknown principal …"); `role` is the role the
 * remedy suggests (default: the narrowest that grants the permission); `evidence` adds surface-specific values
 * (the request path, the API's ErrorInfo domain).
 */
export function iamRefusal(decision: IamDecision, surface: Surface, principal: string, evidence: Evidence = {}, role?: string): Denial {
  const p = decision.propagating;
  if (p !== undefined) {
    return deny('IAM_NOT_YET_PROPAGATED', surface, {
      ...evidence,
      principal,
      member: p.grant.member,
      role: p.grant.role,
      resource: p.grant.resource,
      permission: decision.permission,
      grantedAt: new Date(p.changedAt).toISOString(),
      visibleAt: new Date(p.visibleAt).toISOString(),
      fullyVisibleAt: new Date(p.fullyVisibleAt).toISOString(),
      frontEnd: decision.frontEnd,
    });
  }
  const granted = role ?? decision.rolesGranting[0] ?? 'a role that grants it';
  return deny('PERMISSION_DENIED', surface, {
    ...evidence,
    principal,
    member: decision.member,
    permission: decision.permission,
    resource: decision.resource,
    role: granted,
    rolesGranting: decision.rolesGranting,
    grantCommand: grantCommand(decision.resource, granted, decision.member, typeof evidence['region'] === 'string' ? evidence['region'] : undefined),
    frontEnd: decision.frontEnd,
  });
}

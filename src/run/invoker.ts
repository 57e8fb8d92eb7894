// The Cloud Run invoker check: does the caller hold run.routes.invoke on services/NAME, as the front
// end answering this request sees IAM right now (propagation included)? Never cached: a decision is
// only true for the moment and front end it was made on.

import type { IamDecision } from '../iam/iam.js';
import type { Platform } from '../platform.js';
import { deny, type Denial } from '../verify/denial.js';
import type { VerifiedToken } from '../verify/verifier.js';

export const INVOKE_PERMISSION = 'run.routes.invoke';

/** user:EMAIL or serviceAccount:EMAIL for a verified token; undefined when the token names nobody we know. */
export function memberForEmail(email: string): string {
  return email.endsWith('.gserviceaccount.com') ? `serviceAccount:${email}` : `user:${email}`;
}

/**
 * Resolves a verified token's caller to an IAM member. Tokens minted without includeEmail carry only
 * `sub` (the service account's unique id), so those are looked up once and remembered.
 */
export class MemberResolver {
  private readonly bySub = new Map<string, string | null>();

  constructor(private readonly platform: Platform) {}

  /** Synchronous when the answer is known (the hot path); a Promise on the first sight of a `sub`. */
  resolve(t: VerifiedToken): string | null | Promise<string | null> {
    if (t.email !== undefined && t.email !== '') return memberForEmail(t.email);
    const sub = t.claims.sub;
    if (typeof sub !== 'string' || sub === '') return null;
    const known = this.bySub.get(sub);
    if (known !== undefined) return known;
    return this.platform.identity.findServiceAccount(sub).then((sa) => {
      const member = sa ? `serviceAccount:${sa.email}` : null;
      if (this.bySub.size > 10_000) this.bySub.clear();
      this.bySub.set(sub, member);
      return member;
    });
  }
}

/** The refusal for a decision that did not allow the call. */
export function invokerDenial(decision: IamDecision, principal: string, path: string): Denial {
  const p = decision.propagating;
  if (p !== undefined) {
    return deny('IAM_NOT_YET_PROPAGATED', 'run', {
      path,
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
  return deny('PERMISSION_DENIED', 'run', {
    path,
    principal,
    member: decision.member,
    permission: decision.permission,
    resource: decision.resource,
    role: decision.rolesGranting[0] ?? 'roles/run.invoker',
    rolesGranting: decision.rolesGranting,
    frontEnd: decision.frontEnd,
  });
}

/**
 * IAM decisions for run.routes.invoke, remembered only while they cannot change: once the resource's and
 * the project's policies (by etag) have been unchanged for the propagation maximum, every front end sees
 * the same newest version, so a decision holds until either policy changes. Before that (a change is
 * propagating) every request is checked afresh on a random front end. This keeps iam.check (which builds
 * member lists and sorts the role catalog) off the hot path without caching past propagation.
 */
export class InvokerDecisions {
  private readonly states = new Map<string, { svcEtag: string; projEtag: string; since: number; decisions: Map<string, IamDecision> }>();
  private readonly project: string;

  constructor(private readonly platform: Platform) {
    this.project = `projects/${platform.config.project.id}`;
  }

  check(member: string | null, resource: string): IamDecision {
    const { iam } = this.platform;
    const now = this.platform.clock();
    const svcEtag = iam.getPolicy(resource).etag;
    const projEtag = iam.getPolicy(this.project).etag;
    let state = this.states.get(resource);
    if (state === undefined || state.svcEtag !== svcEtag || state.projEtag !== projEtag) {
      state = { svcEtag, projEtag, since: now, decisions: new Map() };
      this.states.set(resource, state);
    }
    const stable = now >= state.since + iam.propagation.maxMs;
    const key = member ?? 'allUsers';
    if (stable) {
      const known = state.decisions.get(key);
      if (known !== undefined) return known;
    }
    const decision = iam.check(member, INVOKE_PERMISSION, resource, { now });
    if (stable) {
      if (state.decisions.size >= 10_000) state.decisions.clear();
      state.decisions.set(key, decision);
    }
    return decision;
  }
}

// The Cloud Run invoker check: does the caller hold run.routes.invoke on services/NAME, as the front
// end answering this request sees IAM right now (propagation included)? IAM itself remembers decisions
// only once no change can still be propagating (Iam.check).

import type { IamDecision } from '../iam/iam.js';
import type { Denial } from '../verify/denial.js';
import { iamRefusal } from '../iam/refusal.js';
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
  private readonly byEmail = new Map<string, string>();

  /** `accounts`: identity's, or a front-door worker's way of asking the process that owns the store. */
  constructor(private readonly accounts: { findServiceAccount(emailOrId: string): Promise<{ email: string } | null> }) {}

  /** Synchronous when the answer is known (the hot path); a Promise on the first sight of a `sub`. */
  resolve(t: VerifiedToken): string | null | Promise<string | null> {
    if (t.email !== undefined && t.email !== '') {
      // One member string per email: IAM's lookups then hash a string they have seen (no concatenation per request).
      let m = this.byEmail.get(t.email);
      if (m === undefined) {
        if (this.byEmail.size > 10_000) this.byEmail.clear();
        this.byEmail.set(t.email, (m = memberForEmail(t.email)));
      }
      return m;
    }
    const sub = t.claims.sub;
    if (typeof sub !== 'string' || sub === '') return null;
    const known = this.bySub.get(sub);
    if (known !== undefined) return known;
    return this.accounts.findServiceAccount(sub).then((sa) => {
      const member = sa ? `serviceAccount:${sa.email}` : null;
      if (this.bySub.size > 10_000) this.bySub.clear();
      this.bySub.set(sub, member);
      return member;
    });
  }
}

/** The refusal for a decision that did not allow the call. */
export function invokerDenial(decision: IamDecision, principal: string, path: string, region?: string): Denial {
  return iamRefusal(decision, 'run', principal, { path, ...(region ? { region } : {}) }, decision.rolesGranting[0] ?? 'roles/run.invoker');
}

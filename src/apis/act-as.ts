// "The caller must have iam.serviceAccounts.actAs permission for the service account", which "must be
// within the same project": what Cloud Tasks (task tokens), Cloud Scheduler (job tokens) and Pub/Sub
// (push tokens) check when a caller asks them to call something as a service account (REFERENCE §7, §9, §10).

import { serviceAccountResource } from '../iam/resources.js';
import type { Platform } from '../platform.js';
import { apiRefusal, invalidArgument, permissionDenied } from './errors.js';

export interface ActAsCheck {
  /** The refusing API (ErrorInfo.domain), e.g. pubsub.googleapis.com. */
  domain: string;
  /** The request field that names the account, e.g. push_config.oidc_token.service_account_email. */
  field: string;
  /** What the account must share a project with, for the message: "queue", "subscription", "job". */
  owner: string;
}

/** Throws ACT_AS_DENIED (or SERVICE_ACCOUNT_UNKNOWN answered as it) unless `caller` may act as `email`, an account of the emulated project. */
export async function requireActAs(platform: Platform, caller: string, email: string, check: ActAsCheck): Promise<void> {
  const account = await platform.identity.findServiceAccount(email);
  const evidence = { principal: caller, member: caller, serviceAccount: email };
  if (!account) throw apiRefusal('SERVICE_ACCOUNT_UNKNOWN', { ...evidence, permission: 'iam.serviceAccounts.actAs', domain: check.domain }, { answerAs: 'ACT_AS_DENIED' });
  const project = platform.config.project.id;
  if (account.projectId !== project) throw invalidArgument(`The service account ${email} must belong to the ${check.owner}'s project ${project}.`, check.field);
  const decision = platform.iam.check(caller, 'iam.serviceAccounts.actAs', serviceAccountResource(account.email));
  if (decision.allowed) return;
  throw permissionDenied('iam.serviceAccounts.actAs', check.domain, 'ACT_AS_DENIED', { ...evidence, ...(decision.propagating ? { propagating: decision.propagating } : {}) });
}

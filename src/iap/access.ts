// IAP's authorization: the caller needs iap.webServiceVersions.accessViaIAP (roles/iap.httpsResourceAccessor)
// on the IAP resource `iap/SERVICE` or its project, as one IAM front end sees it (propagation applies).

import type { Iam } from '../iam/iam.js';
import { iapResource } from '../iam/resources.js';
import type { Denial } from '../verify/denial.js';
import { iamRefusal } from '../iam/refusal.js';
import type { IapIdentity } from './programmatic.js';

const IAP_ACCESS_PERMISSION = 'iap.webServiceVersions.accessViaIAP';
const IAP_ACCESSOR_ROLE = 'roles/iap.httpsResourceAccessor';

/** undefined when access is granted; otherwise the refusal (403 Access denied). */
export function checkIapAccess(iam: Iam, who: IapIdentity, service: string, region?: string, now?: number): Denial | undefined {
  const resource = iapResource(service);
  const decision = iam.check(who.member, IAP_ACCESS_PERMISSION, resource, now === undefined ? {} : { now });
  if (decision.allowed) return undefined;
  const role = decision.rolesGranting.includes(IAP_ACCESSOR_ROLE) ? IAP_ACCESSOR_ROLE : (decision.rolesGranting[0] ?? IAP_ACCESSOR_ROLE);
  return iamRefusal(decision, 'iap', who.email, { authenticatedBy: who.via, ...(region ? { region } : {}) }, role);
}

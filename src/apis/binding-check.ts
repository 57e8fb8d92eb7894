// What a binding edit or an IAM check may name: a resource that exists, a member whose service account
// exists, a role where a role is expected and a permission where a permission is. Google's setIamPolicy
// refuses a binding to a service account that does not exist ("Service account … does not exist.") and a
// role it does not know ("Role … is not supported for this resource."), both INVALID_ARGUMENT; a resource that
// does not exist is NOT_FOUND. The admin API (and so `authplane iam`) answers the same way.

import { invalidArgument, notFound } from './errors.js';
import type { Platform } from '../platform.js';
import { isKnownRole, ROLES } from '../iam/roles.js';

/** The resource keys `authplane iam` accepts, for messages. */
export const RESOURCE_KINDS = 'projects/PROJECT, services/NAME, iap/NAME, serviceAccounts/EMAIL, queues/NAME, topics/ID, subscriptions/ID';

/** Throws NOT_FOUND unless `key` names something this authplane has. */
export async function requireKnownResource(platform: Platform, key: string): Promise<void> {
  const slash = key.indexOf('/');
  const kind = slash < 0 ? key : key.slice(0, slash);
  const name = slash < 0 ? '' : key.slice(slash + 1);
  const { config, directory, store } = platform;
  let known: boolean;
  switch (kind) {
    case 'projects':
      known = name === config.project.id;
      break;
    case 'services':
      known = directory.get(name) !== undefined;
      break;
    case 'iap':
      known = directory.get(name)?.config.iap.enabled === true;
      break;
    case 'serviceAccounts':
      known = (await platform.identity.findServiceAccount(name)) !== null;
      break;
    case 'queues': {
      const q = await store.tasks.getQueue(name);
      known = q !== null && q.deletedAt === null;
      break;
    }
    case 'topics':
      known = (await store.pubsub.getTopic(name)) !== null;
      break;
    case 'subscriptions':
      known = (await store.pubsub.getSubscription(name)) !== null;
      break;
    default:
      throw invalidArgument(`${key} is not a resource authplane knows: use ${RESOURCE_KINDS}`, 'resource');
  }
  if (!known) throw notFound(`${key} does not exist in project ${config.project.id} (resources: ${RESOURCE_KINDS}).`, key);
}

/** Throws INVALID_ARGUMENT when `member` is a service account of this project that does not exist, or is not an IAM member at all. */
export async function requireKnownMember(platform: Platform, member: string): Promise<void> {
  if (member === 'allUsers' || member === 'allAuthenticatedUsers') return;
  const m = /^(user|serviceAccount|group|domain|principal|principalSet):(.+)$/.exec(member);
  if (!m) throw invalidArgument(`${member} is not an IAM member: write user:EMAIL, serviceAccount:EMAIL, group:EMAIL, domain:DOMAIN, allUsers or allAuthenticatedUsers`, 'member');
  if (m[1] !== 'serviceAccount') return;
  const email = m[2]!;
  // Accounts of other projects cannot be checked here; this project's (and its service agents) can.
  const ours = email.endsWith(`@${platform.config.project.id}.iam.gserviceaccount.com`) || email.startsWith(`service-${platform.config.project.number}@`) || email.startsWith(`${platform.config.project.number}-`);
  if (ours && (await platform.identity.findServiceAccount(email)) === null) {
    throw invalidArgument(`Service account ${email} does not exist. Declare it under serviceAccounts in the config, or fix the name.`, 'member');
  }
}

/** Throws INVALID_ARGUMENT unless `role` is a role authplane knows (a permission given instead is named as such). */
export function requireRole(role: string): void {
  if (isKnownRole(role)) return;
  if (!role.startsWith('roles/') && /^[a-z]+\.[a-zA-Z]+\.[a-zA-Z]+$/.test(role)) {
    const granting = Object.keys(ROLES).filter((r) => ROLES[r]!.includes(role));
    throw invalidArgument(`${role} is a permission, not a role${granting.length ? `; roles that grant it: ${granting.slice(0, 3).join(', ')}` : ''}`, 'role');
  }
  throw invalidArgument(`Role ${role} is not supported for this resource.`, 'role');
}

/** Throws INVALID_ARGUMENT when a role (or anything not shaped like service.resource.verb) is given as a permission. */
export function requirePermissionName(permission: string): void {
  if (permission.startsWith('roles/')) {
    const perms = ROLES[permission];
    throw invalidArgument(`${permission} is a role, not a permission${perms?.length ? `; it grants ${perms.slice(0, 3).join(', ')}${perms.length > 3 ? ', …' : ''}` : ''}`, 'permission');
  }
  if (!/^[a-z][a-zA-Z0-9]*\.[a-zA-Z0-9]+\.[a-zA-Z0-9]+$/.test(permission)) {
    throw invalidArgument(`${permission} is not a permission: write SERVICE.RESOURCE.VERB, e.g. run.routes.invoke`, 'permission');
  }
}

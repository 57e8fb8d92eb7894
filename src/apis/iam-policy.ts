// getIamPolicy / setIamPolicy / testIamPermissions for any resource, in Google's REST shapes.
// Every product registers its own URLs (Cloud Run services, IAP, queues) through `iamPolicyRoutes`,
// mapping Google's resource name to an internal key; the semantics live here once.

import { isKnownRole } from '../iam/roles.js';
import type { IamBinding, IamPolicy } from '../iam/policy.js';
import type { Platform } from '../platform.js';
import { callerOf } from './caller.js';
import { concurrentPolicyChange, invalidArgument, permissionDenied } from './errors.js';
import type { ApiRequest, Router } from './router.js';

export interface PolicyResourceSpec {
  /** Internal resource key (e.g. services/update), or throws NOT_FOUND. */
  resolve(req: ApiRequest): Promise<string> | string;
  getPermission: string;
  setPermission: string;
  /** Permissions a testIamPermissions call may ask about on this resource (prefix such as "run."). */
  permissionPrefixes: string[];
  /** The error domain in ErrorInfo (run.googleapis.com, iam.googleapis.com, …). */
  domain: string;
}

const MEMBER = /^(user|serviceAccount|group|domain):[^\s]+$/;

export async function validateBindings(platform: Platform, raw: unknown): Promise<IamBinding[]> {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw invalidArgument('Invalid JSON payload received. policy.bindings must be a list.', 'policy.bindings');
  const out: IamBinding[] = [];
  for (const [i, b] of raw.entries()) {
    const role = (b as { role?: unknown })?.role;
    const members = (b as { members?: unknown })?.members;
    if (typeof role !== 'string' || !isKnownRole(role)) {
      throw invalidArgument(`Role ${String(role)} is not supported for this resource.`, `policy.bindings[${i}].role`);
    }
    if ((b as { condition?: unknown }).condition !== undefined) {
      throw invalidArgument('Conditional role bindings are not supported by authplane.', `policy.bindings[${i}].condition`);
    }
    if (!Array.isArray(members)) throw invalidArgument('Invalid JSON payload received. members must be a list.', `policy.bindings[${i}].members`);
    for (const m of members) {
      if (typeof m !== 'string' || !(m === 'allUsers' || m === 'allAuthenticatedUsers' || MEMBER.test(m))) {
        throw invalidArgument(`Invalid member: ${String(m)}. Use user:EMAIL, serviceAccount:EMAIL, group:EMAIL, domain:DOMAIN, allUsers or allAuthenticatedUsers.`, `policy.bindings[${i}].members`);
      }
      if (m.startsWith('serviceAccount:') && m.endsWith('.iam.gserviceaccount.com') && !(await platform.identity.findServiceAccount(m.slice(15)))) {
        throw invalidArgument(`Service account ${m.slice(15)} does not exist.`, `policy.bindings[${i}].members`);
      }
    }
    out.push({ role, members: members as string[] });
  }
  return out;
}

/** Throws Google's PERMISSION_DENIED (with authplane's code) unless `member` holds `permission` on `resource`. */
export function requirePermission(platform: Platform, member: string, permission: string, resource: string, domain = 'iam.googleapis.com'): void {
  const decision = platform.iam.check(member, permission, resource);
  if (decision.allowed) return;
  const role = decision.rolesGranting[0] ?? 'a role that grants it';
  const propagating = decision.propagating;
  throw permissionDenied(
    permission,
    propagating
      ? {
          code: 'IAM_NOT_YET_PROPAGATED',
          explanation: `${member} was granted ${propagating.grant.role} on ${propagating.grant.resource}, but the change has not reached every front end yet.`,
          remedy: `Retry after ${new Date(propagating.fullyVisibleAt).toISOString()} (IAM changes take a while to propagate on Google too).`,
          evidence: { member, permission, resource, frontEnd: decision.frontEnd, visibleAt: propagating.visibleAt, fullyVisibleAt: propagating.fullyVisibleAt },
        }
      : {
          code: 'PERMISSION_DENIED',
          explanation: `${member} does not hold ${permission} on ${resource} (nor on its project).`,
          remedy: `Grant ${role} on ${resource} to ${member}: authplane iam add ${resource} ${role} ${member}`,
          evidence: { member, permission, resource, rolesGranting: decision.rolesGranting },
        },
    { domain },
  );
}

function policyJson(p: IamPolicy) {
  return { version: p.version, etag: p.etag, ...(p.bindings.length ? { bindings: p.bindings } : {}) };
}

/** Registers `BASE:getIamPolicy`, `BASE:setIamPolicy`, `BASE:testIamPermissions` for one resource family. */
export function iamPolicyRoutes(router: Router, platform: Platform, base: string, spec: PolicyResourceSpec, opts: { getMethod?: 'GET' | 'POST' | 'BOTH' } = {}): void {
  const get = async (req: ApiRequest) => {
    const resource = await spec.resolve(req);
    const caller = await callerOf(platform, req.headers);
    requirePermission(platform, caller, spec.getPermission, resource, spec.domain);
    return { body: policyJson(platform.iam.getPolicy(resource)) };
  };
  const getMethod = opts.getMethod ?? 'BOTH';
  if (getMethod !== 'POST') router.get(`${base}:getIamPolicy`, get);
  if (getMethod !== 'GET') router.post(`${base}:getIamPolicy`, get);

  router.post(`${base}:setIamPolicy`, async (req) => {
    const resource = await spec.resolve(req);
    const caller = await callerOf(platform, req.headers);
    requirePermission(platform, caller, spec.setPermission, resource, spec.domain);
    const body = await req.json<{ policy?: { bindings?: unknown; etag?: unknown } }>();
    if (!body.policy || typeof body.policy !== 'object') throw invalidArgument('policy is required.', 'policy');
    const bindings = await validateBindings(platform, body.policy.bindings);
    const etag = typeof body.policy.etag === 'string' && body.policy.etag ? body.policy.etag : null;
    const result = await platform.iam.setPolicy(resource, bindings, etag);
    if ('conflict' in result) {
      throw concurrentPolicyChange();
    }
    return { body: policyJson(result.policy) };
  });

  router.post(`${base}:testIamPermissions`, async (req) => {
    const resource = await spec.resolve(req);
    const caller = await callerOf(platform, req.headers);
    const body = await req.json<{ permissions?: unknown }>();
    if (!Array.isArray(body.permissions)) throw invalidArgument('permissions must be a list.', 'permissions');
    const held: string[] = [];
    for (const p of body.permissions) {
      if (typeof p !== 'string' || !spec.permissionPrefixes.some((x) => p.startsWith(x))) {
        throw invalidArgument(`Permission ${String(p)} is not valid for this resource.`, 'permissions');
      }
      if (platform.iam.check(caller, p, resource).allowed) held.push(p);
    }
    return { body: held.length ? { permissions: held } : {} };
  });
}

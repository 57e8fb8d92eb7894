// getIamPolicy / setIamPolicy / testIamPermissions for any resource, in Google's REST shapes.
// Every product registers its own URLs (Cloud Run services, IAP, queues) through `iamPolicyRoutes`,
// mapping Google's resource name to an internal key; the semantics live here once.

import { isKnownRole } from '../iam/roles.js';
import type { IamBinding, IamPolicy } from '../iam/policy.js';
import type { Platform } from '../platform.js';
import { invalidArgument, policyEtagConflict } from './errors.js';
import type { Obj } from './proto.js';
import type { ApiRequest, RouteRegistrar } from './router.js';

export interface PolicyResourceSpec {
  /** Internal resource key (e.g. services/update), or throws NOT_FOUND. */
  resolve(req: ApiRequest): Promise<string> | string;
  getPermission: string;
  setPermission: string;
  /** Permissions a testIamPermissions call may ask about on this resource (prefix such as "run."). */
  permissionPrefixes: string[];
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

/** A google.iam.v1.Policy in the shared proto object shape (gRPC, and REST through the proto JSON codec): the etag as bytes. */
export function policyMessage(p: IamPolicy): Obj {
  return { version: p.version, etag: Buffer.from(p.etag, 'base64'), bindings: p.bindings };
}

/** SetIamPolicy from a request in the shared proto object shape: validates, checks the etag, returns the new policy message. */
export async function setPolicyMessage(platform: Platform, resource: string, policy: Obj | undefined): Promise<Obj> {
  if (!policy || typeof policy !== 'object') throw invalidArgument('policy is required.', 'policy');
  const bindings = await validateBindings(platform, ((policy.bindings as Obj[] | undefined) ?? []).map((b) => ({ role: b.role, members: b.members ?? [], ...(b.condition ? { condition: b.condition } : {}) })));
  const etag = policy.etag && (policy.etag as Buffer).length ? Buffer.from(policy.etag as Buffer).toString('base64') : null;
  const result = await platform.iam.setPolicy(resource, bindings, etag);
  if ('conflict' in result) throw policyEtagConflict(resource, String(etag));
  return policyMessage(result.policy);
}

function policyJson(p: IamPolicy) {
  return { version: p.version, etag: p.etag, ...(p.bindings.length ? { bindings: p.bindings } : {}) };
}

/** Registers `BASE:getIamPolicy`, `BASE:setIamPolicy`, `BASE:testIamPermissions` for one resource family. */
export function iamPolicyRoutes(api: RouteRegistrar, platform: Platform, base: string, spec: PolicyResourceSpec, opts: { getMethod?: 'GET' | 'POST' | 'BOTH' } = {}): void {
  const get = async (req: ApiRequest) => ({ body: policyJson(platform.iam.getPolicy(await spec.resolve(req))) });
  const getAccess = { permission: spec.getPermission, on: spec.resolve, read: true };
  const getMethod = opts.getMethod ?? 'BOTH';
  if (getMethod !== 'POST') api.get(`${base}:getIamPolicy`, getAccess, get);
  if (getMethod !== 'GET') api.post(`${base}:getIamPolicy`, getAccess, get);

  api.post(`${base}:setIamPolicy`, { permission: spec.setPermission, on: spec.resolve }, async (req) => {
    const resource = await spec.resolve(req);
    const body = await req.json<{ policy?: unknown }>();
    const policy = body.policy;
    if (policy === undefined || policy === null) throw invalidArgument('policy is required.', 'policy');
    if (typeof policy !== 'object' || Array.isArray(policy)) throw invalidArgument('Invalid JSON payload received. policy must be a Policy object.', 'policy');
    const p = policy as { bindings?: unknown; etag?: unknown };
    const bindings = await validateBindings(platform, p.bindings);
    const etag = typeof p.etag === 'string' && p.etag ? p.etag : null;
    const result = await platform.iam.setPolicy(resource, bindings, etag);
    if ('conflict' in result) throw policyEtagConflict(resource, String(etag));
    return { body: policyJson(result.policy) };
  });

  api.post(`${base}:testIamPermissions`, { authenticated: 'testIamPermissions answers which of the listed permissions the caller itself holds', read: true }, async (req) => {
    const resource = await spec.resolve(req);
    const body = await req.json<{ permissions?: unknown }>();
    if (!Array.isArray(body.permissions)) throw invalidArgument('permissions must be a list.', 'permissions');
    const held: string[] = [];
    for (const p of body.permissions) {
      if (typeof p !== 'string' || !spec.permissionPrefixes.some((x) => p.startsWith(x))) {
        throw invalidArgument(`Permission ${String(p)} is not valid for this resource.`, 'permissions');
      }
      if (platform.iam.check(req.caller, p, resource).allowed) held.push(p);
    }
    return { body: held.length ? { permissions: held } : {} };
  });
}

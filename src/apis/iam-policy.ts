// getIamPolicy / setIamPolicy / testIamPermissions for any resource, in Google's REST shapes.
// Every product registers its own URLs (Cloud Run services, IAP, projects, service accounts) through
// `iamPolicyRoutes`, mapping Google's resource name to an internal key; Cloud Tasks serves its queues' IAM
// methods itself (REST and gRPC share its service) and calls `policyChange` too. The semantics live here
// once: requests are read through google.iam.v1's descriptors, and one validator decides what a
// setIamPolicy may store.

import { isKnownRole } from '../iam/roles.js';
import { emailMember, MEMBER_FORM, MEMBER_FORM_DETAIL, memberFormRefusal } from '../iam/members.js';
import type { IamBinding, IamPolicy } from '../iam/policy.js';
import type { Platform } from '../platform.js';
import { apiRefusal, invalidArgument, invalidFields, policyEtagConflict, type FieldViolation } from './errors.js';
import { decodeJson, descriptor, encodeJson, type Obj } from './proto.js';
import { queryToJson } from './proto-json.js';
import type { ApiRequest, RouteRegistrar } from './router.js';

export interface PolicyResourceSpec {
  /** Internal resource key (e.g. services/update), or throws NOT_FOUND. */
  resolve(req: ApiRequest): Promise<string> | string;
  getPermission: string;
  setPermission: string;
  /** Permissions a testIamPermissions call may ask about on this resource (prefix such as "run."). */
  permissionPrefixes: string[];
}

const iamType = (name: string) => descriptor('google-iam-v1.json').lookupType(`google.iam.v1.${name}`);

/**
 * google/iam/v1/policy.proto, Policy.bindings: "The `bindings` in a `Policy` can refer to up to 1,500
 * principals; up to 250 of these principals can be Google groups. Each occurrence of a principal counts
 * towards these limits." and "Each of the `bindings` must contain at least one principal."
 */
const MAX_PRINCIPALS = 1500;
const MAX_GROUPS = 250;
/** Policy.version and GetPolicyOptions.requested_policy_version: "Valid values are 0, 1, and 3." */
const POLICY_VERSIONS = new Set([0, 1, 3]);
/** SetIamPolicyRequest.update_mask: the Policy fields it may name; without it, "bindings, etag". */
const MASKABLE = new Set(['bindings', 'etag', 'version', 'audit_configs']);
const DEFAULT_MASK = ['bindings', 'etag'];

/** Google-managed service agents (service-PROJECT_NUMBER@gcp-sa-SERVICE.iam.gserviceaccount.com) exist for every project's APIs. */
const SERVICE_AGENT = /^service-\d+@gcp-sa-[a-z0-9-]+\.iam\.gserviceaccount\.com$/;

/** What a valid setIamPolicy stores: the bindings, and the etag it must match (null: none given). */
export interface PolicyChange {
  bindings: IamBinding[];
  etag: string | null;
}

/**
 * The one setIamPolicy validator: a google.iam.v1.SetIamPolicyRequest (the shared object shape, from REST
 * or gRPC) checked as Google checks it and applied to `current` under its update mask. Throws
 * INVALID_ARGUMENT naming the field; a refused request changes nothing.
 */
export async function policyChange(platform: Platform, request: Obj, current: IamPolicy): Promise<PolicyChange> {
  const policy = request.policy as Obj | undefined;
  if (!policy) throw invalidArgument('policy is required.', 'policy');
  const mask = ((request.updateMask as { paths?: string[] } | undefined)?.paths ?? []).map((p) => p.trim());
  for (const p of mask) {
    if (!MASKABLE.has(p)) throw invalidArgument(`Invalid update_mask path "${p}": setIamPolicy can update bindings, etag, version and audit_configs.`, 'update_mask');
  }
  const paths = new Set(mask.length ? mask : DEFAULT_MASK);
  const version = Number(policy.version ?? 0);
  if (paths.has('version') && !POLICY_VERSIONS.has(version)) throw invalidArgument(`Invalid policy version ${version}: valid versions are 0, 1 and 3.`, 'policy.version');
  if (paths.has('audit_configs') && ((policy.auditConfigs as unknown[] | undefined) ?? []).length > 0) {
    throw invalidArgument('Audit configs are not supported by authplane: it keeps no Data Access audit logs.', 'policy.audit_configs');
  }
  const bindings = paths.has('bindings') ? await validateBindings(platform, (policy.bindings as Obj[] | undefined) ?? []) : current.bindings;
  const etag = paths.has('etag') && Buffer.isBuffer(policy.etag) && policy.etag.length > 0 ? policy.etag.toString('base64') : null;
  return { bindings, etag };
}

/** Checks a policy's bindings: roles authplane knows, principals in Google's forms, Google's size limits. */
async function validateBindings(platform: Platform, raw: Obj[]): Promise<IamBinding[]> {
  const out: IamBinding[] = [];
  let principals = 0;
  let groups = 0;
  for (const [i, b] of raw.entries()) {
    const at = `policy.bindings[${i}]`;
    const role = String(b.role ?? '');
    if (!isKnownRole(role)) throw invalidArgument(`Role ${role || '(empty)'} is not supported for this resource.`, `${at}.role`);
    if (b.condition !== undefined) throw invalidArgument('Conditional role bindings are not supported by authplane.', `${at}.condition`);
    const members = (b.members as string[] | undefined) ?? [];
    if (members.length === 0) throw invalidArgument(`The binding for ${role} has no members: each of the bindings must contain at least one principal.`, `${at}.members`);
    for (const [j, m] of members.entries()) {
      await checkMember(platform, m, `${at}.members[${j}]`);
      if (m.startsWith('group:')) groups++;
    }
    principals += members.length;
    out.push({ role, members });
  }
  if (principals > MAX_PRINCIPALS) {
    // Recorded prefix "The number of members in the policy"; the rest of the sentence is Google's as remembered.
    throw invalidArgument(`The number of members in the policy (${principals.toLocaleString('en-US')}) is larger than the maximum allowed size ${MAX_PRINCIPALS.toLocaleString('en-US')}.`, 'policy.bindings');
  }
  if (groups > MAX_GROUPS) throw invalidArgument(`The number of Google groups in the policy (${groups}) is larger than the maximum allowed size ${MAX_GROUPS}.`, 'policy.bindings');
  return out;
}

/**
 * The one member check of setIamPolicy, also run wherever else a binding is written (the admin API behind
 * `authplane iam add`): Google's form rules (iam/members.ts), then the accounts it can look up. Throws
 * INVALID_ARGUMENT naming `field`.
 */
export async function checkMember(platform: Platform, m: string, field: string): Promise<void> {
  const form = memberFormRefusal(m);
  if (form?.noType) throw apiRefusal('INVALID_ARGUMENT', { message: MEMBER_FORM, field, violations: [{ field: 'policy.bindings.member', description: MEMBER_FORM_DETAIL }] satisfies FieldViolation[] });
  if (form) throw invalidArgument(form.message, field);
  const e = emailMember(m);
  if (!e) return;
  const { type, email } = e;
  const sa = email.endsWith('.gserviceaccount.com') ? await platform.identity.findServiceAccount(email) : null;
  if (type === 'serviceAccount' && email.endsWith('.iam.gserviceaccount.com') && !sa && !SERVICE_AGENT.test(email)) throw invalidArgument(`Service account ${email} does not exist.`, field);
  // Recorded: 'Account john.doe@example.com is of type "user". Please set the type prefix to be "user:".'
  if (type !== 'serviceAccount' && sa) throw invalidArgument(`Account ${email} is of type "serviceAccount". Please set the type prefix to be "serviceAccount:".`, field);
}

/** GetIamPolicyRequest.options.requested_policy_version: 0, 1 or 3. */
export function checkRequestedVersion(request: Obj): void {
  const v = (request.options as { requestedPolicyVersion?: number } | undefined)?.requestedPolicyVersion ?? 0;
  if (!POLICY_VERSIONS.has(v)) throw invalidArgument(`Invalid requested policy version ${v}: valid versions are 0, 1 and 3.`, 'options.requested_policy_version');
}

/** An authplane policy as google.iam.v1.Policy in the shared object shape (etag as bytes). */
export function policyMessage(p: IamPolicy): Obj {
  return { version: p.version, etag: Buffer.from(p.etag, 'base64'), bindings: p.bindings };
}

/**
 * setIamPolicy for any resource: the SetIamPolicyRequest (shared object shape, from REST or gRPC) validated
 * by `policyChange`, applied with its etag check, and the new policy as google.iam.v1.Policy.
 */
export async function setPolicyMessage(platform: Platform, resource: string, request: Obj): Promise<Obj> {
  const change = await policyChange(platform, request, platform.iam.getPolicy(resource));
  const result = await platform.iam.setPolicy(resource, change.bindings, change.etag);
  if ('conflict' in result) throw policyEtagConflict(resource, String(change.etag));
  return policyMessage(result.policy);
}

const policyBody = (p: Obj) => encodeJson(iamType('Policy'), p, false);

/**
 * Registers `BASE:getIamPolicy`, `BASE:setIamPolicy`, `BASE:testIamPermissions` for one resource family.
 * `getBody: 'none'`: the POST getIamPolicy has no body and binds the query (IAM v1 service accounts:
 * `post: "/v1/{resource=projects/*\/serviceAccounts/*}:getIamPolicy"` without `body`, google/iam/admin/v1/iam.proto).
 */
export function iamPolicyRoutes(api: RouteRegistrar, platform: Platform, base: string, spec: PolicyResourceSpec, opts: { getMethod?: 'GET' | 'POST' | 'BOTH'; getBody?: '*' | 'none' } = {}): void {
  // The request message from the body (POST, `body: "*"`) or the query (GET, or a POST without body); `resource` comes from the path.
  const read = async (req: ApiRequest, name: string, resource: string, queryOnly = req.method === 'GET'): Promise<Obj> => {
    const type = iamType(name);
    if (queryOnly && req.method !== 'GET') {
      // No body in the HTTP rule: what a body holds has nowhere to go (authplane refuses it rather than drop it).
      const body = (await req.text()).trim();
      const keys = body === '' ? [] : Object.keys(await req.json<Obj>());
      if (keys.length) throw invalidFields(keys.map((k) => ({ field: k, description: `Invalid JSON payload received. Unknown name "${k}": Cannot find field. This method takes its fields as query parameters (${k === 'options' ? 'options.requestedPolicyVersion=3' : k}).` })));
    }
    const json = queryOnly ? queryToJson(type, req.query) : { ...queryToJson(type, req.query, false), ...(await req.json<Obj>()) };
    return decodeJson(type, { ...json, resource });
  };

  const get = async (req: ApiRequest) => {
    const resource = await spec.resolve(req);
    checkRequestedVersion(await read(req, 'GetIamPolicyRequest', resource, req.method === 'GET' || opts.getBody === 'none'));
    return { body: policyBody(policyMessage(platform.iam.getPolicy(resource))) };
  };
  const getAccess = { permission: spec.getPermission, on: spec.resolve, read: true };
  const getMethod = opts.getMethod ?? 'BOTH';
  if (getMethod !== 'POST') api.get(`${base}:getIamPolicy`, getAccess, get);
  if (getMethod !== 'GET') api.post(`${base}:getIamPolicy`, getAccess, get);

  api.post(`${base}:setIamPolicy`, { permission: spec.setPermission, on: spec.resolve }, async (req) => {
    const resource = await spec.resolve(req);
    return { body: policyBody(await setPolicyMessage(platform, resource, await read(req, 'SetIamPolicyRequest', resource))) };
  });

  api.post(`${base}:testIamPermissions`, { authenticated: 'testIamPermissions answers which of the listed permissions the caller itself holds', read: true }, async (req) => {
    const resource = await spec.resolve(req);
    const request = await read(req, 'TestIamPermissionsRequest', resource);
    const asked = (request.permissions as string[] | undefined) ?? [];
    const held: string[] = [];
    for (const [i, p] of asked.entries()) {
      if (!spec.permissionPrefixes.some((x) => p.startsWith(x))) throw invalidArgument(`Permission ${p} is not valid for this resource.`, `permissions[${i}]`);
      if (platform.iam.check(req.caller, p, resource).allowed) held.push(p);
    }
    return { body: held.length ? { permissions: held } : {} };
  });
}

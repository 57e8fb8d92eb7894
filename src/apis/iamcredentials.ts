// IAM Credentials API v1 at Google's paths:
//   POST /v1/projects/-/serviceAccounts/{EMAIL_OR_ID}:generateAccessToken | generateIdToken | signJwt | signBlob
// with delegation chains and Google's permission checks and error shapes (REFERENCE §2).

import { rfc3339Seconds } from '../lib/time.js';
import type { ServiceAccountRecord } from '../store/store.js';
import { serviceAccountResource } from '../iam/resources.js';
import type { Platform } from '../platform.js';
import { apiRefusal, failedPrecondition, invalidArgument, permissionDenied } from './errors.js';
import type { ApiRequest, Router } from './router.js';
import { jsonDepth, MAX_JSON_DEPTH } from '../lib/json-depth.js';
import { isOAuthScope } from '../identity/scopes.js';
import type { JwtClaims } from '../lib/jwt.js';
import { decodeJson, descriptor, toMs, type Obj, type ProtoTime } from './proto.js';
import { queryToJson, readScalarField } from './proto-json.js';

/** generateAccessToken's lifetime: "By default, the maximum allowed value is 1 hour" (GenerateAccessTokenRequest.lifetime). */
const MAX_LIFETIME_S = 3600;
/** signJwt: a supplied `exp` "must be no more than 12 hours in the future" (REFERENCE §12). */
const MAX_JWT_EXP_AHEAD_S = 12 * 3600;
/**
 * signJwt without `exp`: "this claim is added automatically, with a timestamp that is 1 hour in the future"
 * (google/iam/admin/v1/iam.proto SignJwtRequest.payload; REFERENCE §12 JW1).
 */
const DEFAULT_JWT_EXP_AHEAD_S = 3600;

const credentialsType = (name: string) => descriptor('google-iam-credentials-v1.json').lookupType(`google.iam.credentials.v1.${name}`);

/**
 * A method's request read through its descriptor (apis/proto-json.ts): the body, `name` from the path.
 * `extra` names fields Google's live service accepts beyond the published proto; they are read as their
 * type and returned apart.
 */
async function readRequest(req: ApiRequest, message: string, extra: Record<string, 'bool'> = {}): Promise<{ request: Obj; extra: Obj }> {
  const body = { ...queryToJson(credentialsType(message), req.query, false), ...(await req.json<Obj>()) };
  const extras: Obj = {};
  for (const [key, kind] of Object.entries(extra)) {
    if (key in body) extras[key] = readScalarField(kind, body[key], key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`));
    delete body[key];
  }
  const name = `projects/${req.params.project}/serviceAccounts/${req.params.account}`;
  return { request: decodeJson(credentialsType(message), { ...body, name }), extra: extras };
}

const DELEGATE = /^projects\/-\/serviceAccounts\/(.+)$/;
const BARE_DELEGATE = /^([^/\s]+@[^/\s]+|\d{21})$/;

const DOMAIN = 'iam.googleapis.com';

/** Resolves a delegation chain and checks each hop; returns the target account. */
async function authorize(platform: Platform, req: ApiRequest, permission: string, delegatesRaw: unknown): Promise<ServiceAccountRecord> {
  // Decoded through the descriptor: a list of strings (absent or null: none).
  if (req.params.project !== '-') {
    throw invalidArgument(`The resource name is invalid: projects/${req.params.project}/serviceAccounts/${req.params.account}. Use the wildcard character '-' in place of the project ID: projects/-/serviceAccounts/${req.params.account}.`, 'name');
  }
  const caller = req.caller;
  const delegates = ((delegatesRaw as string[] | undefined) ?? []).map((d, i) => {
    // gcloud's --impersonate-service-account=A,B sends the chain as bare emails (notes: gcloud-wire.md §3).
    const m = DELEGATE.exec(d) ?? BARE_DELEGATE.exec(d);
    if (!m) throw invalidArgument(`Invalid delegate name: ${String(d)}. Use projects/-/serviceAccounts/EMAIL.`, `delegates[${i}]`);
    return m[1]!;
  });
  const chain = [...delegates, req.params.account!];
  let principal = caller;
  for (let i = 0; i < chain.length; i++) {
    const last = i === chain.length - 1;
    const needed = last ? permission : 'iam.serviceAccounts.implicitDelegation';
    const sa = await platform.identity.findServiceAccount(chain[i]!);
    const resource = serviceAccountResource(sa?.email ?? chain[i]!);
    const decision = platform.iam.check(principal, needed, resource);
    const evidence = { principal, member: principal, serviceAccount: sa?.email ?? chain[i]!, chain: [caller, ...chain], hop: i };
    if (!sa) {
      // Google admits the account is missing only to callers who could otherwise use it; others get 403.
      if (decision.allowed) throw apiRefusal('SERVICE_ACCOUNT_UNKNOWN', evidence);
      throw permissionDenied(needed, DOMAIN, 'SERVICE_ACCOUNT_UNKNOWN', evidence);
    }
    if (!decision.allowed) {
      const p = decision.propagating;
      throw permissionDenied(
        needed,
        DOMAIN,
        p ? 'IAM_NOT_YET_PROPAGATED' : 'IMPERSONATION_DENIED',
        p
          ? { ...evidence, member: p.grant.member, role: p.grant.role, resource: p.grant.resource, grantedAt: new Date(p.changedAt).toISOString(), visibleAt: new Date(p.visibleAt).toISOString(), frontEnd: decision.frontEnd }
          : evidence,
      );
    }
    if (sa.disabled) throw failedPrecondition(`Service account ${sa.email} is disabled.`, `Enable the account (gcloud iam service-accounts enable ${sa.email}).`);
    if (last) return sa;
    principal = `serviceAccount:${sa.email}`;
  }
  throw new Error('unreachable');
}

export function iamCredentialsRoutes(router: Router, platform: Platform): void {
  const base = '/v1/projects/{project}/serviceAccounts/{account}';
  const { identity } = platform;
  const api = router.for('iamcredentials.googleapis.com');
  // The permission is checked on the last account of the delegation chain, which only the body names.
  const on = (permission: string) => ({ permission, checkedBy: 'handler' }) as const;

  api.post(`${base}:generateAccessToken`, on('iam.serviceAccounts.getAccessToken'), async (req) => {
    const { request } = await readRequest(req, 'GenerateAccessTokenRequest');
    const sa = await authorize(platform, req, 'iam.serviceAccounts.getAccessToken', request.delegates);
    const scope = (request.scope as string[] | undefined) ?? [];
    if (scope.length === 0) throw invalidArgument('Scope required.', 'scope');
    scope.forEach((s, i) => {
      if (!isOAuthScope(s)) throw apiRefusal('SCOPE_INVALID', { message: 'Request contains an invalid argument.', field: `scope[${i}]`, scope: s });
    });
    const lifetime = lifetimeSeconds(request.lifetime as ProtoTime | undefined);
    const { token, record } = await identity.mintAccessToken(`serviceAccount:${sa.email}`, scope, lifetime);
    return { body: { accessToken: token, expireTime: rfc3339Seconds(record.expiresAt) } };
  });

  api.post(`${base}:generateIdToken`, on('iam.serviceAccounts.getOpenIdToken'), async (req) => {
    // google-auth-library's Impersonated sends `useEmailAzp`; Google's live service takes it though the published proto has no such field.
    const { request, extra } = await readRequest(req, 'GenerateIdTokenRequest', { useEmailAzp: 'bool' });
    const sa = await authorize(platform, req, 'iam.serviceAccounts.getOpenIdToken', request.delegates);
    const audience = request.audience as string | undefined;
    if (!audience) throw invalidArgument('Audience required.', 'audience');
    const token = await identity.mintIdToken(sa, { audience, includeEmail: request.includeEmail === true, useEmailAzp: extra.useEmailAzp === true });
    return { body: { token } };
  });

  api.post(`${base}:signJwt`, on('iam.serviceAccounts.signJwt'), async (req) => {
    const { request } = await readRequest(req, 'SignJwtRequest');
    const sa = await authorize(platform, req, 'iam.serviceAccounts.signJwt', request.delegates);
    const claims = jwtClaims(request.payload as string | undefined, Math.floor(platform.clock() / 1000));
    return { body: await identity.signJwtFor(sa, claims) };
  });

  api.post(`${base}:signBlob`, on('iam.serviceAccounts.signBlob'), async (req) => {
    const { request } = await readRequest(req, 'SignBlobRequest');
    const sa = await authorize(platform, req, 'iam.serviceAccounts.signBlob', request.delegates);
    const payload = request.payload as Buffer | undefined;
    if (!payload || payload.length === 0) throw invalidArgument('Payload required.', 'payload');
    return { body: await identity.signBlobFor(sa, payload) };
  });
}

/** generateAccessToken's lifetime in whole seconds: 1 s to 1 h, default 1 h. */
function lifetimeSeconds(lifetime: ProtoTime | undefined): number {
  if (lifetime === undefined) return MAX_LIFETIME_S;
  const s = Math.floor((toMs(lifetime) ?? 0) / 1000);
  if (s < 1 || s > MAX_LIFETIME_S) {
    throw invalidArgument(`The lifetime of the requested token is invalid: ${s}s. Lifetime must be between 1 second and ${MAX_LIFETIME_S} seconds (longer lifetimes need the constraints/iam.allowServiceAccountCredentialLifetimeExtension organization policy).`, 'lifetime');
  }
  return s;
}

/**
 * signJwt's payload: a JSON object (a string inside the request, so the router's depth limit has not seen
 * it: checked here before parsing), whose `exp`, when given, is an integer between now and 12 hours ahead;
 * when absent, Google adds it as now + 1 h (`now` is authplane's clock, standing in for Google's).
 */
function jwtClaims(payload: string | undefined, now: number): JwtClaims {
  if (!payload) throw invalidArgument('Payload required.', 'payload');
  if (jsonDepth(payload) > MAX_JSON_DEPTH) throw invalidArgument(`Payload is not a valid JSON object: it is nested more than ${MAX_JSON_DEPTH} levels deep.`, 'payload');
  let claims: unknown;
  try {
    claims = JSON.parse(payload);
  } catch {
    claims = undefined;
  }
  if (!claims || typeof claims !== 'object' || Array.isArray(claims)) throw invalidArgument('Payload is not a valid JSON object.', 'payload');
  const exp = (claims as JwtClaims).exp;
  if (exp !== undefined && (typeof exp !== 'number' || !Number.isInteger(exp) || exp < now || exp > now + MAX_JWT_EXP_AHEAD_S)) {
    throw invalidArgument('Payload exp must be an integer, not in the past and at most 12 hours in the future.', 'payload');
  }
  if (exp === undefined) return { ...(claims as JwtClaims), exp: now + DEFAULT_JWT_EXP_AHEAD_S };
  return claims as JwtClaims;
}

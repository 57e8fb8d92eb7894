// IAM Credentials API v1 at Google's paths:
//   POST /v1/projects/-/serviceAccounts/{EMAIL_OR_ID}:generateAccessToken | generateIdToken | signJwt | signBlob
// with delegation chains and Google's permission checks and error shapes (REFERENCE §2).

import { rfc3339Seconds } from '../lib/time.js';
import type { ServiceAccountRecord } from '../store/store.js';
import { serviceAccountResource } from '../iam/resources.js';
import type { Platform } from '../platform.js';
import { apiRefusal, failedPrecondition, invalidArgument, permissionDenied } from './errors.js';
import type { ApiRequest, Router } from './router.js';

const MAX_LIFETIME_S = 3600;

/** Parses "3600s" / "3600.5s". */
function parseLifetime(v: unknown): number {
  if (v === undefined) return 3600;
  const m = typeof v === 'string' ? /^(\d+(?:\.\d+)?)s$/.exec(v) : null;
  if (!m) throw invalidArgument(`Invalid value at 'lifetime' (type.googleapis.com/google.protobuf.Duration), Field 'lifetime', Illegal duration format; duration must end with 's'`, 'lifetime');
  const s = Math.floor(Number(m[1]));
  if (s < 1 || s > MAX_LIFETIME_S) {
    throw invalidArgument(`The lifetime of the requested token is invalid: ${s}s. Lifetime must be between 1 second and ${MAX_LIFETIME_S} seconds (longer lifetimes need the constraints/iam.allowServiceAccountCredentialLifetimeExtension organization policy).`, 'lifetime');
  }
  return s;
}

const DELEGATE = /^projects\/-\/serviceAccounts\/(.+)$/;
const BARE_DELEGATE = /^([^/\s]+@[^/\s]+|\d{21})$/;

const DOMAIN = 'iam.googleapis.com';

/** Resolves a delegation chain and checks each hop; returns the target account. */
async function authorize(platform: Platform, req: ApiRequest, permission: string, delegatesRaw: unknown): Promise<ServiceAccountRecord> {
  if (req.params.project !== '-') {
    throw invalidArgument(`The resource name is invalid: projects/${req.params.project}/serviceAccounts/${req.params.account}. Use the wildcard character '-' in place of the project ID: projects/-/serviceAccounts/${req.params.account}.`, 'name');
  }
  const caller = req.caller;
  // proto3 JSON: null is the default (gcloud and Python google-auth send "delegates": null).
  if (delegatesRaw !== undefined && delegatesRaw !== null && !Array.isArray(delegatesRaw)) throw invalidArgument('delegates must be a list.', 'delegates');
  const delegates = ((delegatesRaw as unknown[] | null | undefined) ?? []).map((d, i) => {
    // gcloud's --impersonate-service-account=A,B sends the chain as bare emails (notes: gcloud-wire.md §3).
    const m = typeof d === 'string' ? DELEGATE.exec(d) ?? BARE_DELEGATE.exec(d) : null;
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
    const body = await req.json<{ delegates?: unknown; scope?: unknown; lifetime?: unknown }>();
    const sa = await authorize(platform, req, 'iam.serviceAccounts.getAccessToken', body.delegates);
    if (!Array.isArray(body.scope) || body.scope.length === 0 || body.scope.some((s) => typeof s !== 'string')) {
      throw invalidArgument('Scope required.', 'scope');
    }
    const lifetime = parseLifetime(body.lifetime);
    const { token, record } = await identity.mintAccessToken(`serviceAccount:${sa.email}`, body.scope as string[], lifetime);
    return { body: { accessToken: token, expireTime: rfc3339Seconds(record.expiresAt) } };
  });

  api.post(`${base}:generateIdToken`, on('iam.serviceAccounts.getOpenIdToken'), async (req) => {
    const body = await req.json<{ delegates?: unknown; audience?: unknown; includeEmail?: unknown; useEmailAzp?: unknown }>();
    const sa = await authorize(platform, req, 'iam.serviceAccounts.getOpenIdToken', body.delegates);
    if (typeof body.audience !== 'string' || !body.audience) throw invalidArgument('Audience required.', 'audience');
    const token = await identity.mintIdToken(sa, { audience: body.audience, includeEmail: body.includeEmail === true, useEmailAzp: body.useEmailAzp === true });
    return { body: { token } };
  });

  api.post(`${base}:signJwt`, on('iam.serviceAccounts.signJwt'), async (req) => {
    const body = await req.json<{ delegates?: unknown; payload?: unknown }>();
    const sa = await authorize(platform, req, 'iam.serviceAccounts.signJwt', body.delegates);
    if (typeof body.payload !== 'string') throw invalidArgument('Payload required.', 'payload');
    let claims: Record<string, unknown>;
    try {
      claims = JSON.parse(body.payload) as Record<string, unknown>;
      if (!claims || typeof claims !== 'object' || Array.isArray(claims)) throw new Error('not an object');
    } catch {
      throw invalidArgument('Payload is not a valid JSON object.', 'payload');
    }
    const exp = claims.exp;
    const now = Math.floor(platform.clock() / 1000);
    if (exp !== undefined && (typeof exp !== 'number' || exp > now + 12 * 3600)) {
      throw invalidArgument('Payload exp must be at most 12 hours in the future.', 'payload');
    }
    return { body: await identity.signJwtFor(sa, claims) };
  });

  api.post(`${base}:signBlob`, on('iam.serviceAccounts.signBlob'), async (req) => {
    const body = await req.json<{ delegates?: unknown; payload?: unknown }>();
    const sa = await authorize(platform, req, 'iam.serviceAccounts.signBlob', body.delegates);
    if (typeof body.payload !== 'string') throw invalidArgument('Payload required.', 'payload');
    return { body: await identity.signBlobFor(sa, Buffer.from(body.payload, 'base64')) };
  });
}

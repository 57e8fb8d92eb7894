// `authplane explain --token T --url U`: why Cloud Run would refuse (or accept) this token for this URL,
// with the same code, explanation and remedy as the live refusal. It runs the shared verifier in this
// process against the running authplane's keys, service URLs and IAM (admin API); when authplane is not
// reachable it still reports what can be known offline (structure, algorithm, issuer, time, audience).

import { parseArgs } from 'node:util';
import { audienceForUrl } from '../client/audience.js';
import { decodeJwt } from '../lib/jwt.js';
import { INVOKE_PERMISSION, invokerDenial, memberForEmail } from '../run/invoker.js';
import type { Denial } from '../verify/denial.js';
import { staticKeySource } from '../verify/keys.js';
import { AUTHPLANE_JWKS_PATH, RemoteKeySource } from '../verify/remote.js';
import { GOOGLE_ISSUERS, Verifier, type VerifyResult } from '../verify/verifier.js';
import type { IamDecision } from '../iam/iam.js';
import { apiUrl, callApi } from './api-client.js';
import { serviceResource } from '../iam/resources.js';

const HELP = `usage: authplane explain --token TOKEN --url URL [--offline] [--json]

Explains how Cloud Run's front door would treat TOKEN sent to URL: the refusal code Google's answer
would carry, what it means, the evidence and the fix — or who the call would run as.

  --token TOKEN   the ID token (a leading "Bearer " is ignored; "-" reads it from stdin)
  --url URL       the URL the token is sent to (run.app, cloudfunctions.net or the local front door)
  --offline       do not ask the running authplane (signature and IAM are then not checked)
  --json          print the finding as JSON`;

export interface ServiceState {
  name: string;
  urls: { deterministic?: string; hashed: string; functions?: string; local?: string };
  audiences: string[];
  ingress: string;
  invokerIamCheck: boolean;
  iap: boolean;
  serviceAccount: string;
}

export interface Finding {
  url: string;
  service?: string;
  audiences: string[];
  mode: 'live' | 'offline';
  accepted: boolean;
  principal?: string;
  denial?: Denial;
  notes: string[];
  header?: Record<string, unknown>;
  claims?: Record<string, unknown>;
}

export async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { token: { type: 'string' }, url: { type: 'string' }, offline: { type: 'boolean' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help || !values.token || !values.url) {
    console.log(HELP);
    return values.help ? 0 : 2;
  }
  let token = values.token === '-' ? (await readStdin()).trim() : values.token;
  token = token.replace(/^bearer\s+/i, '');
  try {
    // Google's audience rules (client/audience.ts) take http(s) URLs only.
    if (!/^https?:$/.test(new URL(values.url).protocol)) throw new TypeError('not http(s)');
  } catch {
    console.error(`authplane explain: --url ${values.url} is not a URL (write it with its scheme, e.g. https://update-123456789012.us-central1.run.app/)`);
    return 2;
  }
  const finding = await explain(token, values.url, { offline: values.offline ?? false });
  if (values.json) console.log(JSON.stringify(finding, null, 2));
  else printFinding(finding);
  return finding.accepted ? 0 : 1;
}

/** Finds the configured service a URL points at. */
export function serviceForUrl(services: ServiceState[], url: string): ServiceState | undefined {
  const u = new URL(url);
  const host = u.host;
  return services.find((s) =>
    [s.urls.deterministic, s.urls.hashed, s.urls.functions, s.urls.local].some((x) => {
      if (!x) return false;
      const xu = new URL(x);
      return xu.host === host || (xu.hostname === '127.0.0.1' && u.hostname === 'localhost' && xu.port === u.port);
    }),
  );
}

export async function explain(token: string, url: string, opts: { offline: boolean }): Promise<Finding> {
  const decoded = decodeJwt(token);
  const base = { url, notes: [] as string[], ...(decoded ? { header: decoded.header, claims: decoded.claims } : {}) };
  let services: ServiceState[] | undefined;
  if (!opts.offline) {
    try {
      services = (await callApi<{ services: ServiceState[] }>('GET', '/admin/v1/state')).services;
    } catch (e) {
      base.notes.push(`authplane is not reachable at ${apiUrl()} (${(e as Error).message.split(':')[0]}): offline findings only; the signature and IAM were not checked.`);
    }
  }
  if (services === undefined) return offline(token, url, base);

  const svc = serviceForUrl(services, url);
  const audiences = svc?.audiences ?? [audienceForUrl(url)];
  if (!svc) base.notes.push(`${url} is not one of authplane's services; checked against the audience ${audiences[0]} only.`);
  if (svc?.iap) base.notes.push(`IAP guards ${svc.name}: IAP checks its own audience (the OAuth client ID) first; this is Cloud Run's check.`);
  if (svc && svc.ingress !== 'all') base.notes.push(`${svc.name}'s ingress is ${svc.ingress}: a request from outside the project (curl from your machine) gets 404 INGRESS_BLOCKED before any token check.`);
  const keys = new RemoteKeySource({ url: apiUrl() + AUTHPLANE_JWKS_PATH });
  const verifier = new Verifier({ keys, surface: 'run', cacheSize: 0 });
  const audienceOwner = (aud: string) => {
    const owner = services!.find((s) => s !== svc && s.audiences.some((a) => a.replace(/\/$/, '') === aud.replace(/\/$/, '')));
    return owner ? `service ${owner.name}` : undefined;
  };
  const path = new URL(url).pathname;
  const result: VerifyResult = await verifier.verifyAsync(token, { audiences, surface: 'run', audienceOwner });
  const common = { ...base, mode: 'live' as const, audiences, ...(svc ? { service: svc.name } : {}) };
  if (!result.ok) return { ...common, accepted: false, denial: result.denial };
  if (svc && !svc.invokerIamCheck) return { ...common, accepted: true, principal: result.principal, notes: [...common.notes, `${svc.name} is public (invokerIamCheck: false).`] };
  if (!svc) return { ...common, accepted: true, principal: result.principal };

  let member: string | null = result.email ? memberForEmail(result.email) : null;
  if (!member && typeof result.claims.sub === 'string') {
    const sa = await callApi<{ email: string }>('GET', `/v1/projects/-/serviceAccounts/${encodeURIComponent(result.claims.sub)}`).catch(() => undefined);
    if (sa) member = `serviceAccount:${sa.email}`;
  }
  const decision = await callApi<IamDecision>('POST', '/admin/v1/iam:check', { member: member ?? 'allUsers', permission: INVOKE_PERMISSION, resource: serviceResource(svc.name) });
  if (decision.allowed) return { ...common, accepted: true, principal: member ?? result.principal, notes: [...common.notes, `allowed by ${decision.grantedBy?.role} on ${decision.grantedBy?.resource} (front end ${decision.frontEnd})`] };
  return { ...common, accepted: false, principal: member ?? result.principal, denial: invokerDenial(decision, member ?? `the unknown principal ${result.principal}`, path) };
}

/** What can be said without authplane: the same checks, minus key, signature and IAM. */
function offline(token: string, url: string, base: { url: string; notes: string[]; header?: Record<string, unknown>; claims?: Record<string, unknown> }): Finding {
  const audiences = [audienceForUrl(url)];
  const common = { ...base, mode: 'offline' as const, audiences };
  // The verifier's own checks, all but the key and the signature (there are no keys offline).
  const r = new Verifier({ keys: staticKeySource(new Map(), 'no keys (offline)'), surface: 'run', cacheSize: 0 }).diagnoseUnsigned(token, { audiences, surface: 'run' });
  if (!r.ok) return { ...common, accepted: false, denial: r.denial };
  const iss = String(r.claims.iss);
  common.notes.push(`structure, algorithm (${String(r.header.alg)}), issuer (${GOOGLE_ISSUERS.includes(iss) ? 'Google' : iss}), time and audience look right; the signature and run.routes.invoke were not checked.`);
  return { ...common, accepted: true };
}

function printFinding(f: Finding): void {
  const out: string[] = [];
  out.push(`url        ${f.url}${f.service ? `  (service ${f.service})` : ''}`);
  out.push(`audiences  ${f.audiences.join(', ')}`);
  if (f.header) out.push(`header     ${JSON.stringify(f.header)}`);
  if (f.claims) out.push(`claims     ${JSON.stringify(f.claims)}`);
  if (f.accepted) out.push(`result     ACCEPTED${f.principal ? ` as ${f.principal}` : ''}${f.mode === 'offline' ? ' (offline: as far as can be told)' : ''}`);
  if (f.denial) out.push(...denialLines(f.denial));
  for (const n of f.notes) out.push(`note       ${n}`);
  console.log(out.join('\n'));
}

/** The refusal as printed lines (a Denial, or the same fields read back from the request log). */
export function denialLines(d: Pick<Denial, 'code' | 'status' | 'message' | 'explanation' | 'remedy' | 'evidence'>): string[] {
  return [
    `result     REFUSED ${d.status} ${d.code}`,
    `google     ${d.message}`,
    `why        ${d.explanation}`,
    `fix        ${d.remedy}`,
    `evidence   ${JSON.stringify(d.evidence)}`,
  ];
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

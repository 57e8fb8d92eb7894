// `explain`: how a service's front door would treat a token sent to a URL — the same admission decision
// the front door makes (decision.ts), on a request built from the token and the URL, so the two cannot
// disagree. Runs in a running authplane (POST /admin/v1/admission:explain; the CLI and the dashboard's
// token inspector call it) or in the CLI's own process from the config (`explain --offline`, where no keys
// are at hand and signatures are not checked).

import { audienceForUrl } from '../client/audience.js';
import { GCLOUD_CLIENT_ID } from '../identity/identity.js';
import { decodeJwt } from '../lib/jwt.js';
import type { ServiceDirectory } from '../services/directory.js';
import type { Denial } from '../verify/denial.js';
import { admit, type AdmissionContext } from './decision.js';
import type { AdmissionRequest } from './request.js';

/** What `explain` says of a token whose aud is gcloud's OAuth client ID (REFERENCE §14 GC3). */
export const DEVELOPER_TOKEN_NOTE =
  `aud is gcloud's OAuth client ID (${GCLOUD_CLIENT_ID}): a developer token from \`gcloud auth print-identity-token\`. Cloud Run accepts it from principals that hold run.routes.invoke — the developer-testing path, not for service-to-service calls: such a token is not bound to one service and can be replayed against any service the principal may invoke. Services calling services mint an ID token with the target's URL as audience (the metadata server's identity endpoint, generateIdToken).`;

/** The headers a token can be sent in. */
export const EXPLAIN_HEADERS = ['authorization', 'x-serverless-authorization', 'proxy-authorization'] as const;
export type ExplainHeader = (typeof EXPLAIN_HEADERS)[number];

export interface ExplainInput {
  /** The token as it would be sent (a leading "Bearer " is allowed); '' = no credential. */
  token: string;
  /** The URL it is sent to: a run.app, cloudfunctions.net, custom-domain or local front-door URL. */
  url: string;
  /** The header it travels in. Default authorization. */
  header?: ExplainHeader;
  /** Default GET. */
  method?: string;
  /** As same-project internal traffic (Cloud Tasks, Scheduler, Pub/Sub, a VPC caller) rather than from outside. Default false. */
  internal?: boolean;
}

export interface Finding {
  url: string;
  /** The service the URL names, when it names one. */
  service?: string;
  /** The audiences that service accepts. */
  audiences: string[];
  mode: 'live' | 'offline';
  accepted: boolean;
  /** What the front door would answer: its status for a refusal; for an admitted request, 'proxied'. */
  status: number | 'proxied';
  principal?: string;
  denial?: Denial;
  notes: string[];
  /** The token's decoded header and claims (never its signature). */
  header?: Record<string, unknown>;
  claims?: Record<string, unknown>;
}

export interface ExplainDeps {
  directory: ServiceDirectory;
  admission: AdmissionContext;
  /** The internal-traffic marker's value (the platform's internal secret), for `internal: true`. */
  internalSecret: string;
}

/** Explains `input` with the admission decision in `deps`. */
export async function explainRequest(input: ExplainInput, deps: ExplainDeps): Promise<Finding> {
  const token = input.token.replace(/^bearer\s+/i, '').trim();
  const u = new URL(input.url);
  const decoded = token === '' ? undefined : decodeJwt(token);
  const mode = deps.admission.tokens.signaturesChecked ? ('live' as const) : ('offline' as const);
  const base = { url: input.url, mode, notes: [] as string[], ...(decoded ? { header: decoded.header, claims: decoded.claims } : {}) };
  if (mode === 'offline') base.notes.push('offline: the signature was not checked (no keys at hand), and IAM is the config\'s bindings only.');

  const service = deps.directory.lookup(u);
  if (service === undefined) {
    // Not one of authplane's services: Google's audience rules for the URL, and nothing else.
    const audiences = [audienceForUrl(u)];
    base.notes.push(`${input.url} is not one of authplane's services; checked as an ID token for the audience ${audiences[0]} only (no ingress, IAP or IAM).`);
    const r = await deps.admission.tokens.idToken(token, { audiences, surface: 'run' });
    return r.ok ? { ...base, audiences, accepted: true, status: 'proxied', principal: r.principal } : { ...base, audiences, accepted: false, status: r.denial.status, denial: r.denial };
  }

  const header = input.header ?? 'authorization';
  const rawHeaders = ['Host', u.host];
  if (token !== '') rawHeaders.push(header, `Bearer ${token}`);
  if (input.internal) rawHeaders.push(deps.admission.internalHeader, deps.internalSecret);
  // A curl from this machine: loopback, outside the project's VPC unless vpc.cidrs says otherwise.
  const request: AdmissionRequest = { method: input.method ?? 'GET', url: `${u.pathname}${u.search}`, rawHeaders, source: '127.0.0.1', secure: u.protocol === 'https:' };
  const common = { ...base, service: service.config.name, audiences: service.audiences };
  if (service.config.iap.enabled) common.notes.push(`IAP guards ${service.config.name}: IAP checks the caller first (audience ${service.config.iap.oauthClientId}, an email claim, roles/iap.httpsResourceAccessor), then calls the service as its service agent.`);
  if (service.config.ingress !== 'all') {
    common.notes.push(`${service.config.name}'s ingress is ${service.config.ingress}: ${input.internal ? 'checked as same-project internal traffic (--internal)' : 'checked as a request from outside (a curl from this machine); add --internal for Cloud Tasks, Scheduler or Pub/Sub traffic'}.`);
  }
  if (!service.config.invokerIamCheck) common.notes.push(`${service.config.name} is public (invokerIamCheck: false): no token is needed.`);
  if (decoded?.claims.aud === GCLOUD_CLIENT_ID) common.notes.push(DEVELOPER_TOKEN_NOTE);
  const a = await admit(service, request, deps.admission);
  if (a.ok) {
    if (a.signatureUnchecked) common.notes.push('accepted as far as can be told offline.');
    return { ...common, accepted: true, status: 'proxied', ...(a.principal !== undefined ? { principal: a.principal } : {}) };
  }
  const status = a.response?.status ?? a.denial.status;
  return { ...common, accepted: false, status, denial: a.denial, ...(a.principal !== undefined ? { principal: a.principal } : {}) };
}

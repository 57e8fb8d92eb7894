// The admission decision: may this request reach this Cloud Run service, and as whom? One function, in
// Google's order (REFERENCE §1, §5):
//
//   ingress ─► gates (IAP) ─► which credential ─► the one verifier ─► run.routes.invoke on services/NAME
//
// It reads only the request's parts (request.ts) and returns admitted-with-principal or a Denial; the front
// door (plain and upgrade requests), `explain`, the dashboard's token inspector and in-process dispatch are
// adapters around it, so they cannot disagree. Synchronous on the hot path (a verified token already seen,
// no gate, a known caller); a Promise only when a gate applies, a caller's `sub` is new or keys reload.

import { pathOf, scanHeaders, type AdmissionRequest } from './request.js';
import type { HeaderEdits } from './edits.js';
import type { FrontDoorGate, GateResponse } from './gate.js';
import type { IngressDecision, IngressPolicy } from './ingress.js';
import { INVOKE_PERMISSION, invokerDenial, type MemberResolver } from './invoker.js';
import type { TokenChecks } from './tokens.js';
import type { EgressAttribution, EgressCaller, LoopbackConnection } from './egress.js';
import type { Iam } from '../iam/iam.js';
import { serviceResource } from '../iam/resources.js';
import { GCLOUD_CLIENT_ID } from '../identity/identity.js';
import type { TokenSummary } from '../observe/request-log.js';
import { summarizeToken } from '../observe/token-summary.js';
import type { ServiceDirectory, ServiceEntry } from '../services/directory.js';
import { pickCredential } from '../verify/credential.js';
import { deny, type Denial } from '../verify/denial.js';
import type { VerifiedToken, VerifyCall, VerifyResult } from '../verify/verifier.js';

export interface AdmissionContext {
  readonly ingress: IngressPolicy;
  /** The header that marks authplane's own same-project traffic (its value is the internal secret). */
  readonly internalHeader: string;
  /** Gates products registered (IAP), in order. */
  readonly gates: readonly FrontDoorGate[];
  readonly tokens: TokenChecks;
  readonly members: MemberResolver;
  readonly iam: Pick<Iam, 'check'>;
  readonly directory: ServiceDirectory;
  /** The project's region (remedies name it in gcloud commands). */
  readonly region: string;
  /** Which configured caller (service or workload, with its VPC egress) a loopback connection comes from. */
  readonly egress?: Pick<EgressAttribution, 'relevant' | 'callerOf'>;
}

export interface Admitted {
  readonly ok: true;
  /** Whether ingress counted the request as internal traffic. */
  readonly internal: boolean;
  /** What to change on the request before it reaches the service. */
  readonly edits: HeaderEdits;
  /** The IAM member the call runs as (`allUsers` for a public service without a usable token). */
  readonly principal?: string;
  readonly token?: TokenSummary;
  /** Offline admissions cannot check signatures: accepted only as far as can be told. */
  readonly signatureUnchecked?: true;
}

export interface Refused {
  readonly ok: false;
  readonly denial: Denial;
  readonly internal: boolean;
  readonly principal?: string;
  readonly token?: TokenSummary;
  /** False where Google logs nothing (ingress blocks). */
  readonly googleVisible: boolean;
  /** A gate's own answer (IAP's page or 302) to send instead of the Denial's default encoding. */
  readonly response?: GateResponse;
}

export type Admission = Admitted | Refused;

const NO_EDITS: HeaderEdits = {};

/** Decides `request` for `service`. */
export function admit(service: ServiceEntry, request: AdmissionRequest, ctx: AdmissionContext): Admission | Promise<Admission> {
  const scanned = scanHeaders(request.rawHeaders, ctx.internalHeader);
  const marker = scanned.internalMarker;
  const internal = ctx.ingress.isInternal(marker, request.source);
  if (!internal && service.config.ingress !== 'all') {
    // A caller that sends all its traffic through the VPC counts as internal (slow path: who is calling?).
    if (ctx.egress?.relevant && request.connection !== undefined) return throughEgress(service, request, ctx, scanned, request.connection);
    return ingressBlocked(service, request, ctx, marker, undefined);
  }
  return afterIngress(service, request, ctx, scanned, internal);
}

function afterIngress(service: ServiceEntry, request: AdmissionRequest, ctx: AdmissionContext, scanned: ReturnType<typeof scanHeaders>, internal: boolean): Admission | Promise<Admission> {
  const marker = scanned.internalMarker;
  const edits: HeaderEdits = marker === undefined ? NO_EDITS : markerEdits(ctx.internalHeader);
  const gates = gatesFor(service, ctx.gates);
  if (gates.length > 0) return runGates(service, request, ctx, gates, internal, edits);
  return invokerCheck(service, request, ctx, scanned, internal, edits, undefined, undefined);
}

async function throughEgress(service: ServiceEntry, request: AdmissionRequest, ctx: AdmissionContext, scanned: ReturnType<typeof scanHeaders>, connection: LoopbackConnection): Promise<Admission> {
  const caller = await ctx.egress!.callerOf(connection);
  if (caller?.vpcEgress === 'all-traffic') return afterIngress(service, request, ctx, scanned, true);
  return ingressBlocked(service, request, ctx, scanned.internalMarker, caller);
}

function ingressBlocked(service: ServiceEntry, request: AdmissionRequest, ctx: AdmissionContext, marker: string | undefined, caller: EgressCaller | undefined): Refused {
  const why: IngressDecision = ctx.ingress.classify(marker, request.source);
  const source = caller === undefined
    ? why.source
    : `${caller.kind} ${caller.name}, whose VPC egress is ${caller.vpcEgress ?? 'none'}: ${caller.vpcEgress === 'private-ranges-only' ? 'private-ranges-only carries only private IP ranges, and run.app URLs are public' : 'without VPC egress'}, its call to a run.app URL leaves through the internet`;
  const denial = deny('INGRESS_BLOCKED', 'run', { ingress: service.config.ingress, source, path: pathOf(request.url), ...(caller ? { caller: `${caller.kind} ${caller.name}`, callerVpcEgress: caller.vpcEgress ?? 'none' } : {}) });
  return { ok: false, denial, internal: false, googleVisible: false };
}

async function runGates(service: ServiceEntry, request: AdmissionRequest, ctx: AdmissionContext, gates: readonly FrontDoorGate[], internal: boolean, baseEdits: HeaderEdits): Promise<Admission> {
  const url = new URL(request.url || '/', 'http://front-door');
  const remove = [...(baseEdits.remove ?? [])];
  const set: Record<string, string> = {};
  let invokerToken: string | undefined;
  let principal: string | undefined;
  for (const gate of gates) {
    const out = await gate.handle({ service, request, url, internal, tokens: ctx.tokens });
    if (out.kind === 'respond') {
      // `denial` is read only when the gate refused (out.denial set); an answer such as IAP's 302 carries no code.
      const denial = out.denial ?? deny('PERMISSION_DENIED', 'iap', { path: url.pathname, principal: principal ?? 'the caller', permission: `(answered by gate ${gate.name})`, resource: serviceResource(service.config.name) });
      return { ok: false, denial, internal, googleVisible: true, response: out, ...(principal ? { principal } : {}) };
    }
    if (out.removeHeaders) remove.push(...out.removeHeaders.map((h) => h.toLowerCase()));
    if (out.setHeaders) Object.assign(set, out.setHeaders);
    if (out.invokerToken !== undefined) invokerToken = out.invokerToken;
    if (out.principal !== undefined) principal = out.principal;
  }
  // The gate's own headers must survive its removals (IAP strips client x-goog-* and then sets its own).
  const scanned = scanHeaders(request.rawHeaders, ctx.internalHeader);
  return invokerCheck(service, request, ctx, scanned, internal, { remove, set }, invokerToken, principal);
}

type IdCredential = { ok: true; header: 'authorization' | 'x-serverless-authorization'; token: string };

function invokerCheck(
  service: ServiceEntry,
  request: AdmissionRequest,
  ctx: AdmissionContext,
  scanned: ReturnType<typeof scanHeaders>,
  internal: boolean,
  edits: HeaderEdits,
  invokerToken: string | undefined,
  gatePrincipal: string | undefined,
): Admission | Promise<Admission> {
  if (!service.config.invokerIamCheck) return { ok: true, internal, edits, ...(gatePrincipal ? { principal: gatePrincipal } : {}) };
  const path = pathOf(request.url);
  const resource = resourceOf(service);
  const cred =
    invokerToken !== undefined
      ? ({ ok: true, header: 'x-serverless-authorization', token: invokerToken } as const)
      : pickCredential((name) => (name === 'authorization' ? scanned.authorization : name === 'x-serverless-authorization' ? scanned.xServerlessAuthorization : undefined));
  if (!cred.ok) {
    const denial = deny(cred.code, 'run', { ...cred.evidence, path, audiences: service.audiences, expectedAudience: service.audiences[0] });
    return publicOr(ctx, resource, internal, edits, denial, undefined);
  }
  const credential = cred as IdCredential; // kind 'id-token': never the IAP assertion header
  const result = ctx.tokens.idToken(credential.token, callFor(service, ctx));
  if (result instanceof Promise) return result.then((r) => afterVerify(ctx, resource, r, credential, internal, edits, path));
  return afterVerify(ctx, resource, result, credential, internal, edits, path);
}

function afterVerify(ctx: AdmissionContext, resource: string, result: VerifyResult, cred: IdCredential, internal: boolean, edits: HeaderEdits, path: string): Admission | Promise<Admission> {
  if (!result.ok) {
    const token: TokenSummary = result.claims ? { header: cred.header, ...(result.header ? { jwtHeader: result.header } : {}), claims: result.claims } : summarizeToken(cred.header, cred.token);
    return publicOr(ctx, resource, internal, edits, result.denial, token);
  }
  const token = summaryOf(cred.header, result);
  // X-Serverless-Authorization goes on with its signature removed; Authorization passes untouched.
  const finalEdits: HeaderEdits = cred.header === 'x-serverless-authorization' ? { ...edits, strippedCredential: { header: cred.header, token: cred.token } } : edits;
  const member = ctx.members.resolve(result);
  if (member instanceof Promise) return member.then((m) => iamCheck(ctx, resource, m, result.principal, internal, finalEdits, token, path));
  return iamCheck(ctx, resource, member, result.principal, internal, finalEdits, token, path);
}

function iamCheck(ctx: AdmissionContext, resource: string, member: string | null, principal: string, internal: boolean, edits: HeaderEdits, token: TokenSummary, path: string): Admission {
  const decision = ctx.iam.check(member, INVOKE_PERMISSION, resource);
  const who = member ?? `the unknown principal ${principal}`;
  if (decision.allowed) return ctx.tokens.signaturesChecked ? { ok: true, internal, edits, principal: who, token } : { ok: true, internal, edits, principal: who, token, signatureUnchecked: true };
  return { ok: false, denial: invokerDenial(decision, who, path, ctx.region), internal, principal: who, token, googleVisible: true };
}

/** A request without a usable token still passes when allUsers may invoke (a public service). */
function publicOr(ctx: AdmissionContext, resource: string, internal: boolean, edits: HeaderEdits, denial: Denial, token: TokenSummary | undefined): Admission {
  if (ctx.iam.check(null, INVOKE_PERMISSION, resource).allowed) return { ok: true, internal, edits, principal: 'allUsers', ...(token ? { token } : {}) };
  return { ok: false, denial, internal, googleVisible: true, ...(token ? { token } : {}) };
}

// Per service, computed once: the verifier's call (its audiences change when the front door registers its
// local URL, so the cache checks the list's identity) and the gates that apply.
const calls = new WeakMap<ServiceEntry, { audiences: readonly string[]; call: VerifyCall }>();
const gateLists = new WeakMap<ServiceEntry, { all: readonly FrontDoorGate[]; count: number; applying: readonly FrontDoorGate[] }>();

function callFor(service: ServiceEntry, ctx: AdmissionContext): VerifyCall {
  const cached = calls.get(service);
  if (cached !== undefined && cached.audiences === service.audiences) return cached.call;
  const call: VerifyCall = {
    // A developer's `gcloud auth print-identity-token` carries aud = gcloud's OAuth client ID; Cloud Run accepts
    // it from principals holding run.routes.invoke, which the invoker check below requires (REFERENCE §14 GC3).
    audiences: [...service.audiences, GCLOUD_CLIENT_ID],
    surface: 'run',
    allowAudiencePath: service.config.allowAudiencePath,
    audienceOwner: (aud) => {
      const owner = ctx.directory.serviceForAudience(aud) ?? ctx.directory.lookup(aud);
      return owner && owner.config.name !== service.config.name ? `service ${owner.config.name}` : undefined;
    },
    customDomains: service.config.domains.map((host) => `https://${host}`),
  };
  calls.set(service, { audiences: service.audiences, call });
  return call;
}

const resources = new WeakMap<ServiceEntry, string>();

/** services/NAME, one string per service. */
function resourceOf(service: ServiceEntry): string {
  let r = resources.get(service);
  if (r === undefined) resources.set(service, (r = serviceResource(service.config.name)));
  return r;
}

function gatesFor(service: ServiceEntry, all: readonly FrontDoorGate[]): readonly FrontDoorGate[] {
  if (all.length === 0) return all;
  const cached = gateLists.get(service);
  if (cached !== undefined && cached.all === all && cached.count === all.length) return cached.applying;
  const applying = all.filter((g) => g.applies(service));
  gateLists.set(service, { all, count: all.length, applying });
  return applying;
}

const markerEditsByHeader = new Map<string, HeaderEdits>();
function markerEdits(header: string): HeaderEdits {
  let e = markerEditsByHeader.get(header);
  if (e === undefined) markerEditsByHeader.set(header, (e = { remove: [header] }));
  return e;
}

// One summary object per verified token and header: a cached token is logged on every request, and the
// request log serialises each summary object once.
const summaries = { authorization: new WeakMap<object, TokenSummary>(), 'x-serverless-authorization': new WeakMap<object, TokenSummary>() };

function summaryOf(header: 'authorization' | 'x-serverless-authorization', t: VerifiedToken): TokenSummary {
  const byClaims = summaries[header];
  let s = byClaims.get(t.claims);
  if (s === undefined) {
    s = { header, jwtHeader: t.header, claims: t.claims };
    byClaims.set(t.claims, s);
  }
  return s;
}

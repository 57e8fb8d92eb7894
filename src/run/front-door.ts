// One Cloud Run service's front door: the checks in Google's order, then the proxy.
//
//   ingress ─► request size ─► gates (IAP, …) ─► which credential ─► the shared verifier ─►
//   IAM run.routes.invoke on services/NAME (propagation included) ─► proxy
//
// Every request leaves one entry in the request log; refusals answer with Google's status, body and
// headers (verify/response.ts) plus x-authplane-denial and x-authplane-request-id.
//
// Hot path (a valid, already-seen token): rawHeaders scan, a verified-token cache hit, one IAM check,
// the proxy. No await unless a gate applies, the caller's `sub` is new, or a supervised service restarts.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { listen } from '../metadata/server.js';
import { denialFields, type RequestLog, type RequestLogEntry, type TokenSummary } from '../observe/request-log.js';
import { summarizeToken } from '../observe/token-summary.js';
import { INTERNAL_HEADER, type Platform } from '../platform.js';
import type { ServiceEntry } from '../services/directory.js';
import type { GateOutcome } from '../services/gate.js';
import { deny, type Denial } from '../verify/denial.js';
import { denialResponse } from '../verify/response.js';
import type { VerifiedToken, VerifyCall, Verifier, VerifyResult } from '../verify/verifier.js';
import { pickCredential } from '../verify/credential.js';
import { rawCredentialHeaders } from './credential.js';
import type { IngressPolicy } from './ingress.js';
import { INVOKE_PERMISSION, invokerDenial, type MemberResolver } from './invoker.js';
import { MAX_REQUEST_BYTES, proxyHttp, proxyUpgrade, sendServiceUnavailable, sendTooLarge, upstreamHeaders, type HeaderEdits, type ProxyResult, type UpstreamAgents, type UpstreamTarget } from './proxy.js';
import { serviceResource } from '../iam/resources.js';

export const REQUEST_ID_HEADER = 'x-authplane-request-id';
/** How long a request waits for a (re)starting supervised service before 503. */
const READY_WAIT_MS = 30_000;

export interface FrontDoorDeps {
  platform: Platform;
  verifier: Verifier;
  log: RequestLog;
  ingress: IngressPolicy;
  members: MemberResolver;
  agents: UpstreamAgents;
  upstream: UpstreamTarget;
}

/** What the checks decided for a request that may pass. */
interface Admitted {
  internal: boolean;
  edits: HeaderEdits;
  principal?: string;
  token?: TokenSummary;
}

type Checked = { ok: true; admitted: Admitted } | { ok: false; denial: Denial; internal: boolean; principal?: string; token?: TokenSummary; googleVisible: boolean; gateResponse?: Extract<GateOutcome, { kind: 'respond' }> };

export class FrontDoor {
  readonly server: Server;
  readonly name: string;
  readonly resource: string;
  private call!: VerifyCall;
  private readonly internalEdits: HeaderEdits = { remove: [INTERNAL_HEADER] };
  private gates: Platform['gates'] = [];
  private gatesSeen = 0;
  /** Upgraded (WebSocket) sockets: no longer HTTP connections, so closeAllConnections does not see them. */
  private readonly upgraded = new Set<Duplex>();

  constructor(
    readonly entry: ServiceEntry,
    private readonly deps: FrontDoorDeps,
  ) {
    this.name = entry.config.name;
    this.resource = serviceResource(this.name);
    this.server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => this.onRequest(req, res));
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head));
    this.server.on('clientError', (_e, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    });
  }

  /** Listens and registers the address in the directory (which adds the local URL to the audiences). */
  async listen(host: string, port: number): Promise<{ host: string; port: number }> {
    await listen(this.server, port, host);
    const bound = (this.server.address() as AddressInfo).port;
    this.deps.platform.directory.setFrontDoor(this.name, host, bound);
    const { platform } = this.deps;
    this.call = {
      audiences: this.entry.audiences,
      surface: 'run',
      allowAudiencePath: this.entry.config.allowAudiencePath,
      audienceOwner: (aud) => {
        const owner = platform.directory.serviceForAudience(aud);
        return owner && owner.config.name !== this.name ? `service ${owner.config.name}` : undefined;
      },
    };
    return { host, port: bound };
  }

  /** Where requests go (set once a supervised command answers, or at once for an upstream URL). */
  setUpstream(target: UpstreamTarget): void {
    this.deps.upstream = target;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
      for (const s of this.upgraded) s.destroy();
    });
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const started = performance.now();
    rememberSource(req);
    const id = this.deps.log.newId();
    const result = this.check(req);
    if (result instanceof Promise) {
      result.then(
        (r) => this.afterCheck(req, res, r, id, started),
        (e: unknown) => this.internalError(req, res, e, id, started),
      );
    } else this.afterCheck(req, res, result, id, started);
  }

  private afterCheck(req: IncomingMessage, res: ServerResponse, r: Checked, id: string, started: number): void {
    if (!r.ok) {
      this.refuse(req, res, r, id, started);
      return;
    }
    const len = req.headers['content-length'];
    if (len !== undefined && Number(len) > MAX_REQUEST_BYTES) {
      sendTooLarge(res);
      this.record(req, id, started, r.admitted, { status: 413, outcome: 'too-large', error: `Content-Length ${len} exceeds ${MAX_REQUEST_BYTES} bytes` });
      return;
    }
    const headers = upstreamHeaders(req, r.admitted.edits, 'http');
    const ready = this.deps.upstream.ready();
    const go = (): void => {
      void proxyHttp(req, res, this.deps.upstream, headers, this.deps.agents).then((p) => this.record(req, id, started, r.admitted, p));
    };
    if (ready === undefined) go();
    else {
      waitReady(ready).then((up) => {
        if (up) go();
        else {
          sendServiceUnavailable(res);
          this.record(req, id, started, r.admitted, { status: 503, outcome: 'upstream-error', error: `the service did not become ready within ${READY_WAIT_MS / 1000} s` });
        }
      }, () => undefined);
    }
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const started = performance.now();
    rememberSource(req);
    const id = this.deps.log.newId();
    socket.on('error', () => socket.destroy());
    this.upgraded.add(socket);
    socket.on('close', () => this.upgraded.delete(socket));
    void Promise.resolve(this.check(req)).then(async (r) => {
      if (!r.ok) {
        const out = r.gateResponse ?? { ...denialResponse(r.denial, { path: pathOf(req) }) };
        let text = `HTTP/1.1 ${out.status} ${statusText(out.status)}\r\n`;
        const hdrs: Record<string, string | string[]> = { ...out.headers, [REQUEST_ID_HEADER]: id, 'content-length': String(Buffer.byteLength(out.body)), connection: 'close' };
        for (const [k, v] of Object.entries(hdrs)) for (const one of Array.isArray(v) ? v : [v]) text += `${k}: ${one}\r\n`;
        socket.end(`${text}\r\n${out.body}`);
        this.recordRefusal(req, id, started, r, out.status);
        return;
      }
      const ready = this.deps.upstream.ready();
      if (ready !== undefined) await waitReady(ready);
      const p = await proxyUpgrade(req, socket, head, this.deps.upstream, upstreamHeaders(req, r.admitted.edits, 'http'));
      this.record(req, id, started, r.admitted, p);
    });
  }

  /** The checks, in Google's order. Synchronous unless a gate applies or a caller's sub is new. */
  check(req: IncomingMessage): Checked | Promise<Checked> {
    const { platform, ingress } = this.deps;
    const cfg = this.entry.config;
    const marker = req.headers[INTERNAL_HEADER];
    const decision = marker === undefined && ingress.cidrs.length === 0 ? NOT_INTERNAL : ingress.classify(marker, req.socket.remoteAddress);
    if (!ingress.admits(cfg.ingress, decision)) {
      return {
        ok: false,
        denial: deny('INGRESS_BLOCKED', 'run', { ingress: cfg.ingress, source: decision === NOT_INTERNAL ? ingress.classify(marker, req.socket.remoteAddress).source : decision.source, path: pathOf(req) }),
        internal: false,
        googleVisible: false,
      };
    }
    const edits: HeaderEdits = marker === undefined ? {} : this.internalEdits;
    const gates = this.gatesFor(platform.gates);
    if (gates.length > 0) return this.runGates(req, gates, decision.internal, edits);
    return this.invokerCheck(req, decision.internal, edits, undefined, undefined);
  }

  /** The gates guarding this service, recomputed only when a product registers another. */
  private gatesFor(all: Platform['gates']): Platform['gates'] {
    if (this.gatesSeen !== all.length) {
      this.gates = all.filter((g) => g.applies(this.entry));
      this.gatesSeen = all.length;
    }
    return this.gates;
  }

  private async runGates(req: IncomingMessage, gates: Platform['gates'], internal: boolean, baseEdits: HeaderEdits): Promise<Checked> {
    const url = new URL(req.url ?? '/', 'http://front-door');
    const remove = [...(baseEdits.remove ?? [])];
    const set: Record<string, string> = {};
    let invokerToken: string | undefined;
    let principal: string | undefined;
    for (const gate of gates) {
      const out = await gate.handle({ service: this.entry, req, url, internal });
      if (out.kind === 'respond') {
        // `denial` is only read when the gate refused (out.denial set); an answer such as IAP's 302 is logged without a code.
        const denial = out.denial ?? deny('PERMISSION_DENIED', 'iap', { path: url.pathname, principal: principal ?? 'the caller', permission: `(answered by gate ${gate.name})`, resource: this.resource });
        return { ok: false, denial, internal, googleVisible: true, gateResponse: out, ...(principal ? { principal } : {}) };
      }
      if (out.removeHeaders) remove.push(...out.removeHeaders.map((h) => h.toLowerCase()));
      if (out.setHeaders) Object.assign(set, out.setHeaders);
      if (out.invokerToken !== undefined) invokerToken = out.invokerToken;
      if (out.principal !== undefined) principal = out.principal;
    }
    // The gate's own headers must survive its removals (IAP strips client x-goog-* and then sets its own).
    const edits: HeaderEdits = { remove, set };
    return this.invokerCheck(req, internal, edits, invokerToken, principal);
  }

  private invokerCheck(req: IncomingMessage, internal: boolean, edits: HeaderEdits, invokerToken: string | undefined, gatePrincipal: string | undefined): Checked | Promise<Checked> {
    if (!this.entry.config.invokerIamCheck) return { ok: true, admitted: { internal, edits, ...(gatePrincipal ? { principal: gatePrincipal } : {}) } };
    const cred: ValidCredential | ReturnType<typeof pickCredential> =
      invokerToken !== undefined ? { ok: true, header: 'x-serverless-authorization', token: invokerToken } : pickCredential(rawCredentialHeaders(req.rawHeaders));
    const path = pathOf(req);
    if (!cred.ok) {
      const denial = deny(cred.code, 'run', { ...cred.evidence, path, audiences: this.entry.audiences, expectedAudience: this.entry.audiences[0] });
      return this.publicOr(internal, edits, denial, undefined);
    }
    const result = this.deps.verifier.verify(cred.token, this.call);
    const credential = cred as ValidCredential; // kind 'id-token': never the IAP assertion header
    // A kid nobody here knows may come from a rotation by another process on the same store:
    // the verifier re-reads the key ring (at most once a second) before refusing.
    if (!result.ok && result.denial.code === 'KEY_UNKNOWN') {
      return this.deps.verifier.retryWithFreshKeys(cred.token, this.call, result).then((again) => this.afterVerify(again, credential, internal, edits, path));
    }
    return this.afterVerify(result, credential, internal, edits, path);
  }

  private afterVerify(result: VerifyResult, cred: ValidCredential, internal: boolean, edits: HeaderEdits, path: string): Checked | Promise<Checked> {
    if (!result.ok) {
      const token: TokenSummary = result.claims ? { header: cred.header, ...(result.header ? { jwtHeader: result.header } : {}), claims: result.claims } : summarizeToken(cred.header, cred.token);
      return this.publicOr(internal, edits, result.denial, token);
    }
    const token = summaryOf(cred.header, result);
    // X-Serverless-Authorization goes on with its signature removed; Authorization passes untouched.
    const finalEdits: HeaderEdits = cred.header === 'x-serverless-authorization' ? { ...edits, strippedCredential: { header: cred.header, token: cred.token } } : edits;
    const member = this.deps.members.resolve(result);
    if (member instanceof Promise) return member.then((m) => this.iamCheck(m, result.principal, internal, finalEdits, token, path));
    return this.iamCheck(member, result.principal, internal, finalEdits, token, path);
  }

  private iamCheck(member: string | null, principal: string, internal: boolean, edits: HeaderEdits, token: TokenSummary, path: string): Checked {
    const decision = this.deps.platform.iam.check(member, INVOKE_PERMISSION, this.resource);
    const who = member ?? `the unknown principal ${principal}`;
    if (decision.allowed) return { ok: true, admitted: { internal, edits, principal: who, token } };
    return { ok: false, denial: invokerDenial(decision, who, path), internal, principal: who, token, googleVisible: true };
  }

  /** A request without a usable token still passes when allUsers may invoke (a public service). */
  private publicOr(internal: boolean, edits: HeaderEdits, denial: Denial, token: TokenSummary | undefined): Checked {
    if (this.deps.platform.iam.check(null, INVOKE_PERMISSION, this.resource).allowed) return { ok: true, admitted: { internal, edits, principal: 'allUsers', ...(token ? { token } : {}) } };
    return { ok: false, denial, internal, googleVisible: true, ...(token ? { token } : {}) };
  }

  private refuse(req: IncomingMessage, res: ServerResponse, r: Extract<Checked, { ok: false }>, id: string, started: number): void {
    const out = r.gateResponse ?? denialResponse(r.denial, { path: pathOf(req) });
    const headers: Record<string, string | string[]> = { ...out.headers, [REQUEST_ID_HEADER]: id };
    if (!('x-authplane-denial' in headers) && r.gateResponse?.denial) headers['x-authplane-denial'] = r.gateResponse.denial.code;
    headers['content-length'] = String(Buffer.byteLength(out.body));
    res.writeHead(out.status, headers);
    res.end(out.body);
    // Drain an unread body so the connection stays usable (bounded by the size limit).
    req.resume();
    this.recordRefusal(req, id, started, r, out.status);
  }

  private recordRefusal(req: IncomingMessage, id: string, started: number, r: Extract<Checked, { ok: false }>, status: number): void {
    // A gate's own answer that is not a refusal (IAP's 302 to sign-in) carries no code.
    const refusal = r.gateResponse === undefined || r.gateResponse.denial !== undefined;
    const entry: RequestLogEntry = {
      id,
      time: new Date(Date.now() - (performance.now() - started)).toISOString(),
      surface: r.gateResponse ? (r.denial.surface === 'iap' ? 'iap' : 'run') : 'run',
      service: this.name,
      method: req.method ?? 'GET',
      path: pathOf(req),
      source: sourceOf(req),
      internal: r.internal,
      status,
      outcome: refusal ? 'refused' : 'answered-by-gate',
      googleVisible: r.googleVisible,
      durationMs: round(performance.now() - started),
      ...(refusal ? denialFields(r.denial) : {}),
      ...(r.principal ? { principal: r.principal } : {}),
      ...(r.token ? { token: r.token } : {}),
    };
    this.deps.log.record(entry);
  }

  private record(req: IncomingMessage, id: string, started: number, a: Admitted, p: ProxyResult): void {
    const entry: RequestLogEntry = {
      id,
      time: new Date(Date.now() - (performance.now() - started)).toISOString(),
      surface: 'run',
      service: this.name,
      method: req.method ?? 'GET',
      path: pathOf(req),
      source: sourceOf(req),
      internal: a.internal,
      status: p.status,
      outcome: p.outcome,
      googleVisible: true,
      durationMs: round(performance.now() - started),
    };
    if (a.principal !== undefined) entry.principal = a.principal;
    if (a.token !== undefined) entry.token = a.token;
    if (p.error !== undefined) entry.error = p.error;
    this.deps.log.record(entry);
  }

  private internalError(req: IncomingMessage, res: ServerResponse, e: unknown, id: string, started: number): void {
    console.error(`authplane: front door ${this.name}:`, e);
    if (!res.headersSent) sendServiceUnavailable(res);
    this.record(req, id, started, { internal: false, edits: {} }, { status: 503, outcome: 'upstream-error', error: `authplane failed while checking the request: ${(e as Error).message}` });
  }
}

const NOT_INTERNAL = { internal: false, source: '' };

/** The ID-token credential the invoker check verifies. */
type ValidCredential = { ok: true; header: 'authorization' | 'x-serverless-authorization'; token: string };

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

// The client's address, taken when the request arrives: once the response is done Node may detach the
// socket from the request (req.socket becomes null), and the log entry is written after that.
const SOURCE = Symbol('authplane.source');
type WithSource = IncomingMessage & { [SOURCE]?: string };

function rememberSource(req: IncomingMessage): void {
  (req as WithSource)[SOURCE] = req.socket.remoteAddress ?? '';
}

function sourceOf(req: IncomingMessage): string {
  return (req as WithSource)[SOURCE] ?? req.socket?.remoteAddress ?? '';
}

function pathOf(req: IncomingMessage): string {
  const u = req.url ?? '/';
  const q = u.indexOf('?');
  return q < 0 ? u : u.slice(0, q);
}

function waitReady(ready: Promise<void>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([ready.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), READY_WAIT_MS)))]).finally(() => clearTimeout(timer));
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;

function statusText(status: number): string {
  return { 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 302: 'Found', 413: 'Payload Too Large' }[status] ?? 'Error';
}

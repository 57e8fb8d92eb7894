// One Cloud Run service's front door: HTTP glue around the admission decision (src/admission/decision.ts),
// then the proxy. Plain and upgrade (WebSocket) requests take the same decision; every request leaves one
// entry in the request log; refusals answer with Google's status, body and headers (verify/response.ts)
// plus x-authplane-denial and x-authplane-request-id. One error boundary: a failure while deciding is
// answered and logged, never left unhandled.
//
// Hot path (a valid, already-seen token): one header scan, a verified-token cache hit, one IAM check, the
// proxy. No await unless a gate applies, the caller's `sub` is new, or a supervised service restarts.

import { type IncomingMessage, type Server } from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { AdmissionContext, Admission, Admitted, Refused } from '../admission/decision.js';
import { admit } from '../admission/decision.js';
import type { AdmissionRequest } from '../admission/request.js';
import type { LoopbackConnection } from '../admission/egress.js';
import { listen } from '../metadata/server.js';
import type { PreboundSocket } from '../lib/prebound.js';
import { httpDetails } from '../observe/http-details.js';
import { denialFields, type RequestLog, type RequestLogEntry } from '../observe/request-log.js';
import type { LocalDelivery, LocalFrontDoor, LocalRequest } from '../dispatch/local-delivery.js';
import type { Platform } from '../platform.js';
import type { ServiceEntry } from '../services/directory.js';
import { deny, type Denial } from '../verify/denial.js';
import { DENIAL_HEADER, denialResponse, REQUEST_ID_HEADER } from '../verify/response.js';
import { googleFrontEndServer } from '../apis/http-server.js';
import { headerFacts, type HeaderFacts } from '../lib/http-headers.js';
import { DeadlineQueue } from './deadlines.js';
import { LocalIncoming, LocalResponse } from './local-request.js';
import { MAX_REQUEST_BYTES, proxyHttp, proxyUpgrade, sendServiceUnavailable, serviceUnavailable, upstreamHeaders, type ProxiedRequest, type ProxiedResponse, type ProxyResult, type UpstreamAgents, type UpstreamTarget } from './proxy.js';
import { arrivalTime } from '../lib/iso-time.js';

export { REQUEST_ID_HEADER };
/** How long a request waits for a (re)starting supervised service before 503. */
const READY_WAIT_MS = 30_000;

export interface FrontDoorDeps {
  /** What a front door needs of the platform (a front-door worker has no more than this). */
  platform: Pick<Platform, 'directory' | 'clock' | 'timers'>;
  admission: AdmissionContext;
  log: Pick<RequestLog, 'newId' | 'record'>;
  agents: UpstreamAgents;
  upstream: UpstreamTarget;
}

/** What a response was, for the log. */
type Answer = Pick<RequestLogEntry, 'status' | 'outcome'> & { error?: string; denial?: Denial };

/** What the front door reads of a request: an IncomingMessage, or one handed over in process (`deliver`). */
type DoorRequest = ProxiedRequest &
  Pick<IncomingMessage, 'httpVersion'> & {
    readonly socket: { readonly remoteAddress?: string | undefined; readonly remotePort?: number | undefined; readonly localPort?: number | undefined };
    resume(): unknown;
  };

export class FrontDoor implements LocalFrontDoor {
  readonly server: Server;
  readonly name: string;
  /** Upgraded (WebSocket) sockets: no longer HTTP connections, so closeAllConnections does not see them. */
  private readonly upgraded = new Set<Duplex>();
  /** Request timeouts (deadlines.ts). */
  private readonly deadlines: DeadlineQueue;

  constructor(
    readonly entry: ServiceEntry,
    private readonly deps: FrontDoorDeps,
  ) {
    this.name = entry.config.name;
    this.deadlines = new DeadlineQueue(deps.platform.timers, deps.platform.clock);
    this.server = googleFrontEndServer('run', { keepAliveTimeout: 65_000 }, (req, res) => this.onRequest(req, res));
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head));
  }

  /**
   * Listens (on `prebound`, the socket the start bound for it, when given) and registers the address in the
   * directory (which adds the local URL to the audiences).
   */
  async listen(host: string, port: number, prebound?: PreboundSocket): Promise<{ host: string; port: number }> {
    await listen(this.server, port, host, prebound);
    const bound = (this.server.address() as AddressInfo).port;
    this.deps.platform.directory.setFrontDoor(this.name, host, bound);
    return { host, port: bound };
  }

  /** Registers the address front-door workers listen on (server.workers > 1): this process serves no socket. */
  reserve(host: string, port: number): { host: string; port: number } {
    this.deps.platform.directory.setFrontDoor(this.name, host, port);
    return { host, port };
  }

  /** Where requests go (set once a supervised command answers, or at once for an upstream URL). */
  setUpstream(target: UpstreamTarget): void {
    this.deps.upstream = target;
  }

  get upstream(): UpstreamTarget {
    return this.deps.upstream;
  }

  /**
   * A request one of Google's callers in this process sends to this service (dispatch/local-delivery.ts): the
   * request path an HTTP request takes — admission, the request log, the proxy — on the request as it would have
   * arrived over loopback from this process, answered with what the wire would have carried.
   */
  deliver(request: LocalRequest): LocalDelivery {
    const door = this.entry.frontDoor;
    // The client address a loopback connection to the front door's host shows (0.0.0.0 and names connect to 127.0.0.1).
    const host = door?.host ?? '127.0.0.1';
    const source = host === '::' ? '::1' : isIP(host) && host !== '0.0.0.0' ? host : '127.0.0.1';
    const res = new LocalResponse(request.onInterim);
    this.onRequest(new LocalIncoming(request, source, door?.port ?? 0), res);
    return { answer: res.answer, cancel: () => void res.destroy() };
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
      for (const s of this.upgraded) s.destroy();
    });
  }

  private decide(req: DoorRequest): Admission | Promise<Admission> {
    const socket = req.socket;
    const request: AdmissionRequest = {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      rawHeaders: req.rawHeaders,
      source: socket.remoteAddress ?? '',
      secure: false,
      // The socket itself (its remoteAddress, remotePort, localPort): read only on egress's slow path.
      connection: socket as LoopbackConnection,
    };
    return admit(this.entry, request, this.deps.admission);
  }

  private onRequest(req: DoorRequest, res: ProxiedResponse): void {
    const started = performance.now();
    const source = req.socket.remoteAddress ?? '';
    const facts = headerFacts(req.rawHeaders);
    const id = this.deps.log.newId();
    let decided: Admission | Promise<Admission>;
    try {
      decided = this.decide(req);
    } catch (e) {
      this.failed(req, res, e, id, started, source, facts);
      return;
    }
    if (decided instanceof Promise) {
      decided.then(
        (a) => this.afterAdmission(req, res, a, id, started, source, facts),
        (e: unknown) => this.failed(req, res, e, id, started, source, facts),
      );
    } else this.afterAdmission(req, res, decided, id, started, source, facts);
  }

  private afterAdmission(req: DoorRequest, res: ProxiedResponse, a: Admission, id: string, started: number, source: string, facts: HeaderFacts): void {
    if (!a.ok) {
      const out = a.response ?? denialResponse(a.denial, { path: pathOf(req) });
      const headers: Record<string, string | string[]> = { ...out.headers, [REQUEST_ID_HEADER]: id };
      if (!(DENIAL_HEADER in headers) && a.response?.denial) headers[DENIAL_HEADER] = a.response.denial.code;
      headers['content-length'] = String(Buffer.byteLength(out.body));
      res.writeHead(out.status, headers);
      res.end(out.body);
      // Drain an unread body so the connection stays usable (bounded by the size limit).
      req.resume();
      this.record(req, id, started, source, facts, a, refusalAnswer(a, out.status));
      return;
    }
    const len = facts.contentLength;
    if (len !== undefined && Number(len) > MAX_REQUEST_BYTES) {
      const denial = deny('REQUEST_TOO_LARGE', 'run', { size: Number(len), limit: MAX_REQUEST_BYTES });
      const out = denialResponse(denial, { requestId: id });
      res.writeHead(out.status, { ...out.headers, 'content-length': String(Buffer.byteLength(out.body)), connection: 'close' });
      res.end(out.body);
      this.record(req, id, started, source, facts, a, { status: 413, outcome: 'too-large', denial });
      return;
    }
    const headers = upstreamHeaders(req, facts, a.edits, 'http');
    const { platform } = this.deps;
    const timeoutMs = this.entry.config.timeout;
    const timeoutDenial = () => deny('REQUEST_TIMEOUT', 'run', { timeout: `${timeoutMs / 1000}s`, path: pathOf(req) });
    const go = (): void => {
      const timeout = {
        timers: this.deadlines,
        at: platform.clock() + timeoutMs,
        onTimeout: () => {
          const out = denialResponse(timeoutDenial(), { requestId: id });
          res.writeHead(out.status, { ...out.headers, 'content-length': String(Buffer.byteLength(out.body)) });
          res.end(out.body);
        },
      };
      void proxyHttp(req, facts, res, this.deps.upstream, headers, this.deps.agents, timeout).then((p) =>
        this.record(req, id, started, source, facts, a, p.timedOut ? { ...p, denial: timeoutDenial() } : p),
      );
    };
    const ready = this.deps.upstream.ready();
    if (ready === undefined) go();
    else {
      waitReady(ready).then((up) => {
        if (up) go();
        else {
          const error = `the service did not become ready within ${READY_WAIT_MS / 1000} s`;
          const denial = serviceUnavailable(error);
          sendServiceUnavailable(res, denial, id);
          this.record(req, id, started, source, facts, a, { status: 503, outcome: 'upstream-error', error, denial });
        }
      }, () => undefined);
    }
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const started = performance.now();
    const source = req.socket.remoteAddress ?? '';
    const facts = headerFacts(req.rawHeaders);
    const id = this.deps.log.newId();
    socket.on('error', () => socket.destroy());
    this.upgraded.add(socket);
    socket.on('close', () => this.upgraded.delete(socket));
    const upgrade = async (): Promise<void> => {
      const a = await this.decide(req);
      if (!a.ok) {
        const out = a.response ?? denialResponse(a.denial, { path: pathOf(req) });
        writeRawResponse(socket, out.status, { ...out.headers, [REQUEST_ID_HEADER]: id, ...(a.response?.denial ? { [DENIAL_HEADER]: a.response.denial.code } : {}) }, out.body);
        this.record(req, id, started, source, facts, a, refusalAnswer(a, out.status));
        return;
      }
      const ready = this.deps.upstream.ready();
      if (ready !== undefined) await waitReady(ready);
      const p = await proxyUpgrade(req, socket, head, this.deps.upstream, upstreamHeaders(req, facts, a.edits, 'http'));
      // Cloud Run's request timeout bounds a WebSocket's whole life too: at the deadline the connection is closed.
      if (p.status === 101 && !socket.destroyed) {
        const { platform } = this.deps;
        const deadline = platform.timers.at(platform.clock() + this.entry.config.timeout, () => socket.destroy());
        socket.once('close', () => deadline.cancel());
      }
      this.record(req, id, started, source, facts, a, p);
    };
    upgrade().catch((e: unknown) => {
      const denial = this.internalDenial(e, id);
      const out = denialResponse(denial, { path: pathOf(req), requestId: id });
      if (socket.writable) writeRawResponse(socket, out.status, out.headers, out.body);
      else socket.destroy();
      this.record(req, id, started, source, facts, undefined, { status: out.status, outcome: 'failed', denial });
    });
  }

  /** The one place an unexpected failure while deciding surfaces: logged once, answered with Google's 500. */
  private failed(req: DoorRequest, res: ProxiedResponse, e: unknown, id: string, started: number, source: string, facts: HeaderFacts): void {
    const denial = this.internalDenial(e, id);
    if (!res.headersSent) {
      const out = denialResponse(denial, { path: pathOf(req), requestId: id });
      res.writeHead(out.status, { ...out.headers, 'content-length': String(Buffer.byteLength(out.body)) });
      res.end(out.body);
    } else res.destroy();
    req.resume();
    this.record(req, id, started, source, facts, undefined, { status: denial.status, outcome: 'failed', denial });
  }

  private internalDenial(e: unknown, id: string): Denial {
    console.error(`authplane: front door ${this.name}: internal error (request ${id}):`, e);
    return deny('INTERNAL_ERROR', 'run', { requestId: id, reason: (e as Error)?.message ?? String(e) });
  }

  private record(req: DoorRequest, id: string, started: number, source: string, facts: HeaderFacts, a: Admitted | Refused | undefined, answer: Answer | ProxyResult): void {
    const entry: RequestLogEntry = {
      id,
      time: arrivalTime(started),
      surface: a !== undefined && !a.ok && a.response !== undefined && a.denial.surface === 'iap' ? 'iap' : 'run',
      service: this.name,
      method: req.method ?? 'GET',
      path: pathOf(req),
      source,
      internal: a?.internal ?? false,
      status: answer.status,
      outcome: answer.outcome,
      googleVisible: a === undefined || a.ok || a.googleVisible,
      durationMs: round(performance.now() - started),
      http: httpDetails(req, facts, 'responseBytes' in answer ? answer.responseBytes : undefined),
    };
    if (a?.principal !== undefined) entry.principal = a.principal;
    if (a?.token !== undefined) entry.token = a.token;
    const denial = 'denial' in answer ? answer.denial : undefined;
    if (denial !== undefined) Object.assign(entry, denialFields(denial));
    if (answer.error !== undefined) entry.error = answer.error;
    const host = facts.host;
    if (host !== undefined) entry.host = host;
    this.deps.log.record(entry);
  }
}

/** How a refusal was answered: a gate's own page that is not a refusal (IAP's 302 to sign-in) carries no code. */
function refusalAnswer(a: Refused, status: number): Answer {
  const refusal = a.response === undefined || a.response.denial !== undefined;
  return refusal ? { status, outcome: 'refused', denial: a.denial } : { status, outcome: 'answered-by-gate' };
}

function writeRawResponse(socket: Duplex, status: number, headers: Record<string, string | string[]>, body: string): void {
  let text = `HTTP/1.1 ${status} ${statusText(status)}\r\n`;
  const all: Record<string, string | string[]> = { ...headers, 'content-length': String(Buffer.byteLength(body)), connection: 'close' };
  for (const [k, v] of Object.entries(all)) for (const one of Array.isArray(v) ? v : [v]) text += `${k}: ${one}\r\n`;
  socket.end(`${text}\r\n${body}`);
}

function pathOf(req: Pick<DoorRequest, 'url'>): string {
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
  return { 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 302: 'Found', 413: 'Payload Too Large', 500: 'Internal Server Error' }[status] ?? 'Error';
}

// The front door's reverse proxy: streams bodies both ways over keep-alive upstream connections, drops
// hop-by-hop headers (RFC 9110 §7.6.1, plus those the Connection header names), sets X-Forwarded-For and
// X-Forwarded-Proto, and applies what the checks decided (the signature-stripped X-Serverless-Authorization,
// a gate's header changes, the internal marker removed).
//
// Headers travel as flat raw arrays ([name, value, name, value, …], Node's rawHeaders form) so a request
// costs no header objects, and repeated headers (two Authorization lines passed through) keep their order.

import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Dispatcher, Pool } from 'undici';
import { Readable, type Duplex } from 'node:stream';
import { clientAddress, HOP_BY_HOP, SETTLED_BY_PROXY, type HeaderFacts } from '../lib/http-headers.js';
import { stripSignature } from '../lib/jwt.js';
import { hostPort } from '../lib/host-port.js';
import { lazyModule } from '../lib/lazy-module.js';
import type { HeaderEdits } from '../admission/edits.js';
import type { Timers } from '../dispatch/timers.js';
import { deny, type Denial } from '../verify/denial.js';
import { denialResponse } from '../verify/response.js';

/** Responses up to this size (by Content-Length) are sent in one write. */
const SMALL_RESPONSE_BYTES = 64 * 1024;

/** Cloud Run's request size limit for HTTP/1 (REFERENCE: 32 MiB). */
export const MAX_REQUEST_BYTES = 32 * 1024 * 1024;

export interface UpstreamTarget {
  protocol: 'http:' | 'https:';
  host: string;
  port: number;
  /** Resolves when the service can take requests (a supervised command starting or restarting); undefined when it can now. */
  ready(): Promise<void> | undefined;
}

/**
 * What the proxy reads of a request: an IncomingMessage, or a request Google's callers hand the front door in
 * process (front-door.ts `deliver`), shaped as the IncomingMessage it would have been over HTTP.
 */
export interface ProxiedRequest extends AsyncIterable<Buffer> {
  readonly method?: string | undefined;
  readonly url?: string | undefined;
  readonly rawHeaders: string[];
  readonly socket: { readonly remoteAddress?: string | undefined };
}

/** What the proxy writes to: a ServerResponse, or the in-process answer of `deliver`. */
export interface ProxiedResponse {
  readonly headersSent: boolean;
  readonly writableFinished: boolean;
  writeHead(statusCode: number, statusMessage?: string, headers?: OutgoingHttpHeaders | string[]): unknown;
  writeHead(statusCode: number, headers?: OutgoingHttpHeaders | string[]): unknown;
  write(chunk: Buffer): boolean;
  end(chunk?: Buffer | string): unknown;
  destroy(): unknown;
  on(event: 'close' | 'drain', listener: () => void): unknown;
}

/** The headers to send upstream, as a raw array. */
export function upstreamHeaders(req: ProxiedRequest, facts: HeaderFacts, edits: HeaderEdits, proto: string): string[] {
  const raw = req.rawHeaders;
  const out: string[] = [];
  let connectionTokens: Set<string> | undefined;
  const conn = facts.connection;
  if (conn !== undefined && conn.includes(',')) connectionTokens = new Set(conn.split(',').map((s) => s.trim().toLowerCase()));
  else if (conn !== undefined) connectionTokens = new Set([conn.trim().toLowerCase()]);
  let xff: string | undefined;
  let host = false;
  const remove = edits.remove;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || SETTLED_BY_PROXY.has(lower) || connectionTokens?.has(lower)) continue;
    if (lower === 'x-forwarded-for') {
      xff = xff === undefined ? raw[i + 1]! : `${xff}, ${raw[i + 1]!}`;
      continue;
    }
    if (lower === 'x-forwarded-proto') continue;
    if (lower === 'host') host = true;
    if (remove !== undefined && matchesAny(lower, remove)) continue;
    if (edits.strippedCredential !== undefined && lower === edits.strippedCredential.header) {
      out.push(name, `Bearer ${stripSignature(edits.strippedCredential.token)}`);
      continue;
    }
    out.push(name, raw[i + 1]!);
  }
  // HTTP/1.0 clients may omit Host; raw header arrays get none added by Node.
  if (!host) out.push('Host', facts.host ?? 'localhost');
  if (edits.set !== undefined) for (const k of Object.keys(edits.set)) out.push(k, edits.set[k]!);
  const client = clientAddress(req);
  out.push('X-Forwarded-For', xff === undefined ? client : `${xff}, ${client}`, 'X-Forwarded-Proto', proto);
  return out;
}

function matchesAny(lower: string, patterns: readonly string[]): boolean {
  for (const p of patterns) {
    if (p.endsWith('*') ? lower.startsWith(p.slice(0, -1)) : lower === p) return true;
  }
  return false;
}

/** The response headers to pass back: everything but hop-by-hop (Node frames the body itself). */
function downstreamHeaders(raw: readonly (string | Buffer)[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toString('latin1');
    if (HOP_BY_HOP.has(name.toLowerCase())) continue;
    out.push(name, raw[i + 1]!.toString('latin1'));
  }
  return out;
}

export interface ProxyResult {
  status: number;
  outcome: 'proxied' | 'too-large' | 'upstream-error';
  error?: string;
  /** Set when the request timeout passed before the service answered (the 504 was sent, the upstream request cancelled). */
  timedOut?: true;
  /** Bytes of the response body sent to the client (Cloud Logging's httpRequest.responseSize). */
  responseBytes?: number;
  /** Why the front door answered itself (the service could not be reached). */
  denial?: Denial;
}

// undici is loaded once authplane is ready (lib/lazy-module.ts): its ≈ 30 ms of module loading stays out of the
// start, and a request that arrives before it has loaded waits for it.
const undici = lazyModule(() => import('undici'));

/** Loads what proxying needs; resolves at once when loaded. */
export async function loadProxyModules(): Promise<void> {
  await undici.load();
}

/**
 * Keep-alive connection pools to upstreams, shared by every front door of the process. undici rather than
 * node:http's Agent: measured on the 2-core reference machine with wrk -c50 and a hello-world upstream, a
 * minimal proxy made 25.0k req/s with undici's dispatch API against 14.9k with http.request + Agent.
 */
export class UpstreamAgents {
  private readonly pools = new Map<string, Pool>();

  pool(target: UpstreamTarget): Pool {
    const origin = `${target.protocol}//${hostPort(target.host, target.port)}`;
    let pool = this.pools.get(origin);
    if (pool === undefined) {
      if (undici.loaded === undefined) throw new Error('UpstreamAgents.pool before loadProxyModules() resolved');
      pool = new undici.loaded.Pool(origin, { connections: 256, pipelining: 1, keepAliveTimeout: 30_000, headersTimeout: 0, bodyTimeout: 0 });
      this.pools.set(origin, pool);
    }
    return pool;
  }

  async destroy(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((p) => p.destroy().catch(() => undefined)));
  }
}

/**
 * Proxies `req` to `target`; resolves when the response is finished (or failed), never rejects. `timeout.at(ms)` is when the service's request timeout passes: `onTimeout` then
 * answers (unless the response has started, which is cut) and the upstream request is cancelled.
 */
export function proxyHttp(
  req: ProxiedRequest,
  facts: HeaderFacts,
  res: ProxiedResponse,
  target: UpstreamTarget,
  headers: string[],
  agents: UpstreamAgents,
  timeout?: { timers: Timers; at: number; onTimeout: () => void },
): Promise<ProxyResult> {
  if (undici.loaded === undefined) return loadProxyModules().then(() => proxyHttp(req, facts, res, target, headers, agents, timeout));
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: ProxyResult) => {
      if (!settled) {
        settled = true;
        deadline?.cancel();
        resolve(r);
      }
    };
    const deadline = timeout?.timers.at(timeout.at, () => {
      if (settled) return;
      // Settled first: cancelling the upstream request calls onError, which must not report a 503.
      done({ status: 504, outcome: 'upstream-error', error: 'the service did not answer within its request timeout', timedOut: true });
      if (!res.headersSent) timeout.onTimeout();
      else res.destroy();
      abort?.(new Error('the request timeout passed'));
    });
    let tooLarge = false;
    const cl = facts.contentLength;
    const hasBody = !((cl === undefined || cl === '0') && facts.transferEncoding === undefined);
    const body = hasBody
      ? Readable.from(async function* limited(): AsyncGenerator<Buffer> {
          // Counted against the 32 MiB limit as it streams (chunked bodies have no Content-Length to check up front).
          let received = 0;
          for await (const chunk of req as AsyncIterable<Buffer>) {
            received += chunk.length;
            if (received > MAX_REQUEST_BYTES) {
              tooLarge = true;
              throw new Error(`request body exceeded ${MAX_REQUEST_BYTES} bytes`);
            }
            yield chunk;
          }
        }(), { objectMode: false })
      : null;
    let status = 502;
    let responseBytes = 0;
    let abort: ((e: Error) => void) | undefined;
    let resume: (() => void) | undefined;
    /** Small responses are collected and sent with the headers in one write. */
    let buffered: Buffer[] | undefined;
    let head: string[] = [];
    let statusText: string | undefined;
    res.on('close', () => {
      if (!res.writableFinished) {
        abort?.(new Error('the client went away'));
        done({ status, outcome: 'upstream-error', error: 'the client went away before the response ended' });
      }
    });
    res.on('drain', () => resume?.());
    const handler: Dispatcher.DispatchHandlers = {
      onConnect(a) {
        abort = a;
      },
      onHeaders(code, rawHeaders, res_resume, text) {
        status = code;
        statusText = text;
        resume = res_resume;
        head = downstreamHeaders(rawHeaders as unknown as Buffer[]);
        const len = contentLength(head);
        if (len !== undefined && len <= SMALL_RESPONSE_BYTES) buffered = [];
        else res.writeHead(status, statusText, head);
        return true;
      },
      onData(chunk) {
        responseBytes += chunk.length;
        if (buffered !== undefined) {
          buffered.push(chunk);
          return true;
        }
        return res.write(chunk);
      },
      onComplete() {
        if (buffered !== undefined) {
          res.writeHead(status, statusText, head);
          res.end(buffered.length === 1 ? buffered[0] : Buffer.concat(buffered));
        } else res.end();
        done({ status, outcome: 'proxied', responseBytes });
      },
      onError(e: Error & { code?: string }) {
        if (settled) return; // the request timeout already answered
        if (tooLarge) {
          if (!res.headersSent) sendTooLarge(res);
          else res.destroy();
          done({ status: 413, outcome: 'too-large', error: e.message });
          return;
        }
        const error = `cannot reach the service at ${target.protocol}//${target.host}:${target.port}: ${e.code ?? e.message}`;
        const denial = serviceUnavailable(error);
        if (!res.headersSent) sendServiceUnavailable(res, denial);
        else res.destroy();
        done({ status: 503, outcome: 'upstream-error', error, denial });
      },
    };
    agents.pool(target).dispatch({ method: req.method as Dispatcher.HttpMethod, path: req.url ?? '/', headers, body }, handler);
  });
}

function contentLength(raw: readonly string[]): number | undefined {
  for (let i = 0; i < raw.length; i += 2) {
    const k = raw[i]!;
    if (k.length === 14 && k.toLowerCase() === 'content-length') return Number(raw[i + 1]);
  }
  return undefined;
}

/** Google Front End's 413 page (Cloud Run's 32 MiB request limit). */
export function sendTooLarge(res: ProxiedResponse): void {
  const body =
    '<!DOCTYPE html>\n<html lang=en>\n  <meta charset=utf-8>\n  <meta name=viewport content="initial-scale=1, minimum-scale=1, width=device-width">\n' +
    '  <title>Error 413 (Request Entity Too Large)!!1</title>\n' +
    '  <p><b>413.</b> <ins>That’s an error.</ins>\n  <p>Your client issued a request that was too large.\n  <ins>That’s all we know.</ins>\n';
  res.writeHead(413, { 'content-type': 'text/html; charset=UTF-8', 'content-length': Buffer.byteLength(body), connection: 'close' });
  res.end(body);
}

/** What Cloud Run answers when the instance cannot be reached, broke the connection or never became ready. */
export function serviceUnavailable(reason: string): Denial {
  return deny('SERVICE_UNAVAILABLE', 'run', { reason });
}

export function sendServiceUnavailable(res: ProxiedResponse, denial: Denial, requestId?: string): void {
  const out = denialResponse(denial, requestId === undefined ? {} : { requestId });
  res.writeHead(out.status, { ...out.headers, 'content-length': Buffer.byteLength(out.body) });
  res.end(out.body);
}

/**
 * Passes a WebSocket (or any Upgrade) request through after the checks: opens the upgrade upstream
 * and splices the two sockets. Upgrade headers are hop-by-hop for ordinary requests, so they are put back.
 */
export function proxyUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, target: UpstreamTarget, headers: string[]): Promise<ProxyResult> {
  return new Promise((resolve) => {
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const up = send({
      protocol: target.protocol,
      host: target.host,
      port: target.port,
      method: req.method,
      path: req.url,
      headers: [...headers, 'Connection', 'Upgrade', 'Upgrade', req.headers.upgrade ?? 'websocket'] as unknown as OutgoingHttpHeaders,
    });
    up.on('upgrade', (upRes, upSocket, upHead) => {
      let head101 = `HTTP/1.1 ${upRes.statusCode ?? 101} ${upRes.statusMessage ?? 'Switching Protocols'}\r\n`;
      for (let i = 0; i < upRes.rawHeaders.length; i += 2) head101 += `${upRes.rawHeaders[i]}: ${upRes.rawHeaders[i + 1]}\r\n`;
      socket.write(head101 + '\r\n');
      if (upHead.length) socket.write(upHead);
      if (head.length) upSocket.write(head);
      upSocket.pipe(socket).pipe(upSocket);
      const close = () => {
        upSocket.destroy();
        socket.destroy();
      };
      // Either side ending ends the other: a spliced pair must not outlive its peer.
      upSocket.on('error', close);
      socket.on('error', close);
      // HTTP sockets allow half-open connections, so a peer's FIN would otherwise leave the pair hanging.
      upSocket.on('end', close);
      socket.on('end', close);
      upSocket.on('close', close);
      socket.on('close', close);
      resolve({ status: upRes.statusCode ?? 101, outcome: 'proxied' });
    });
    up.on('response', (upRes) => {
      // The service declined the upgrade: pass its answer on and close.
      let text = `HTTP/1.1 ${upRes.statusCode} ${upRes.statusMessage}\r\n`;
      const hdrs = downstreamHeaders(upRes.rawHeaders);
      for (let i = 0; i < hdrs.length; i += 2) text += `${hdrs[i]}: ${hdrs[i + 1]}\r\n`;
      socket.write(text + 'connection: close\r\n\r\n');
      upRes.pipe(socket);
      resolve({ status: upRes.statusCode ?? 502, outcome: 'proxied' });
    });
    up.on('error', (e: NodeJS.ErrnoException) => {
      const error = `cannot reach the service: ${e.code ?? e.message}`;
      const denial = serviceUnavailable(error);
      const out = denialResponse(denial);
      let text = 'HTTP/1.1 503 Service Unavailable\r\n';
      for (const [k, v] of Object.entries({ ...out.headers, 'content-length': String(Buffer.byteLength(out.body)), connection: 'close' })) text += `${k}: ${v}\r\n`;
      socket.end(`${text}\r\n${out.body}`);
      resolve({ status: 503, outcome: 'upstream-error', error, denial });
    });
    up.end();
  });
}

// The front door's reverse proxy: streams bodies both ways over keep-alive upstream connections, drops
// hop-by-hop headers (RFC 9110 §7.6.1, plus those the Connection header names), sets X-Forwarded-For and
// X-Forwarded-Proto, and applies what the checks decided (the signature-stripped X-Serverless-Authorization,
// a gate's header changes, the internal marker removed).
//
// Headers travel as flat raw arrays ([name, value, name, value, …], Node's rawHeaders form) so a request
// costs no header objects, and repeated headers (two Authorization lines passed through) keep their order.

import { Agent as HttpAgent, request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Duplex } from 'node:stream';
import { stripSignature } from '../lib/jwt.js';

/** Responses up to this size (by Content-Length) are sent in one write. */
const SMALL_RESPONSE_BYTES = 64 * 1024;

/** Cloud Run's request size limit for HTTP/1 (REFERENCE: 32 MiB). */
export const MAX_REQUEST_BYTES = 32 * 1024 * 1024;

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'proxy-authenticate', 'proxy-authorization']);

export interface UpstreamTarget {
  protocol: 'http:' | 'https:';
  host: string;
  port: number;
  /** Resolves when the service can take requests (a supervised command starting or restarting); undefined when it can now. */
  ready(): Promise<void> | undefined;
}

export interface HeaderEdits {
  /** The credential header Cloud Run verified: its value goes on with the signature replaced. */
  strippedCredential?: { header: string; token: string };
  /** Lowercase names, or prefixes ending in '*', to drop (the internal marker; a gate's removals). */
  remove?: readonly string[];
  /** Headers to add after removals. */
  set?: Readonly<Record<string, string>>;
}

/** The headers to send upstream, as a raw array. */
export function upstreamHeaders(req: IncomingMessage, edits: HeaderEdits, proto: string): string[] {
  const raw = req.rawHeaders;
  const out: string[] = [];
  let connectionTokens: Set<string> | undefined;
  const conn = req.headers.connection;
  if (conn !== undefined && conn.includes(',')) connectionTokens = new Set(conn.split(',').map((s) => s.trim().toLowerCase()));
  else if (conn !== undefined) connectionTokens = new Set([conn.trim().toLowerCase()]);
  let xff: string | undefined;
  let host = false;
  const remove = edits.remove;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || connectionTokens?.has(lower)) continue;
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
  if (!host) out.push('Host', req.headers.host ?? 'localhost');
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

export function clientAddress(req: IncomingMessage): string {
  const a = req.socket.remoteAddress ?? '';
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}

/** The response headers to pass back: everything but hop-by-hop (Node frames the body itself). */
function downstreamHeaders(raw: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const lower = raw[i]!.toLowerCase();
    if (HOP_BY_HOP.has(lower)) continue;
    out.push(raw[i]!, raw[i + 1]!);
  }
  return out;
}

export interface ProxyResult {
  status: number;
  outcome: 'proxied' | 'too-large' | 'upstream-error';
  error?: string;
}

/** Keep-alive agents shared by every front door of the process. */
export class UpstreamAgents {
  readonly http = new HttpAgent({ keepAlive: true, keepAliveMsecs: 30_000, maxSockets: 512, maxFreeSockets: 256, scheduling: 'lifo' });
  readonly https = new HttpsAgent({ keepAlive: true, keepAliveMsecs: 30_000, maxSockets: 512, maxFreeSockets: 256, scheduling: 'lifo' });

  destroy(): void {
    this.http.destroy();
    this.https.destroy();
  }
}

/** Proxies one request; resolves when the response is finished (or failed). Never rejects. */
export function proxyHttp(req: IncomingMessage, res: ServerResponse, target: UpstreamTarget, headers: string[], agents: UpstreamAgents): Promise<ProxyResult> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: ProxyResult) => {
      if (!settled) {
        settled = true;
        resolve(r);
      }
    };
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const upstream = send({
      protocol: target.protocol,
      host: target.host,
      port: target.port,
      method: req.method,
      path: req.url,
      // Node accepts the raw [name, value, …] form here (http.request, Node ≥ 18.15).
      headers: headers as unknown as OutgoingHttpHeaders,
      agent: target.protocol === 'https:' ? agents.https : agents.http,
    });
    upstream.on('response', (up) => {
      const status = up.statusCode ?? 502;
      const len = up.headers['content-length'];
      if (len !== undefined && Number(len) <= SMALL_RESPONSE_BYTES && up.headers['transfer-encoding'] === undefined) {
        // Small bodies are collected and sent with the headers in one write (one syscall instead of two or three).
        const chunks: Buffer[] = [];
        up.on('data', (c: Buffer) => chunks.push(c));
        up.on('end', () => {
          res.writeHead(status, up.statusMessage, downstreamHeaders(up.rawHeaders));
          res.end(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
        });
      } else {
        res.writeHead(status, up.statusMessage, downstreamHeaders(up.rawHeaders));
        up.pipe(res);
      }
      up.on('error', (e) => {
        res.destroy(e);
        done({ status, outcome: 'upstream-error', error: `the service's response broke off: ${e.message}` });
      });
      res.on('close', () => {
        if (!res.writableFinished) up.destroy();
        done(res.writableFinished ? { status, outcome: 'proxied' } : { status, outcome: 'upstream-error', error: 'the client went away before the response ended' });
      });
    });
    upstream.on('error', (e: NodeJS.ErrnoException) => {
      if (settled) return;
      if (tooLarge) return;
      if (!res.headersSent) sendServiceUnavailable(res);
      else res.destroy();
      done({ status: 503, outcome: 'upstream-error', error: `cannot reach the service at ${target.protocol}//${target.host}:${target.port}: ${e.code ?? e.message}` });
    });

    let tooLarge = false;
    const cl = req.headers['content-length'];
    if ((cl === undefined || cl === '0') && req.headers['transfer-encoding'] === undefined) {
      // No body: end at once, so the request head goes out in one write.
      upstream.end();
      return;
    }
    // Request body: streamed, counted against the 32 MiB limit (chunked bodies have no Content-Length to check up front).
    let received = 0;
    req.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > MAX_REQUEST_BYTES && !tooLarge) {
        tooLarge = true;
        upstream.destroy();
        req.unpipe(upstream);
        if (!res.headersSent) sendTooLarge(res);
        else res.destroy();
        done({ status: 413, outcome: 'too-large', error: `request body exceeded ${MAX_REQUEST_BYTES} bytes` });
      }
    });
    req.pipe(upstream);
    req.on('aborted', () => upstream.destroy());
  });
}

/** Google Front End's 413 page (Cloud Run's 32 MiB request limit). */
export function sendTooLarge(res: ServerResponse): void {
  const body =
    '<!DOCTYPE html>\n<html lang=en>\n  <meta charset=utf-8>\n  <meta name=viewport content="initial-scale=1, minimum-scale=1, width=device-width">\n' +
    '  <title>Error 413 (Request Entity Too Large)!!1</title>\n' +
    '  <p><b>413.</b> <ins>That’s an error.</ins>\n  <p>Your client issued a request that was too large.\n  <ins>That’s all we know.</ins>\n';
  res.writeHead(413, { 'content-type': 'text/html; charset=UTF-8', 'content-length': Buffer.byteLength(body), connection: 'close' });
  res.end(body);
}

/** What Cloud Run answers when the instance cannot be reached or broke the connection. */
export function sendServiceUnavailable(res: ServerResponse): void {
  const body =
    'The request failed because either the HTTP response was malformed or connection to the instance had an error. ' +
    'Additional troubleshooting documentation can be found at: https://cloud.google.com/run/docs/troubleshooting#malformed-response-or-connection-error\n';
  res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
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
      socket.end('HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
      resolve({ status: 503, outcome: 'upstream-error', error: `cannot reach the service: ${e.code ?? e.message}` });
    });
    up.end();
  });
}

// Streams a request to its target and the answer back, without buffering bodies. Hop-by-hop headers
// (RFC 9110 §7.6.1, plus those the Connection header names) are dropped in both directions, and Expect,
// which this side has already answered (lib/http-headers.ts SETTLED_BY_PROXY).

import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { HOP_BY_HOP, SETTLED_BY_PROXY } from '../lib/http-headers.js';

/** `headers` without hop-by-hop headers and Expect; names are lower-case. */
export function endToEndHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const named = String(headers['connection'] ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || SETTLED_BY_PROXY.has(name) || named.includes(name)) continue;
    out[name] = value;
  }
  return out;
}

export interface ProxyTarget {
  /** Where to connect (a local front door, or the URL itself for outside targets). */
  url: URL;
  method: string;
  headers: OutgoingHttpHeaders;
  /** Milliseconds without a response before giving up. */
  timeoutMs: number;
}

export type ProxyOutcome = { ok: true; status: number; headers: IncomingHttpHeaders } | { ok: false; reason: string; timedOut: boolean };

const httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 256 });
const httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 256 });

/**
 * Sends `req`'s body to `target` and, once the target answers, streams its answer to `res` after
 * `onResponse` has looked at the status and headers (and may add headers). Resolves when the answer started
 * (ok) or the target could not be reached (not ok, nothing written to `res`).
 */
export function proxy(req: IncomingMessage, res: ServerResponse, target: ProxyTarget, onResponse: (status: number, headers: OutgoingHttpHeaders) => void): Promise<ProxyOutcome> {
  return new Promise((resolve) => {
    const https = target.url.protocol === 'https:';
    const upstream = (https ? httpsRequest : httpRequest)(target.url, { method: target.method, headers: target.headers, agent: https ? httpsAgent : httpAgent });
    let settled = false;
    const fail = (reason: string, timedOut = false) => {
      if (settled) return;
      settled = true;
      upstream.destroy();
      resolve({ ok: false, reason, timedOut });
    };
    upstream.setTimeout(target.timeoutMs, () => fail(`no answer within ${target.timeoutMs} ms`, true));
    upstream.on('error', (e) => {
      if (!settled) fail(e.message);
      else res.destroy(e);
    });
    upstream.on('response', (up) => {
      settled = true;
      upstream.setTimeout(0);
      const headers = endToEndHeaders(up.headers);
      onResponse(up.statusCode ?? 502, headers);
      res.writeHead(up.statusCode ?? 502, headers);
      up.pipe(res);
      up.on('error', (e) => res.destroy(e));
      resolve({ ok: true, status: up.statusCode ?? 502, headers: up.headers });
    });
    // The client went away: stop the upstream exchange too.
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  });
}

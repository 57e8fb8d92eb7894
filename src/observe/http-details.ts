// The parts of an HTTP request that Cloud Logging's httpRequest and trace fields describe, taken in one
// pass over rawHeaders (the front door's hot path never builds req.headers). Credentials are only
// counted in requestSize, never copied.

import type { IncomingMessage } from 'node:http';
import type { HeaderFacts } from '../lib/http-headers.js';
import type { HttpDetails } from './request-log.js';

/** `facts`: the request's headers read once (lib/http-headers.ts headerFacts), shared with the proxy. */
export function httpDetails(req: Pick<IncomingMessage, 'url' | 'method' | 'httpVersion'>, facts: HeaderFacts, responseSize?: number): HttpDetails {
  const url = req.url ?? '/';
  const method = req.method ?? 'GET';
  // "METHOD URL HTTP/1.1\r\n", the header lines, the blank line's "\r\n", and the declared body.
  const declared = facts.contentLength;
  const bodySize = declared !== undefined && /^\d+$/.test(declared) ? Number(declared) : 0;
  const out: HttpDetails = { requestSize: method.length + url.length + 14 + facts.headerBytes + bodySize, protocol: `HTTP/${req.httpVersion}` };
  if (facts.referer !== undefined) out.referer = facts.referer;
  if (facts.userAgent !== undefined) out.userAgent = facts.userAgent;
  if (facts.traceparent !== undefined) out.traceparent = facts.traceparent;
  if (facts.cloudTraceContext !== undefined) out.cloudTraceContext = facts.cloudTraceContext;
  const q = url.indexOf('?');
  if (q >= 0) out.query = url.slice(q);
  if (responseSize !== undefined) out.responseSize = responseSize;
  return out;
}

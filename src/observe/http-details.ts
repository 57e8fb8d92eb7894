// The parts of an HTTP request that Cloud Logging's httpRequest and trace fields describe, taken in one
// pass over rawHeaders (the front door's hot path never builds req.headers). Credentials are only
// counted in requestSize, never copied.

import type { IncomingMessage } from 'node:http';
import type { HttpDetails } from './request-log.js';

export function httpDetails(req: Pick<IncomingMessage, 'rawHeaders' | 'url' | 'method' | 'httpVersion'>, responseSize?: number): HttpDetails {
  const raw = req.rawHeaders;
  const url = req.url ?? '/';
  const method = req.method ?? 'GET';
  let size = method.length + url.length + 14; // "METHOD URL HTTP/1.1\r\n" and the blank line's "\r\n"
  let bodySize = 0;
  const out: HttpDetails = { requestSize: 0, protocol: `HTTP/${req.httpVersion}` };
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    size += name.length + value.length + 4;
    switch (name.length) {
      case 7:
        if (name.toLowerCase() === 'referer') out.referer = value;
        break;
      case 10:
        if (name.toLowerCase() === 'user-agent') out.userAgent = value;
        break;
      case 11:
        if (name.toLowerCase() === 'traceparent') out.traceparent = value;
        break;
      case 14:
        if (name.toLowerCase() === 'content-length' && /^\d+$/.test(value)) bodySize = Number(value);
        break;
      case 21:
        if (name.toLowerCase() === 'x-cloud-trace-context') out.cloudTraceContext = value;
        break;
    }
  }
  out.requestSize = size + bodySize;
  const q = url.indexOf('?');
  if (q >= 0) out.query = url.slice(q);
  if (responseSize !== undefined) out.responseSize = responseSize;
  return out;
}

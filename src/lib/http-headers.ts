// What every proxy here (front doors, the gateway) does the same way with headers.
import type { IncomingMessage } from 'node:http';

/** Hop-by-hop headers (RFC 9110 §7.6.1, plus the proxy-* ones), never forwarded. */
export const HOP_BY_HOP: ReadonlySet<string> = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'proxy-authenticate', 'proxy-authorization']);

/**
 * Request headers a proxy in front of the service settles itself and does not pass on: `Expect: 100-continue`,
 * which Node's server has already answered with 100 Continue before the body came (RFC 9110 §10.1.1: Google's
 * front end answers it too), and which undici refuses to send (UND_ERR_NOT_SUPPORTED).
 */
export const SETTLED_BY_PROXY: ReadonlySet<string> = new Set(['expect']);

/** The client's address for X-Forwarded-For (::ffff:10.0.0.1 → 10.0.0.1, as dual-stack sockets report IPv4). */
export function clientAddress(req: Pick<IncomingMessage, 'socket'> | { socket: { remoteAddress?: string | undefined } }): string {
  const a = req.socket.remoteAddress ?? '';
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}

/**
 * The request headers the front door, the proxy and the request log act on, from one pass over rawHeaders:
 * reading `req.headers` makes Node build an object of every header, on every request, and a pass per reader
 * scanned them again for each.
 */
export interface HeaderFacts {
  /** The first Host (Node keeps the first of duplicates). */
  host: string | undefined;
  /** Repeated lines joined with ", ", as Node joins them. */
  connection: string | undefined;
  contentLength: string | undefined;
  transferEncoding: string | undefined;
  /** For Cloud Logging's httpRequest and trace fields (observe/http-details.ts): the last line of each. */
  referer: string | undefined;
  userAgent: string | undefined;
  traceparent: string | undefined;
  cloudTraceContext: string | undefined;
  /** Every header line's bytes: name, ": ", value and CRLF. */
  headerBytes: number;
}

export function headerFacts(raw: readonly string[]): HeaderFacts {
  const f: HeaderFacts = {
    host: undefined,
    connection: undefined,
    contentLength: undefined,
    transferEncoding: undefined,
    referer: undefined,
    userAgent: undefined,
    traceparent: undefined,
    cloudTraceContext: undefined,
    headerBytes: 0,
  };
  let bytes = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    bytes += name.length + value.length + 4;
    // Cheap length filter before the case-insensitive compare.
    switch (name.length) {
      case 4:
        if (f.host === undefined && name.toLowerCase() === 'host') f.host = value;
        break;
      case 7:
        if (name.toLowerCase() === 'referer') f.referer = value;
        break;
      case 10:
        if (name.toLowerCase() === 'connection') f.connection = f.connection === undefined ? value : `${f.connection}, ${value}`;
        else if (name.toLowerCase() === 'user-agent') f.userAgent = value;
        break;
      case 11:
        if (name.toLowerCase() === 'traceparent') f.traceparent = value;
        break;
      case 14:
        if (f.contentLength === undefined && name.toLowerCase() === 'content-length') f.contentLength = value;
        break;
      case 17:
        if (name.toLowerCase() === 'transfer-encoding') f.transferEncoding = f.transferEncoding === undefined ? value : `${f.transferEncoding}, ${value}`;
        break;
      case 21:
        if (name.toLowerCase() === 'x-cloud-trace-context') f.cloudTraceContext = value;
        break;
    }
  }
  f.headerBytes = bytes;
  return f;
}

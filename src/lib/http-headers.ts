// What every proxy here (front doors, the gateway) does the same way with headers.
import type { IncomingMessage } from 'node:http';

/** Hop-by-hop headers (RFC 9110 §7.6.1, plus the proxy-* ones), never forwarded. */
export const HOP_BY_HOP: ReadonlySet<string> = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'proxy-authenticate', 'proxy-authorization']);

/** The client's address for X-Forwarded-For (::ffff:10.0.0.1 → 10.0.0.1, as dual-stack sockets report IPv4). */
export function clientAddress(req: Pick<IncomingMessage, 'socket'> | { socket: { remoteAddress?: string | undefined } }): string {
  const a = req.socket.remoteAddress ?? '';
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}

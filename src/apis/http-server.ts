// The HTTP servers authplane answers on (the API port, front doors, gateways, metadata servers) as Google's
// front end: request headers up to HEADER_LIMIT_BYTES, and requests Node's parser refuses answered with a
// Google-shaped refusal instead of Node's bare 400/431. Google does not publish its header limit; its front
// end answers oversized requests with the 413 page (recorded responses carry a cookie-clearing script, the
// usual cause being cookies: REFERENCE §13), so 64 KiB keeps what Google accepts working here.

import { createServer, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { deny } from '../verify/denial.js';
import type { Surface } from '../verify/codes.js';
import { denialResponse } from '../verify/response.js';

export const HEADER_LIMIT_BYTES = 64 * 1024;

const REASONS: Record<number, string> = { 400: 'Bad Request', 413: 'Payload Too Large' };

/** createServer with Google's front-end limits; `surface` shapes the refusals of requests that cannot be parsed. */
export function googleFrontEndServer(surface: Surface, options: ServerOptions, handler: (req: IncomingMessage, res: ServerResponse) => void): Server {
  const server = createServer({ maxHeaderSize: HEADER_LIMIT_BYTES, ...options }, handler);
  server.on('clientError', (e: Error & { code?: string }, socket: Duplex) => {
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    // The client took longer than headersTimeout to send its headers: what Node itself answers.
    if (e.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      socket.end('HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
      return;
    }
    const denial =
      e.code === 'HPE_HEADER_OVERFLOW'
        ? deny('REQUEST_HEADERS_TOO_LARGE', surface, { limit: HEADER_LIMIT_BYTES })
        : // Anything else the parser refuses (an unknown method, a malformed request line or header).
          deny('REQUEST_MALFORMED', surface, { reason: parserReason(e) });
    const out = denialResponse(denial);
    let head = `HTTP/1.1 ${out.status} ${REASONS[out.status] ?? 'Error'}\r\n`;
    for (const [k, v] of Object.entries({ ...out.headers, 'content-length': String(Buffer.byteLength(out.body)), connection: 'close' })) head += `${k}: ${v}\r\n`;
    socket.end(`${head}\r\n${out.body}`);
  });
  return server;
}

/** Node's parser error in words: "Parse Error: Invalid method encountered" → "invalid method encountered (HPE_INVALID_METHOD)". */
function parserReason(e: Error & { code?: string }): string {
  const words = e.message.replace(/^Parse Error:\s*/, '');
  return `${words.charAt(0).toLowerCase()}${words.slice(1)}${e.code ? ` (${e.code})` : ''}`;
}

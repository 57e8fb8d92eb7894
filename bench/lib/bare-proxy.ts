// A reverse proxy in Node with none of authplane's work: node:http's server in front of an undici Pool with the
// front door's settings (src/run/proxy.ts: dispatch API, 256 keep-alive connections), dropping hop-by-hop headers
// and adding X-Forwarded-For/-Proto as the front door does (with its hop-by-hop set and client address,
// src/lib/http-headers.ts). Every response is buffered and sent with its headers in one write, as the front door
// sends small ones of known length (the bench's upstream answers 11 bytes); no streaming, so it is for that bench
// only. bench/frontdoor runs it beside nginx and the front door, so a run shows how much of the gap to nginx is
// Node's HTTP server and client and how much is authplane's checks, logging and bookkeeping.
// Run: node --max-semi-space-size=64 dist/bench/lib/bare-proxy.js PORT UPSTREAM_ORIGIN

import { createServer } from 'node:http';
import { Pool, type Dispatcher } from 'undici';
import { clientAddress, HOP_BY_HOP } from '../../src/lib/http-headers.js';

const [portArg, upstream] = process.argv.slice(2);
if (portArg === undefined || upstream === undefined) {
  console.error('usage: bare-proxy.js PORT UPSTREAM_ORIGIN');
  process.exit(2);
}
const pool = new Pool(upstream, { connections: 256, pipelining: 1, keepAliveTimeout: 30_000, headersTimeout: 0, bodyTimeout: 0 });

createServer((req, res) => {
  const raw = req.rawHeaders;
  const headers: string[] = [];
  for (let i = 0; i < raw.length; i += 2) if (!HOP_BY_HOP.has(raw[i]!.toLowerCase())) headers.push(raw[i]!, raw[i + 1]!);
  headers.push('X-Forwarded-For', clientAddress(req), 'X-Forwarded-Proto', 'http');
  let status = 502;
  let statusText: string | undefined;
  const head: string[] = [];
  const body: Buffer[] = [];
  const handler: Dispatcher.DispatchHandlers = {
    onConnect() {},
    onHeaders(code, rawHeaders, _resume, text) {
      status = code;
      statusText = text;
      const rh = rawHeaders as unknown as Buffer[];
      for (let i = 0; i < rh.length; i += 2) {
        const name = rh[i]!.toString('latin1');
        if (!HOP_BY_HOP.has(name.toLowerCase())) head.push(name, rh[i + 1]!.toString('latin1'));
      }
      return true;
    },
    onData(chunk) {
      body.push(chunk);
      return true;
    },
    onComplete() {
      res.writeHead(status, statusText, head);
      res.end(body.length === 1 ? body[0] : Buffer.concat(body));
    },
    onError(e) {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(String(e));
    },
  };
  pool.dispatch({ method: req.method as Dispatcher.HttpMethod, path: req.url ?? '/', headers, body: req.method === 'GET' || req.method === 'HEAD' ? null : req }, handler);
}).listen(Number(portArg), '127.0.0.1');

// Exit through process.exit on a signal so that `node --cpu-prof` writes its profile.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(0));

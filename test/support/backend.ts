// A service behind a front door, for tests: answers 200 "ok" (or what `handler` says) on a free port.
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Backend {
  /** http://127.0.0.1:PORT, the `upstream` for a service. */
  url: string;
  server: Server;
  close(): Promise<void>;
}

export async function startBackend(handler: RequestListener = (_req, res) => res.end('ok')): Promise<Backend> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

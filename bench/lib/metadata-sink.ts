// Imported first by the benches that drive Google's client libraries: run directly (node dist/bench/X.js)
// rather than through `npm run bench` (which gives every bench scripts/metadata-sink.mjs's environment), they
// would look for Google's metadata server at metadata.google.internal and 169.254.169.254 — traffic leaving the
// machine, and a wait. The same sink: METADATA_SERVER_DETECTION=none, and the metadata host on a loopback port
// this process holds, where every connection is closed at once. Unreferenced: it never keeps a bench running.
import { createServer } from 'node:net';

if (process.env.GCE_METADATA_HOST === undefined) {
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  server.unref();
  const address = `127.0.0.1:${(server.address() as { port: number }).port}`;
  Object.assign(process.env, { METADATA_SERVER_DETECTION: 'none', GCE_METADATA_HOST: address, GCE_METADATA_IP: address });
}

// What the test and bench runners give every process they start instead of Google's metadata server.
// Google's client libraries, built without credentials, look for it at metadata.google.internal and
// 169.254.169.254: off Google Cloud that is stray traffic leaving the machine, and a wait for it to time
// out. METADATA_SERVER_DETECTION=none tells them not to look; GCE_METADATA_HOST and GCE_METADATA_IP point
// any code that looks anyway at a loopback port the runner holds (so nothing else can take it), where
// every connection is closed at once. Tests that want a metadata server set these
// variables themselves (test/support/metadata-env.ts).
import { createServer } from 'node:net';

/** Starts the sink; resolves with the environment to give children, and close(). */
export async function startMetadataSink() {
  const server = createServer((socket) => socket.destroy());
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = `127.0.0.1:${server.address().port}`;
  return {
    env: { METADATA_SERVER_DETECTION: 'none', GCE_METADATA_HOST: address, GCE_METADATA_IP: address },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

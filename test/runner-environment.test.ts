// No stray traffic: every process the test runner starts is told not to look for Google's metadata
// server, and code that looks anyway reaches a loopback port the runner holds, which answers nothing.
// (Run through npm test / scripts/run-tests.mjs, which sets this up.)
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { connect } from 'node:net';
import { test } from 'node:test';
import { gcpMetadata } from 'google-auth-library';

test("the runner's environment: METADATA_SERVER_DETECTION=none, GCE_METADATA_HOST and GCE_METADATA_IP on a loopback sink", async () => {
  assert.equal(process.env.METADATA_SERVER_DETECTION, 'none', 'run the tests through npm test (scripts/run-tests.mjs)');
  const sink = process.env.GCE_METADATA_HOST ?? '';
  assert.match(sink, /^127\.0\.0\.1:\d+$/);
  assert.equal(process.env.GCE_METADATA_IP, sink);

  // The sink closes every connection without a byte: no one can serve metadata there.
  const [host, port] = sink.split(':') as [string, string];
  const answer = await new Promise<string>((resolve, reject) => {
    let data = '';
    const s = connect({ host, port: Number(port) }, () => s.write('GET /computeMetadata/v1/instance HTTP/1.1\r\nHost: x\r\nMetadata-Flavor: Google\r\n\r\n'));
    s.on('data', (d: Buffer) => (data += d.toString()));
    s.on('close', () => resolve(data));
    s.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' || e.code === 'EPIPE' ? undefined : reject(e)));
  });
  assert.equal(answer, '');

  // Google's library, asked whether a metadata server is there, says no without looking.
  assert.equal(await gcpMetadata.isAvailable(), false);

  // Processes the tests start (authplane, its supervised commands' parents) inherit it.
  const seen = JSON.parse(
    execFileSync(process.execPath, ['-p', 'JSON.stringify([process.env.METADATA_SERVER_DETECTION, process.env.GCE_METADATA_HOST, process.env.GCE_METADATA_IP])'], { encoding: 'utf8' }),
  ) as string[];
  assert.deepEqual(seen, ['none', sink, sink]);
});

// Requests Node's HTTP parser refuses are answered as Google's front end answers them, on every port: request
// headers Google accepts (tens of KiB of cookies) pass; beyond 64 KiB the 413 page with REQUEST_HEADERS_TOO_LARGE;
// a malformed request or an unknown method the 400 page with REQUEST_MALFORMED — never Node's bare 400/431 or a
// dropped connection.

import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startTestAuthplane, type TestAuthplane } from './support/authplane.js';
import { runCli } from './support/cli.js';

/** Sends `raw` and returns the whole answer (the server closes the connection). */
function rawExchange(port: number, raw: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.write(raw));
    const chunks: Buffer[] = [];
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('error', reject);
    s.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

const request = (cookieBytes: number) => `GET / HTTP/1.1\r\nHost: localhost\r\nCookie: c=${'x'.repeat(cookieBytes)}\r\nConnection: close\r\n\r\n`;

describe('header limits and unparseable requests', () => {
  let ap: TestAuthplane;
  let backend: Server;
  let frontDoor: number;
  let apiPort: number;

  before(async () => {
    // The service itself takes large headers (a Node server's own default is 16 KiB).
    backend = createServer({ maxHeaderSize: 256 * 1024 }, (_req, res) => res.end('ok'));
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
    const upstream = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
    ap = await startTestAuthplane({ serviceAccounts: [{ name: 'caller' }], iam: { bindings: [{ resource: 'projects/demo-project', role: 'roles/iam.serviceAccountTokenCreator', members: ['user:developer@example.com'] }] }, services: [{ name: 'open', upstream, invokerIamCheck: false }] });
    frontDoor = Number(new URL(ap.platform.directory.get('open')!.urls.local!).port);
    apiPort = Number(new URL(ap.apiUrl).port);
  });
  after(async () => {
    await ap?.stop();
    await new Promise((r) => backend?.close(r));
  });

  it('a 40 KiB cookie reaches the service, as it would through Google\'s front end', async () => {
    const answer = await rawExchange(frontDoor, request(40 * 1024));
    assert.match(answer, /^HTTP\/1\.1 200 /);
  });

  it('past 64 KiB: Google Front End\'s 413 page, the code, and the fix', async () => {
    for (const port of [frontDoor, apiPort]) {
      const answer = await rawExchange(port, request(70 * 1024));
      assert.match(answer, /^HTTP\/1\.1 413 /, `port ${port}`);
      assert.match(answer, /x-authplane-denial: REQUEST_HEADERS_TOO_LARGE/i);
      assert.match(answer, /<title>413 Request Entity Too Large<\/title>/);
      assert.match(answer, /Your client issued a request that was too large\./);
    }
  });

  it("a malformed request or an unknown method: Google Front End's 400 page, the code and the parser's reason, the connection closed", async () => {
    for (const port of [frontDoor, apiPort]) {
      for (const raw of ['GET / HTTP/1.1\r\nHost localhost\r\n\r\n', 'BOGUS / HTTP/1.1\r\nHost: localhost\r\n\r\n']) {
        const answer = await rawExchange(port, raw);
        assert.match(answer, /^HTTP\/1\.1 400 Bad Request\r\n/, `port ${port}: ${raw.split('\r\n')[0]}`);
        assert.match(answer, /x-authplane-denial: REQUEST_MALFORMED/i);
        assert.match(answer, /connection: close/i);
        assert.match(answer, /<title>400 Bad Request<\/title>/);
        assert.match(answer, /Your client has issued a malformed or illegal request\./);
      }
    }
  });

  it('authplane invoke -X BOGUS: the code, why and fix from the code table (such a refusal is not in the request log)', async () => {
    const url = ap.platform.directory.get('open')!.urls.deterministic!;
    const r = await runCli(['invoke', '--impersonate', 'caller', '-X', 'BOGUS', url], { env: { AUTHPLANE_URL: ap.apiUrl } });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /^status +400 /m, r.stderr);
    assert.match(r.stdout, /^result +REFUSED 400 REQUEST_MALFORMED \(not in the request log\)$/m);
    assert.match(r.stdout, /^why +The request is not well-formed HTTP\/1\.1/m);
    assert.match(r.stdout, /^fix +Send a well-formed HTTP\/1\.1 request: a standard method/m);
  });
});

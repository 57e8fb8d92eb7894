// Requests Node's HTTP parser refuses are answered as Google's front end answers them, on every port: request
// headers Google accepts (tens of KiB of cookies) pass; beyond 64 KiB the 413 page with REQUEST_HEADERS_TOO_LARGE;
// a malformed request a bare 400 — never Node's bare 431 or a dropped connection.

import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startTestAuthplane, type TestAuthplane } from './support/authplane.js';

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
    ap = await startTestAuthplane({ services: [{ name: 'open', upstream, invokerIamCheck: false }] });
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

  it('a malformed request: a bare 400, the connection closed', async () => {
    const answer = await rawExchange(frontDoor, 'GET / HTTP/1.1\r\nHost localhost\r\n\r\n');
    assert.match(answer, /^HTTP\/1\.1 400 Bad Request\r\n/);
  });
});

// authplane/client when token endpoints misbehave, played by local servers: a metadata server that stalls
// mid-answer or fails for a while, an IAM Credentials endpoint that never answers, and callers who stop
// waiting. Every failure is a TokenFetchError with its code, or the caller's own abort; nothing hangs.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { cachedSource, deriveAudience, impersonatedSource, metadataBaseUrl, metadataServerSource, TokenFetchError } from '../src/client/index.js';
import { onGoogleCloud } from '../src/client/gcp-residency.js';
import { encodeSegment } from '../src/lib/jwt.js';

const AUD = 'https://update-123456789012.us-central1.run.app';
/** A JWT-shaped token (the client reads only its exp). */
const fakeIdToken = () => `${encodeSegment({ alg: 'RS256' })}.${encodeSegment({ exp: Math.floor(Date.now() / 1000) + 3600 })}.c2ln`;

const servers: { close(): void; closeAllConnections(): void }[] = [];
after(() => {
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
});

/** A local server answering with `handle`; resolves to host:port. */
async function serve(handle: (req: IncomingMessage, res: ServerResponse, n: number) => void): Promise<{ host: string; requests: () => number }> {
  let n = 0;
  const server = createServer((req, res) => handle(req, res, ++n));
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { host: `127.0.0.1:${(server.address() as AddressInfo).port}`, requests: () => n };
}

const metadataAnswer = (res: ServerResponse, status: number, body: string) => res.writeHead(status, { 'metadata-flavor': 'Google', 'content-type': 'text/plain' }).end(body);

describe('the metadata server source', () => {
  it('a server that sends its headers and then stalls is METADATA_UNREACHABLE once the time limit passes', async () => {
    const srv = await serve((_req, res) => {
      res.writeHead(200, { 'metadata-flavor': 'Google' });
      res.write('eyJ'); // and never the rest
    });
    const source = metadataServerSource({ host: srv.host, timeoutMs: 300, retries: 0 });
    await assert.rejects(source.idToken(AUD), (e: unknown) => e instanceof TokenFetchError && e.code === 'METADATA_UNREACHABLE' && /within 300 ms/.test(e.message));
  });

  it("is asked again after 5xx and 429, as gcp-metadata does, and answers with the token that finally comes", async () => {
    const token = fakeIdToken();
    const srv = await serve((_req, res, n) => (n === 1 ? metadataAnswer(res, 503, 'busy') : n === 2 ? metadataAnswer(res, 429, 'slow down') : metadataAnswer(res, 200, token)));
    assert.equal((await metadataServerSource({ host: srv.host }).idToken(AUD)).token, token);
    assert.equal(srv.requests(), 3);
  });

  it('gives up after its retries with the last answer: METADATA_REFUSED, status and body', async () => {
    const srv = await serve((_req, res) => metadataAnswer(res, 500, 'internal trouble'));
    await assert.rejects(metadataServerSource({ host: srv.host, retries: 1 }).idToken(AUD), (e: unknown) => e instanceof TokenFetchError && e.code === 'METADATA_REFUSED' && e.status === 500 && /internal trouble/.test(e.message));
    assert.equal(srv.requests(), 2);
  });

  it('a 404 is an answer, not tried again', async () => {
    const srv = await serve((_req, res) => metadataAnswer(res, 404, 'not found'));
    await assert.rejects(metadataServerSource({ host: srv.host }).idToken(AUD), (e: unknown) => e instanceof TokenFetchError && e.code === 'METADATA_REFUSED' && e.status === 404);
    assert.equal(srv.requests(), 1);
  });

  it("reads GCE_METADATA_IP before GCE_METADATA_HOST, as Node's gcp-metadata", () => {
    assert.equal(metadataBaseUrl(undefined, { GCE_METADATA_IP: '127.0.0.1:1', GCE_METADATA_HOST: '127.0.0.1:2' }), 'http://127.0.0.1:1');
    assert.equal(metadataBaseUrl(undefined, { GCE_METADATA_HOST: '127.0.0.1:2' }), 'http://127.0.0.1:2');
    assert.equal(metadataBaseUrl('127.0.0.1:3', { GCE_METADATA_IP: '127.0.0.1:1' }), 'http://127.0.0.1:3');
  });

  it("knows Cloud Run, Cloud Functions and their jobs by their environment (gcp-metadata's residency rule)", () => {
    for (const name of ['K_SERVICE', 'FUNCTION_NAME', 'CLOUD_RUN_JOB']) assert.equal(onGoogleCloud({ [name]: 'x' }), true, name);
  });
});

describe('IAM Credentials impersonation', () => {
  it('an endpoint that never answers is IMPERSONATION_FAILED after the time limit, not a call that hangs', async () => {
    const srv = await serve(() => undefined); // reads the request, never answers
    const source = impersonatedSource({ targetServiceAccount: 'x@p.iam.gserviceaccount.com', sourceCredentials: { accessToken: 'ya29.test' }, endpoint: `http://${srv.host}`, timeoutMs: 300 });
    await assert.rejects(source.idToken(AUD), (e: unknown) => e instanceof TokenFetchError && e.code === 'IMPERSONATION_FAILED' && /within 300 ms/.test(e.message));
  });
});

describe("a caller's AbortSignal on a shared fetch", () => {
  it('the caller who aborts stops waiting at once with its reason; the others still get the token', async () => {
    const token = fakeIdToken();
    let answer!: () => void;
    const answered = new Promise<void>((r) => (answer = r));
    const srv = await serve((_req, res) => void answered.then(() => metadataAnswer(res, 200, token)));
    const source = cachedSource(metadataServerSource({ host: srv.host, timeoutMs: 0 }));
    const patient = source.idToken(AUD);
    const controller = new AbortController();
    const impatient = source.idToken(AUD, { signal: controller.signal });
    controller.abort();
    await assert.rejects(impatient, (e: unknown) => (e as Error).name === 'AbortError');
    answer();
    assert.equal((await patient).token, token);
    assert.equal(srv.requests(), 1, 'one fetch, shared');
    const already = AbortSignal.abort(new Error('gave up'));
    await assert.rejects(source.idToken(AUD, { signal: already }), /gave up/);
  });
});

describe('custom audiences without a scheme', () => {
  it('an IAP OAuth client ID or a name of your own is no mistake; the target host without https:// is', () => {
    const url = 'https://iap.example.com/x';
    assert.deepEqual(deriveAudience(url, '123-abc.apps.googleusercontent.com').warnings, []);
    assert.deepEqual(deriveAudience(url, 'my-custom-audience').warnings, []);
    assert.equal(deriveAudience(url, 'iap.example.com').warnings[0]?.code, 'AUDIENCE_NO_SCHEME');
    assert.equal(deriveAudience(url, 'IAP.example.com:443').warnings[0]?.code, 'AUDIENCE_NO_SCHEME');
    const query = deriveAudience(url, 'https://iap.example.com/?x=1').warnings[0];
    assert.equal(query?.code, 'AUDIENCE_HAS_QUERY');
    assert.equal(query?.hint, 'query', "the hint authplane's verifier gives the same mistake");
  });
});

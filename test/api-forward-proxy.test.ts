// The API port as the HTTP proxy gcloud's proxy/* settings name: absolute-form requests (RFC 9112 §3.2.2)
// for Google API hosts and for itself, REGION-prefixed as gcloud derives them, are served by authplane's own
// routes; every other target, and every CONNECT, is refused with PROXY_TARGET_REFUSED and forwarded nowhere.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startTestAuthplane, type TestAuthplane } from './support/authplane.js';

describe('the API port as gcloud\'s HTTP proxy', () => {
  let ap: TestAuthplane;
  let port: number;

  /** A request whose request line carries `target` as written (absolute form), with `host` as the Host header. */
  const viaProxy = (target: string, host: string) =>
    new Promise<{ status: number; denial: string | undefined; body: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: target, headers: { host } }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, denial: res.headers['x-authplane-denial'] as string | undefined, body }));
      });
      req.on('error', reject);
      req.end();
    });

  before(async () => {
    ap = await startTestAuthplane({ services: [{ name: 'update', upstream: 'http://127.0.0.1:9' }] });
    port = Number(new URL(ap.apiUrl).port);
  });
  after(async () => ap?.stop());

  it('serves its own address in absolute form, as gcloud sends every request through the proxy', async () => {
    const r = await viaProxy(`http://127.0.0.1:${port}/v1/projects/demo-project?alt=json`, `127.0.0.1:${port}`);
    assert.equal(r.status, 200);
    assert.equal((JSON.parse(r.body) as { projectId: string }).projectId, 'demo-project');
    assert.equal((await viaProxy(`http://localhost:${port}/healthz`, `localhost:${port}`)).status, 200, 'localhost is this machine too');
  });

  it('serves the regional host gcloud derives from an override (us-central1-127.0.0.1:PORT), which no URL parser accepts', async () => {
    const host = `us-central1-127.0.0.1:${port}`;
    const r = await viaProxy(`http://${host}/apis/serving.knative.dev/v1/namespaces/demo-project/services/update?alt=json`, host);
    assert.equal(r.status, 200);
    assert.equal((JSON.parse(r.body) as { metadata: { name: string } }).metadata.name, 'update');
  });

  it('serves Google API hosts, REGION-prefixed or not, with authplane\'s own routes', async () => {
    const regional = await viaProxy('http://us-central1-run.googleapis.com/apis/serving.knative.dev/v1/namespaces/demo-project/services', 'us-central1-run.googleapis.com');
    assert.equal(regional.status, 200);
    assert.deepEqual((JSON.parse(regional.body) as { items: { metadata: { name: string } }[] }).items.map((i) => i.metadata.name), ['update']);
    assert.equal((await viaProxy('http://cloudresourcemanager.googleapis.com/v1/projects/demo-project', 'cloudresourcemanager.googleapis.com')).status, 200);
  });

  it('refuses any other target with PROXY_TARGET_REFUSED, and logs it', async () => {
    for (const [target, host] of [
      ['http://example.com/', 'example.com'],
      [`http://127.0.0.1:1/`, '127.0.0.1:1'],
      ['http://run.googleapis.com:8080/', 'run.googleapis.com:8080'],
      ['https://run.googleapis.com/', 'run.googleapis.com'],
    ] as const) {
      const r = await viaProxy(target, host);
      assert.equal(r.status, 403, target);
      assert.equal(r.denial, 'PROXY_TARGET_REFUSED', target);
    }
    const logged = (await (await ap.api('/admin/v1/requests?limit=20')).json()) as { requests: { path: string; code?: string }[] };
    assert.ok(logged.requests.some((e) => e.path === 'http://example.com/' && e.code === 'PROXY_TARGET_REFUSED'));
  });

  it('answers CONNECT (an HTTPS tunnel) with 403 whose reason names the endpoint override to set, and opens nothing', async () => {
    const socket = connect(port, '127.0.0.1');
    socket.write('CONNECT cloudresourcemanager.googleapis.com:443 HTTP/1.1\r\nHost: cloudresourcemanager.googleapis.com:443\r\n\r\n');
    let answer = '';
    socket.on('data', (d: Buffer) => (answer += d.toString()));
    await new Promise<void>((resolve) => socket.on('close', () => resolve()));
    const statusLine = answer.split('\r\n')[0]!;
    assert.match(statusLine, /^HTTP\/1\.1 403 Forbidden: authplane opens no tunnel; set api_endpoint_overrides\/cloudresourcemanager to http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.match(answer, /x-authplane-denial: PROXY_TARGET_REFUSED/);
  });
});

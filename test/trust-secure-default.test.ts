// Secure by default: every API route declares who may call it, and the route table proves it — with
// defaultPrincipal: none, every route that is not public answers 401 to a caller without credentials; a
// web page of another origin cannot change anything; the data directory and its files are private.

import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Router, type RouteInfo } from '../src/apis/router.js';
import { startTestAuthplane, type TestAuthplane } from './support/authplane.js';
import { startCli } from './support/cli.js';

/** A concrete path for a route pattern: every {var} filled, {rest=**} with two segments. */
const samplePath = (pattern: string) => pattern.replace(/\{[^}=]+=\*\*\}/g, 'a/b').replace(/\{project\}/g, 'demo-project').replace(/\{[^}]+\}/g, 'x');

const CONFIG = {
  serviceAccounts: [{ name: 'runner' }],
  services: [{ name: 'hello', upstream: 'http://127.0.0.1:9' }],
  queues: [{ name: 'work' }],
};

describe('every route declares who may call it', () => {
  let ap: TestAuthplane;
  before(async () => {
    ap = await startTestAuthplane({ ...CONFIG, defaultPrincipal: null });
  });
  after(async () => ap?.stop());

  it('registering a route without an access policy is an error', () => {
    const r = new Router(ap.platform).for('test.googleapis.com');
    assert.throws(() => r.get('/x', undefined as never, () => undefined), TypeError);
    assert.throws(() => r.get('/x', { permission: 'p' } as never, () => undefined), TypeError);
  });

  it('with defaultPrincipal: none, every non-public route answers 401 without a credential', async () => {
    const routes: RouteInfo[] = ap.platform.routes;
    const closed = routes.filter((r) => !('public' in r.access));
    assert.ok(closed.length >= 40, `${closed.length} non-public routes`);
    const open: string[] = [];
    for (const route of closed) {
      const res = await fetch(ap.apiUrl + samplePath(route.pattern), { method: route.method });
      const code = res.headers.get('x-authplane-denial');
      await res.arrayBuffer();
      if (res.status !== 401 || code !== 'TOKEN_MISSING') open.push(`${route.method} ${route.pattern}: ${res.status} ${code}`);
    }
    assert.deepEqual(open, []);
  });

  it('the public routes are the ones meant to be: discovery, keys, tokens, sign-in, health, the dashboard\'s static files', () => {
    const publicRoutes = ap.platform.routes.filter((r) => 'public' in r.access).map((r) => `${r.method} ${r.pattern}`);
    const allowed = [/\/\.well-known\/openid-configuration$/, /\/certs$/, /\/iap\/verify\/public_key(-jwk)?$/, /\/service_accounts\/v1\//, /^POST \/token$/, /tokeninfo$/, /\/iap\/signin/, /\/healthz$/, /^GET \/ui\/?$/, /^GET \/ui\/\{file=\*\*\}$/];
    assert.deepEqual(publicRoutes.filter((r) => !allowed.some((re) => re.test(r))), []);
  });
});

describe('a web page of another origin cannot change anything', () => {
  let ap: TestAuthplane;
  before(async () => {
    ap = await startTestAuthplane({ ...CONFIG, defaultPrincipal: 'user:developer@example.com' });
  });
  after(async () => ap?.stop());

  const snapshot = async () => ({
    project: ap.platform.iam.getPolicy('projects/demo-project'),
    service: ap.platform.iam.getPolicy('services/hello'),
    runner: ap.platform.iam.getPolicy('serviceAccounts/runner@demo-project.iam.gserviceaccount.com'),
    queues: (await ap.platform.store.tasks.listQueues()).map((q) => [q.id, q.state]),
    keys: ap.platform.identity.keys.kids().length,
  });

  it('a cross-origin text/plain POST to every state-changing route is refused, and state is unchanged', async () => {
    const writes = ap.platform.routes.filter((r) => r.method !== 'GET');
    assert.ok(writes.length >= 30);
    const before = await snapshot();
    const accepted: string[] = [];
    for (const route of writes) {
      const path = samplePath(route.pattern)
        .replace('/iam:x', '/iam:addBinding')
        .replace(/\/queues\/x/, '/queues/work');
      // What a form or fetch on evil.example can send without a preflight.
      const body = JSON.stringify({ resource: 'services/hello', role: 'roles/run.invoker', member: 'allUsers', policy: { bindings: [{ role: 'roles/owner', members: ['allUsers'] }] } });
      for (const origin of ['https://evil.example', 'null']) {
        const res = await fetch(ap.apiUrl + path, { method: route.method, headers: { origin, 'content-type': 'text/plain' }, body });
        const code = res.headers.get('x-authplane-denial');
        await res.arrayBuffer();
        if (res.status !== 403 || code !== 'CROSS_ORIGIN_REFUSED') accepted.push(`${route.method} ${path} from ${origin}: ${res.status} ${code}`);
      }
    }
    assert.deepEqual(accepted, []);
    assert.deepEqual(await snapshot(), before);
  });

  it('without an Origin, a non-JSON body to a protected route is refused too; JSON from a program passes', async () => {
    const bind = (headers: Record<string, string>) =>
      fetch(`${ap.apiUrl}/admin/v1/iam:addBinding`, { method: 'POST', headers, body: JSON.stringify({ resource: 'services/hello', role: 'roles/run.invoker', member: 'allUsers' }) });
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const r = await bind({ 'content-type': type });
      assert.equal(r.status, 403, type);
      assert.equal(r.headers.get('x-authplane-denial'), 'CROSS_ORIGIN_REFUSED');
    }
    assert.deepEqual(ap.platform.iam.getPolicy('services/hello').bindings, []);
    const ok = await bind({ 'content-type': 'application/json' });
    assert.equal(ok.status, 200);
    const sameOrigin = await fetch(`${ap.apiUrl}/admin/v1/iam:removeBinding`, {
      method: 'POST',
      headers: { origin: new URL(ap.apiUrl).origin, 'content-type': 'application/json' },
      body: JSON.stringify({ resource: 'services/hello', role: 'roles/run.invoker', member: 'allUsers' }),
    });
    assert.equal(sameOrigin.status, 200, 'authplane\'s own pages may call it');
  });
});

describe('the data directory is private', () => {
  const dir = mkdtempSync(join(tmpdir(), 'authplane-perms-'));
  let target: Server;
  let onDelivery: () => void = () => undefined;
  const delivered = new Promise<void>((resolve) => (onDelivery = resolve));
  before(async () => {
    target = createServer((req, res) => {
      onDelivery();
      req.resume();
      res.end('ok');
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  });
  after(async () => {
    await new Promise<void>((r) => target.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  /** Every path under `root` whose mode is not 0700 (directories) or 0600 (files). */
  const loose = (root: string): string[] => {
    const out: string[] = [];
    const walk = (p: string) => {
      const st = statSync(p);
      const mode = st.mode & 0o777;
      if (st.isDirectory()) {
        if (mode !== 0o700) out.push(`${p} ${mode.toString(8)}`);
        for (const f of readdirSync(p)) walk(join(p, f));
      } else if (mode !== 0o600) out.push(`${p} ${mode.toString(8)}`);
    };
    walk(root);
    return out;
  };

  it('0700 and 0600 after a start, a task run and a restart, whatever the umask', async () => {
    const data = join(dir, 'data');
    const configFile = join(dir, 'authplane.yaml');
    writeFileSync(configFile, 'server: { host: 127.0.0.1, apiPort: 0, grpcPort: 0 }\nqueues: [ { name: work } ]\n');
    const previous = process.umask(0o022);
    try {
      let ap = await startCli(['--config', configFile, '--data', data]);
      assert.deepEqual(loose(data), [], 'after a start');
      const url = `http://127.0.0.1:${(target.address() as AddressInfo).port}/`;
      const created = await fetch(`${ap.url('api')}/v2/projects/demo-project/locations/us-central1/queues/work/tasks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ task: { httpRequest: { url } } }),
      });
      assert.equal(created.status, 200);
      await delivered; // bounded by the test runner's timeout
      const stopped = await ap.stop();
      assert.equal(stopped.code, 0, `${JSON.stringify(stopped)}\n${ap.stderr()}`);
      assert.deepEqual(loose(data), [], 'after a task run');
      ap = await startCli(['--config', configFile, '--data', data]);
      assert.deepEqual(loose(data), [], 'after a restart');
      const again = await ap.stop();
      assert.equal(again.code, 0, `${JSON.stringify(again)}\n${ap.stdout()}\n${ap.stderr()}`);
      assert.ok(readdirSync(data).includes('authplane.db') && readdirSync(data).includes('requests.log'), readdirSync(data).join(', '));
    } finally {
      process.umask(previous);
    }
  });
});

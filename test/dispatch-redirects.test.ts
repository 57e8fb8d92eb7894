// Redirects answered to Cloud Tasks and Cloud Scheduler. Scheduler's target.proto: "For a redirected request, the
// response returned by the redirected request is considered"; Tasks' target.proto: "The Location header … may be
// followed. The redirect is not counted as a separate attempt." Both follow, within one attempt and its deadline,
// at most 10 times, as Go's net/http client does: 301/302/303 become a GET without the body, 307/308 repeat
// method and body, and the token goes only to the first URL's host (or its subdomains).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cloudRunProduct } from '../src/run/product.js';
import { schedulerProduct } from '../src/scheduler/product.js';
import { tasksProduct } from '../src/tasks/product.js';
import { startTestAuthplane, type TestAuthplane } from './support/authplane.js';
import { waitFor } from './support/wait.js';

const PARENT = 'projects/demo-project/locations/us-central1';
const SA = 'invoker@demo-project.iam.gserviceaccount.com';

interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

interface Attempt {
  httpStatus: number | null;
  error: string | null;
}

describe('redirects answered to Cloud Tasks and Cloud Scheduler', () => {
  let ap: TestAuthplane;
  let server: Server;
  let port = 0;
  const received: Received[] = [];
  const to = (path: string) => received.filter((r) => r.path === path);

  before(async () => {
    // /r/STATUS/WHERE answers STATUS with Location WHERE (URL-decoded); /loop redirects to itself; /fail answers 500.
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const path = req.url!;
        received.push({ method: req.method!, path, headers: req.headers, body: Buffer.concat(chunks).toString() });
        const m = /^\/r\/(\d{3})\/(.+)$/.exec(path);
        if (m) res.writeHead(Number(m[1]), { location: decodeURIComponent(m[2]!) }).end('moved');
        else if (path === '/loop') res.writeHead(302, { location: '/loop' }).end();
        else if (path === '/no-location') res.writeHead(302).end();
        else if (path === '/fail') res.writeHead(500).end();
        else res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
    ap = await startTestAuthplane(
      {
        serviceAccounts: [{ name: 'invoker' }, { name: 'hop-runtime' }],
        queues: [{ name: 'once', retryConfig: { maxAttempts: 1 } }],
        services: [{ name: 'hop', upstream: `http://127.0.0.1:${port}`, serviceAccount: 'hop-runtime' }],
        iam: { bindings: [{ resource: 'services/hop', role: 'roles/run.invoker', members: ['serviceAccount:invoker'] }] },
      },
      { products: [cloudRunProduct, tasksProduct, schedulerProduct] },
    );
  });
  after(async () => {
    await ap?.stop();
    await new Promise<void>((r) => server.close(() => r()));
  });

  const url = (path: string) => `http://127.0.0.1:${port}${path}`;
  const r = (status: number, where: string) => `/r/${status}/${encodeURIComponent(where)}`;

  /** Creates a task on queue `once` (one attempt), waits until it is gone, returns its attempts. */
  async function runTask(id: string, httpRequest: Record<string, unknown>): Promise<Attempt[]> {
    const res = await ap.api(`/v2/${PARENT}/queues/once/tasks`, {
      method: 'POST',
      body: JSON.stringify({ task: { name: `${PARENT}/queues/once/tasks/${id}`, httpRequest: { oidcToken: { serviceAccountEmail: SA }, ...httpRequest } } }),
    });
    assert.equal(res.status, 200, await res.clone().text());
    let attempts: Attempt[] = [];
    await waitFor(`task ${id} to finish`, async () => {
      const a = (await (await ap.api(`/admin/v1/queues/once/tasks/${id}/attempts`)).json()) as { task: { state: string } | null; attempts: Attempt[] };
      attempts = a.attempts;
      return a.task?.state !== 'queued' && attempts.length > 0;
    });
    return attempts;
  }

  test('tasks: a 302 is followed as a GET without the body; the redirected 200 is the attempt, not a failure', async () => {
    const attempts = await runTask('r302', { url: url(r(302, '/landed-302?x=1')), body: Buffer.from('payload').toString('base64'), headers: { 'Content-Type': 'application/json', 'X-Mine': 'kept' } });
    assert.deepEqual(attempts.map((a) => [a.httpStatus, a.error]), [[200, null]], 'one attempt, answered 200');
    const [first] = to(r(302, '/landed-302?x=1'));
    const [landed] = to('/landed-302?x=1');
    assert.ok(first && landed, 'both requests were sent');
    assert.equal(first.method, 'POST');
    assert.equal(landed.method, 'GET');
    assert.equal(landed.body, '');
    assert.equal(landed.headers['content-type'], undefined, 'the body went, and what described it');
    assert.equal(landed.headers['x-mine'], 'kept');
    assert.equal(landed.headers['x-cloudtasks-taskname'], 'r302');
    assert.equal(landed.headers['x-cloudtasks-taskretrycount'], '0', 'not a new attempt');
    assert.equal(landed.headers.authorization, first.headers.authorization, 'the same host gets the same token');
    assert.match(String(landed.headers.authorization), /^Bearer ey/);
  });

  test("tasks: a service's redirect to its own path goes back through its front door, token and all", async () => {
    const hop = 'https://hop-123456789012.us-central1.run.app';
    const attempts = await runTask('via-door', { url: `${hop}${r(302, '/landed-door')}`, oidcToken: { serviceAccountEmail: SA, audience: hop } });
    assert.deepEqual(attempts.map((a) => [a.httpStatus, a.error]), [[200, null]], 'the front door admitted the redirected request too');
    const [landed] = to('/landed-door');
    assert.equal(landed?.method, 'GET');
  });

  test('tasks: a 307 repeats the method and the body', async () => {
    const attempts = await runTask('r307', { url: url(r(307, '/landed-307')), httpMethod: 'PUT', body: Buffer.from('payload').toString('base64'), headers: { 'Content-Type': 'text/plain' } });
    assert.deepEqual(attempts.map((a) => a.httpStatus), [200]);
    const [landed] = to('/landed-307');
    assert.equal(landed?.method, 'PUT');
    assert.equal(landed?.body, 'payload');
    assert.equal(landed?.headers['content-type'], 'text/plain');
  });

  test('tasks: the token is not sent to another host', async () => {
    await runTask('other-host', { url: url(r(302, `http://localhost:${port}/landed-elsewhere`)) });
    const [landed] = to('/landed-elsewhere');
    assert.ok(landed, 'the redirect was followed');
    assert.equal(landed.headers.host, `localhost:${port}`);
    assert.equal(landed.headers.authorization, undefined, 'an ID token minted for 127.0.0.1 stays there');
    assert.equal(landed.headers['x-cloudtasks-taskname'], 'other-host');
  });

  test('tasks: the redirected response decides: a 500 after the redirect is a failed attempt', async () => {
    const attempts = await runTask('to-fail', { url: url(r(301, '/fail')) });
    assert.deepEqual(attempts.map((a) => a.httpStatus), [500]);
  });

  test('tasks: a redirect loop stops after 10 redirects and fails the attempt; a 302 without Location is the answer', async () => {
    const before = to('/loop').length;
    const attempts = await runTask('loop', { url: url('/loop') });
    assert.equal(to('/loop').length - before, 11, 'the request and 10 redirects');
    assert.equal(attempts.length, 1);
    assert.equal(attempts[0]!.httpStatus, 302);
    assert.match(String(attempts[0]!.error), /stopped after 10 redirects/);
    const none = await runTask('no-location', { url: url('/no-location') });
    assert.deepEqual(none.map((a) => a.httpStatus), [302]);
  });

  test('scheduler: RunJob follows a 302 and the job records the redirected 200', async () => {
    const job = `${PARENT}/jobs/redirected`;
    const created = await ap.api(`/v1/${PARENT}/jobs`, {
      method: 'POST',
      body: JSON.stringify({ name: job, schedule: '0 0 1 1 *', httpTarget: { uri: url(r(302, '/landed-job')), oidcToken: { serviceAccountEmail: SA } } }),
    });
    assert.equal(created.status, 200, await created.clone().text());
    assert.equal((await ap.api(`/v1/${job}:run`, { method: 'POST', body: '{}' })).status, 200);
    await waitFor('the job to record its attempt', async () => ((await (await ap.api('/admin/v1/jobs/redirected/attempts')).json()) as { attempts: Attempt[] }).attempts.length === 1);
    const { attempts } = (await (await ap.api('/admin/v1/jobs/redirected/attempts')).json()) as { attempts: Attempt[] };
    assert.deepEqual(attempts.map((a) => [a.httpStatus, a.error]), [[200, null]]);
    const [landed] = to('/landed-job');
    assert.equal(landed?.method, 'GET', 'the POST became a GET');
    assert.equal(landed?.headers['x-cloudscheduler-jobname'], 'redirected');
    assert.match(String(landed?.headers.authorization), /^Bearer ey/);
    await waitFor('the job status', async () => ((await (await ap.api(`/v1/${job}`)).json()) as { status?: unknown }).status !== undefined);
    assert.deepEqual(((await (await ap.api(`/v1/${job}`)).json()) as { status?: unknown }).status, {}, 'status OK');
  });
});

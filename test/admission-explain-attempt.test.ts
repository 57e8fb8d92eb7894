// `authplane explain --job | --subscription | --task`: the request Cloud Scheduler, Pub/Sub push or Cloud Tasks
// would send on its next attempt, explained before it runs — and the prediction is what the attempt then meets
// at the front door (the same code builds both). Driven through the real CLI.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestAuthplane, type TestAuthplane } from './support/authplane.js';
import { startBackend, type Backend } from './support/backend.js';
import { runCli } from './support/cli.js';
import { waitFor } from './support/wait.js';

const PROJECT = 'demo-project';
const NUMBER = '123456789012';
const sa = (name: string) => `${name}@${PROJECT}.iam.gserviceaccount.com`;
const ORDERS = `https://orders-${NUMBER}.us-central1.run.app`;

interface Finding {
  caller: string;
  resource: string;
  method: string;
  url: string;
  accepted: boolean;
  status: number | 'proxied';
  principal?: string;
  token: { kind: string; serviceAccountEmail: string; audience?: string } | null;
  denial?: { code: string; evidence: Record<string, unknown>; remedy: string };
  notes: string[];
}

interface LogEntry {
  status: number;
  code?: string;
  dispatch?: { resource: string };
}

describe('explain the next attempt of a job, a push subscription, a task', () => {
  let ap: TestAuthplane;
  let backend: Backend;
  const cli = (...args: string[]) => runCli(['explain', ...args], { env: { AUTHPLANE_URL: ap.apiUrl } });
  const finding = async (...args: string[]) => {
    const r = await cli(...args, '--json');
    assert.equal(r.stderr, '', r.stderr);
    return { exit: r.code, f: JSON.parse(r.stdout) as Finding };
  };
  /** The front door's entries for one resource's attempts (the dispatch record's request reached it). */
  const attemptsOf = async (resource: string) => {
    const r = (await (await ap.api('/admin/v1/requests?surface=dispatch&limit=200')).json()) as { requests: LogEntry[] };
    return r.requests.filter((e) => e.dispatch?.resource === resource);
  };

  before(async () => {
    backend = await startBackend();
    ap = await startTestAuthplane({
      serviceAccounts: [{ name: 'invoker' }, { name: 'no-role' }],
      iam: { bindings: [{ resource: 'services/orders', role: 'roles/run.invoker', members: [`serviceAccount:${sa('invoker')}`] }] },
      services: [{ name: 'orders', upstream: backend.url }],
      queues: [{ name: 'work' }],
      schedulerJobs: [
        // The classic: the audience defaults to the URI, path included.
        { name: 'nightly', schedule: '0 3 * * *', paused: true, httpTarget: { uri: `${ORDERS}/nightly`, httpMethod: 'POST', oidcToken: { serviceAccountEmail: 'invoker' } } },
        { name: 'hourly', schedule: '0 * * * *', paused: true, httpTarget: { uri: `${ORDERS}/hourly`, httpMethod: 'POST', oidcToken: { serviceAccountEmail: 'invoker', audience: ORDERS } } },
      ],
      pubsub: {
        topics: [{ name: 'orders' }],
        subscriptions: [
          { name: 'orders-push', topic: 'orders', pushConfig: { pushEndpoint: ORDERS, oidcToken: { serviceAccountEmail: 'no-role' } } },
          { name: 'orders-pull', topic: 'orders' },
        ],
      },
    });
  });
  after(async () => {
    await ap?.stop();
    await backend?.close();
  });

  it('a job whose audience defaults to its URI: AUDIENCE_MISMATCH with the path hint, and its run meets exactly that', async () => {
    const { exit, f } = await finding('--job', 'nightly');
    assert.equal(exit, 1);
    assert.equal(f.caller, 'Cloud Scheduler');
    assert.equal(f.resource, `projects/${PROJECT}/locations/us-central1/jobs/nightly`);
    assert.deepEqual([f.method, f.url], ['POST', `${ORDERS}/nightly`]);
    assert.deepEqual(f.token, { kind: 'oidc', serviceAccountEmail: sa('invoker'), audience: `${ORDERS}/nightly` });
    assert.equal(f.status, 401);
    assert.equal(f.denial?.code, 'AUDIENCE_MISMATCH');
    assert.equal(f.denial?.evidence.hint, 'path');

    const run = await ap.api(`/v1/${f.resource}:run`, { method: 'POST', body: '{}' });
    assert.equal(run.status, 200);
    await waitFor('the run of nightly in the request log', async () => (await attemptsOf(f.resource)).length > 0);
    const [attempt] = await attemptsOf(f.resource);
    assert.deepEqual([attempt!.status, attempt!.code], [401, 'AUDIENCE_MISMATCH']);
  });

  it('a job with the service URL as its audience: accepted as its account', async () => {
    const { exit, f } = await finding('--job', 'hourly');
    assert.equal(exit, 0);
    assert.equal(f.accepted, true);
    assert.equal(f.principal, `serviceAccount:${sa('invoker')}`);
  });

  it('a push subscription whose account lacks roles/run.invoker: PERMISSION_DENIED, and a delivery meets exactly that', async () => {
    const { exit, f } = await finding('--subscription', 'orders-push');
    assert.equal(exit, 1);
    assert.equal(f.caller, 'Pub/Sub push');
    assert.equal(f.resource, `projects/${PROJECT}/subscriptions/orders-push`);
    assert.deepEqual([f.method, f.url], ['POST', ORDERS]);
    assert.equal(f.token?.audience, ORDERS, 'the audience defaults to the push endpoint');
    assert.equal(f.status, 403);
    assert.equal(f.denial?.code, 'PERMISSION_DENIED');
    assert.match(f.denial!.remedy, /roles\/run\.invoker/);

    const pub = await ap.api(`/v1/projects/${PROJECT}/topics/orders:publish`, { method: 'POST', body: JSON.stringify({ messages: [{ data: Buffer.from('order 1').toString('base64') }] }) });
    assert.equal(pub.status, 200);
    await waitFor('a push delivery in the request log', async () => (await attemptsOf(f.resource)).length > 0);
    const [attempt] = await attemptsOf(f.resource);
    assert.deepEqual([attempt!.status, attempt!.code], [403, 'PERMISSION_DENIED']);
  });

  it('a pull subscription has nothing to push: Google\'s FAILED_PRECONDITION shape, naming how to give it a push endpoint', async () => {
    const r = await cli('--subscription', 'orders-pull');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /pull subscription/);
    assert.match(r.stderr, /--push-endpoint/);
  });

  it('a task: accepted as its account; an unknown one is NOT_FOUND; the flags stand alone', async () => {
    const created = await ap.api(`/v2/projects/${PROJECT}/locations/us-central1/queues/work/tasks`, {
      method: 'POST',
      body: JSON.stringify({ task: { name: `projects/${PROJECT}/locations/us-central1/queues/work/tasks/t1`, scheduleTime: new Date(Date.now() + 20 * 86_400_000).toISOString(), httpRequest: { url: `${ORDERS}/work`, oidcToken: { serviceAccountEmail: sa('invoker'), audience: ORDERS } } } }),
    });
    assert.equal(created.status, 200, await created.clone().text());
    const { exit, f } = await finding('--task', 'work/t1');
    assert.equal(exit, 0);
    assert.equal(f.caller, 'Cloud Tasks');
    assert.equal(f.resource, `projects/${PROJECT}/locations/us-central1/queues/work/tasks/t1`);
    assert.equal(f.principal, `serviceAccount:${sa('invoker')}`);

    const missing = await cli('--task', 'work/nope');
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /No task work\/nope/);
    const both = await cli('--job', 'nightly', '--url', ORDERS);
    assert.equal(both.code, 2);
  });
});

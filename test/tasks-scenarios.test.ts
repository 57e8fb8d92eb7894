// SCENARIOS.md rows 5–11 that involve Cloud Tasks, end to end: tasks created with
// @google-cloud/tasks, dispatched with OIDC tokens through the real Cloud Run front door to a
// counting service; each attempt's status and refusal code read back from the admin API.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CloudTasksClient } from '@google-cloud/tasks';
import { grpc } from 'google-gax';
import { Compute } from 'google-auth-library';
import { startTestAuthplane, type TestAuthplane } from './support/authplane.js';
import { useMetadataServer } from './support/metadata-env.js';
import { waitFor } from './support/wait.js';

const PROJECT = 'demo-project';
const PARENT = `projects/${PROJECT}/locations/us-central1`;
const SA = (n: string) => `${n}@${PROJECT}.iam.gserviceaccount.com`;
const SERVICE_URL = 'https://update-123456789012.us-central1.run.app';

interface Attempt {
  attempt: number;
  httpStatus: number | null;
  denial: string | null;
  frontDoorRequestId: string | null;
  explanation?: string;
  error: string | null;
}

interface DispatchEntry {
  status: number;
  code?: string;
  outcome: string;
  principal?: string;
  explanation?: string;
  dispatch: { product: string; resource: string; attempt: number; target: string; frontDoorRequestId?: string; retryReason?: string };
}

/** The service behind the front door: counts 2xx deliveries per task name. */
async function countingService(): Promise<{ url: string; delivered: Map<string, number>; server: Server }> {
  const delivered = new Map<string, number>();
  const server = createServer((req, res) => {
    const name = String(req.headers['x-cloudtasks-taskname'] ?? '');
    delivered.set(name, (delivered.get(name) ?? 0) + 1);
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'text/plain' }).end('done'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, delivered, server };
}

function grpcClient(ap: TestAuthplane): CloudTasksClient {
  return new CloudTasksClient({ servicePath: '127.0.0.1', port: Number(ap.platform.grpcHostPort!.split(':').pop()), sslCreds: grpc.credentials.createInsecure() });
}

async function attempts(ap: TestAuthplane, queue: string, task: string): Promise<{ task: { state: string } | null; attempts: Attempt[] }> {
  const res = await ap.api(`/admin/v1/queues/${queue}/tasks/${task}/attempts`);
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()) as { task: { state: string } | null; attempts: Attempt[] };
}

const taskId = (name: string) => name.split('/').pop()!;

describe('Cloud Tasks scenarios (rows 5, 7, 8, 9, 10, 11)', () => {
  let ap: TestAuthplane;
  let svc: Awaited<ReturnType<typeof countingService>>;
  let client: CloudTasksClient;
  const queue = `${PARENT}/queues/scenarios`;

  before(async () => {
    svc = await countingService();
    ap = await startTestAuthplane({
      serviceAccounts: [{ name: 'tasks-invoker' }, { name: 'tasks-no-role' }, { name: 'update-runtime' }, { name: 'enqueuer' }],
      services: [
        { name: 'update', upstream: svc.url, serviceAccount: 'update-runtime' },
        { name: 'internal-only', upstream: svc.url, serviceAccount: 'update-runtime', ingress: 'internal' },
      ],
      workloads: [{ name: 'enqueuer-app', serviceAccount: 'enqueuer' }],
      queues: [{ name: 'scenarios', retryConfig: { maxAttempts: 3, minBackoff: '100ms', maxBackoff: '200ms', maxDoublings: 1 } }],
      iam: {
        bindings: [
          { resource: 'services/update', role: 'roles/run.invoker', members: ['serviceAccount:tasks-invoker'] },
          { resource: 'services/internal-only', role: 'roles/run.invoker', members: ['serviceAccount:tasks-invoker'] },
          { resource: 'queues/scenarios', role: 'roles/cloudtasks.enqueuer', members: ['serviceAccount:enqueuer'] },
        ],
      },
    });
    client = grpcClient(ap);
  });
  after(async () => {
    await client?.close();
    await ap?.stop();
    await new Promise<void>((r) => svc?.server.close(() => r()));
  });

  test('row 5: the task SA lacks roles/run.invoker → every attempt 403 PERMISSION_DENIED, retried per retryConfig, then dropped', async () => {
    const [task] = await client.createTask({ parent: queue, task: { httpRequest: { url: `${SERVICE_URL}/`, oidcToken: { serviceAccountEmail: SA('tasks-no-role') } } } });
    const id = taskId(task.name!);
    await waitFor('the task to exhaust its 3 attempts', async () => (await attempts(ap, 'scenarios', id)).task?.state === 'failed');
    const r = await attempts(ap, 'scenarios', id);
    assert.equal(r.attempts.length, 3, 'maxAttempts: 3');
    for (const a of r.attempts) {
      assert.equal(a.httpStatus, 403);
      assert.equal(a.denial, 'PERMISSION_DENIED');
    }
    assert.equal(svc.delivered.get(id), undefined, 'the service never saw it');
  });

  test('row 7: oidcToken.audience = service URL plus a path → 401 AUDIENCE_MISMATCH', async () => {
    const [task] = await client.createTask({
      parent: queue,
      task: { httpRequest: { url: `${SERVICE_URL}/update`, oidcToken: { serviceAccountEmail: SA('tasks-invoker'), audience: `${SERVICE_URL}/update` } } },
    });
    const id = taskId(task.name!);
    await waitFor('an attempt', async () => (await attempts(ap, 'scenarios', id)).attempts.length >= 1);
    const a = (await attempts(ap, 'scenarios', id)).attempts[0]!;
    assert.equal(a.httpStatus, 401);
    assert.equal(a.denial, 'AUDIENCE_MISMATCH');
  });

  test('row 7 (the default trap): audience unset on a URL with a path → the task URL, path included → 401 AUDIENCE_MISMATCH', async () => {
    const [task] = await client.createTask({ parent: queue, task: { httpRequest: { url: `${SERVICE_URL}/update`, oidcToken: { serviceAccountEmail: SA('tasks-invoker') } } } });
    const id = taskId(task.name!);
    await waitFor('an attempt', async () => (await attempts(ap, 'scenarios', id)).attempts.length >= 1);
    const a = (await attempts(ap, 'scenarios', id)).attempts[0]!;
    assert.equal(a.httpStatus, 401);
    assert.equal(a.denial, 'AUDIENCE_MISMATCH');
    // The attempt carries the front door's own explanation (the path hint), also in the request log.
    assert.match(a.explanation ?? '', /plus the path \/update/);
    const log = (await (await ap.api('/admin/v1/requests?surface=dispatch&limit=1000')).json()) as { requests: DispatchEntry[] };
    const entry = log.requests.find((e) => e.dispatch.resource === task.name && e.dispatch.attempt === 1);
    assert.ok(entry, 'the attempt is in the request log');
    assert.equal(entry.dispatch.product, 'cloudtasks');
    assert.equal(entry.dispatch.target, `POST ${SERVICE_URL}/update`);
    assert.equal(entry.dispatch.frontDoorRequestId, a.frontDoorRequestId);
    assert.deepEqual([entry.status, entry.code, entry.outcome, entry.principal], [401, 'AUDIENCE_MISMATCH', 'refused', `serviceAccount:${SA('tasks-invoker')}`]);
    assert.equal(entry.explanation, a.explanation);
    assert.match(entry.dispatch.retryReason ?? '', /^backoff 100 ms/);
    const door = (await (await ap.api(`/admin/v1/requests/${a.frontDoorRequestId}`)).json()) as { surface: string; code: string };
    assert.deepEqual([door.surface, door.code], ['run', 'AUDIENCE_MISMATCH'], 'the id names the front door\'s own entry');
  });

  test('row 8: oidcToken.audience = HOST:443 without a scheme → 401 AUDIENCE_MISMATCH', async () => {
    const [task] = await client.createTask({
      parent: queue,
      task: { httpRequest: { url: `${SERVICE_URL}/`, oidcToken: { serviceAccountEmail: SA('tasks-invoker'), audience: `${new URL(SERVICE_URL).host}:443` } } },
    });
    const id = taskId(task.name!);
    await waitFor('an attempt', async () => (await attempts(ap, 'scenarios', id)).attempts.length >= 1);
    const a = (await attempts(ap, 'scenarios', id)).attempts[0]!;
    assert.equal(a.httpStatus, 401);
    assert.equal(a.denial, 'AUDIENCE_MISMATCH');
  });

  test('row 9: oidcToken.audience unset, root URL → 200 (the audience defaults to the task URL)', async () => {
    const [task] = await client.createTask({ parent: queue, task: { httpRequest: { url: `${SERVICE_URL}/`, oidcToken: { serviceAccountEmail: SA('tasks-invoker') } } } });
    const id = taskId(task.name!);
    await waitFor('the delivery', () => svc.delivered.get(id) === 1);
    await waitFor('the task to be done', async () => (await attempts(ap, 'scenarios', id)).task?.state === 'done');
    const r = await attempts(ap, 'scenarios', id);
    assert.deepEqual(r.attempts.map((a) => [a.httpStatus, a.denial]), [[200, null]]);
  });

  test('row 10: ingress internal → a task from the same project gets 200', async () => {
    const url = `${ap.platform.directory.get('internal-only')!.urls.deterministic!}/`;
    const [task] = await client.createTask({ parent: queue, task: { httpRequest: { url, oidcToken: { serviceAccountEmail: SA('tasks-invoker') } } } });
    const id = taskId(task.name!);
    await waitFor('the delivery', () => svc.delivered.get(id) === 1);
  });

  test('row 11: the creator lacks iam.serviceAccounts.actAs on the task SA → PERMISSION_DENIED naming it, code ACT_AS_DENIED', async () => {
    // The enqueuer workload's own credentials, from its metadata server, as its code on Cloud Run would get them.
    const restoreEnv = useMetadataServer(ap.metadataHost('enqueuer-app'));
    const api = new URL(ap.apiUrl);
    const rest = new CloudTasksClient({ fallback: 'rest', protocol: 'http', servicePath: api.hostname, port: Number(api.port), authClient: new Compute() as never });
    try {
      // It may enqueue a task without a token…
      const [plain] = await rest.createTask({ parent: queue, task: { httpRequest: { url: `${svc.url}/plain` } } });
      assert.ok(plain.name);
      // …but not one that runs as tasks-invoker.
      await assert.rejects(
        rest.createTask({ parent: queue, task: { httpRequest: { url: `${SERVICE_URL}/`, oidcToken: { serviceAccountEmail: SA('tasks-invoker') } } } }),
        (e: Error & { status?: number; response?: { headers: Headers } }) => {
          assert.equal(e.status, 403);
          const body = JSON.parse(e.message) as { error: { status: string; message: string } };
          assert.equal(body.error.status, 'PERMISSION_DENIED');
          assert.match(body.error.message, /iam\.serviceAccounts\.actAs/);
          assert.equal(e.response?.headers.get('x-authplane-denial'), 'ACT_AS_DENIED');
          return true;
        },
      );
    } finally {
      await rest.close();
      restoreEnv();
    }
  });
});

describe('Cloud Tasks scenario row 6: a binding still propagating', () => {
  let ap: TestAuthplane;
  let svc: Awaited<ReturnType<typeof countingService>>;
  let client: CloudTasksClient;

  before(async () => {
    svc = await countingService();
    ap = await startTestAuthplane({
      // Scaled from Google's 20 s–120 s so the test stays bounded; the shape is the same.
      iam: { propagation: { min: '2s', max: '6s' } },
      serviceAccounts: [{ name: 'tasks-invoker' }, { name: 'update-runtime' }],
      services: [{ name: 'update', upstream: svc.url, serviceAccount: 'update-runtime' }],
      queues: [{ name: 'burst', retryConfig: { maxAttempts: -1, minBackoff: '300ms', maxBackoff: '1s', maxDoublings: 2 } }],
    });
    client = grpcClient(ap);
  });
  after(async () => {
    await client?.close();
    await ap?.stop();
    await new Promise<void>((r) => svc?.server.close(() => r()));
  });

  test('grant roles/run.invoker with setIamPolicy, create 100 tasks at once: some first attempts IAM_NOT_YET_PROPAGATED, all 100 done, none lost', async () => {
    const res = await ap.api(`/v2/${PARENT}/services/update:setIamPolicy`, {
      method: 'POST',
      body: JSON.stringify({ policy: { bindings: [{ role: 'roles/run.invoker', members: [`serviceAccount:${SA('tasks-invoker')}`] }] } }),
    });
    assert.equal(res.status, 200, await res.clone().text());
    const queue = `${PARENT}/queues/burst`;
    const names = await Promise.all(
      Array.from({ length: 100 }, async (_, i) => {
        const [t] = await client.createTask({ parent: queue, task: { name: `${queue}/tasks/t${i}`, httpRequest: { url: `${SERVICE_URL}/`, oidcToken: { serviceAccountEmail: SA('tasks-invoker') } } } });
        return taskId(t.name!);
      }),
    );
    await waitFor('all 100 deliveries', () => names.every((n) => svc.delivered.get(n) === 1));
    let propagating = 0;
    for (const n of names) {
      const r = await attempts(ap, 'burst', n);
      const first = r.attempts[0]!;
      if (first.httpStatus === 403) {
        assert.equal(first.denial, 'IAM_NOT_YET_PROPAGATED');
        propagating++;
      }
      assert.equal(r.attempts.at(-1)!.httpStatus, 200, `task ${n} ends in success`);
      assert.equal(r.attempts.filter((a) => a.httpStatus === 200).length, 1);
    }
    assert.ok(propagating > 0, 'some first attempts were refused while the binding propagated');
    assert.equal([...svc.delivered.values()].reduce((a, b) => a + b, 0), 100, 'each task delivered exactly once');
  });
});

// @google-cloud/tasks, unchanged, against authplane over gRPC and over REST (fallback): queues and
// tasks are created, listed, run, paused and deleted; errors come back with Google's codes; the
// request reaching the target carries Cloud Tasks' headers.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CloudTasksClient } from '@google-cloud/tasks';
import { grpc } from 'google-gax';
import { OAuth2Client } from 'google-auth-library';
import { startTestAuthplane, type TestAuthplane } from './support/authplane.js';
import { tasksDispatcher, tasksProduct } from '../src/tasks/product.js';
import { waitFor } from './support/wait.js';

const PROJECT = 'demo-project';
const LOCATION = 'us-central1';
const PARENT = `projects/${PROJECT}/locations/${LOCATION}`;
const SA = (n: string) => `${n}@${PROJECT}.iam.gserviceaccount.com`;

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A plain local HTTP target that records what it receives and answers with `status(req)`. */
async function target(status: (r: Received) => number = () => 200): Promise<{ url: string; received: Received[]; close(): Promise<void>; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = { method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      received.push(r);
      res.writeHead(status(r)).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    server,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe('Cloud Tasks API with @google-cloud/tasks', () => {
  let ap: TestAuthplane;
  let t: Awaited<ReturnType<typeof target>>;
  let grpcClient: CloudTasksClient;
  let restClient: CloudTasksClient;

  before(async () => {
    ap = await startTestAuthplane(
      { serviceAccounts: [{ name: 'tasks-invoker' }], queues: [{ name: 'from-config', rateLimits: { maxDispatchesPerSecond: 50 } }] },
      { products: [tasksProduct] },
    );
    t = await target();
    const [host, port] = [ap.platform.config.server.host, Number(ap.platform.grpcHostPort!.split(':').pop())];
    grpcClient = new CloudTasksClient({ servicePath: host, port, sslCreds: grpc.credentials.createInsecure() });
    const api = new URL(ap.apiUrl);
    restClient = new CloudTasksClient({ fallback: 'rest', protocol: 'http', servicePath: api.hostname, port: Number(api.port), authClient: fixedToken((await ap.platform.identity.mintAccessToken('user:developer@example.com')).token) as never });
  });
  after(async () => {
    await grpcClient?.close();
    await restClient?.close();
    await t?.close();
    await ap?.stop();
  });

  test('config queues are listed with their settings', async () => {
    const [queues] = await grpcClient.listQueues({ parent: PARENT });
    const q = queues.find((x) => x.name === `${PARENT}/queues/from-config`);
    assert.ok(q, 'config queue listed');
    assert.equal(q.rateLimits?.maxDispatchesPerSecond, 50);
    assert.equal(q.state, 'RUNNING');
  });

  for (const transport of ['grpc', 'rest'] as const) {
    test(`${transport}: create queue and task, the target receives Cloud Tasks' request, list, pause, run, delete`, async () => {
      const client = transport === 'grpc' ? grpcClient : restClient;
      const queueName = `${PARENT}/queues/q-${transport}`;
      const [queue] = await client.createQueue({ parent: PARENT, queue: { name: queueName, retryConfig: { maxAttempts: 3, minBackoff: { seconds: 1 } } } });
      assert.equal(queue.name, queueName);
      assert.equal(queue.state, 'RUNNING');
      assert.equal(queue.rateLimits?.maxDispatchesPerSecond, 500);
      assert.equal(queue.rateLimits?.maxConcurrentDispatches, 1000);
      assert.equal(queue.retryConfig?.maxAttempts, 3);
      assert.equal(Number(queue.retryConfig?.maxBackoff?.seconds), 3600);

      // Duplicate queue → ALREADY_EXISTS (gRPC code 6).
      await assert.rejects(client.createQueue({ parent: PARENT, queue: { name: queueName } }), (e: unknown) => rpc(e).code === 6);

      const before = t.received.length;
      const [task] = await client.createTask({
        parent: queueName,
        task: {
          name: `${queueName}/tasks/first-${transport}`,
          httpRequest: {
            url: `${t.url}/work?x=1`,
            httpMethod: 'PUT',
            headers: { 'Content-Type': 'application/json', 'X-CloudTasks-TaskName': 'spoofed', 'X-Custom': 'yes' },
            body: Buffer.from('{"taskId":"test"}'),
            oidcToken: { serviceAccountEmail: SA('tasks-invoker') },
          },
        },
        responseView: 'FULL',
      });
      assert.equal(task.name, `${queueName}/tasks/first-${transport}`);
      assert.equal(task.httpRequest?.httpMethod, 'PUT');
      assert.equal(Buffer.from(task.httpRequest!.body as Uint8Array).toString(), '{"taskId":"test"}');
      // task.proto: "create_time will be truncated to the nearest second."
      assert.equal(Number(task.createTime?.nanos ?? 0), 0, `createTime ${JSON.stringify(task.createTime)}`);
      assert.ok(Number(task.createTime?.seconds) > 0);
      await waitFor('the first delivery', () => t.received.length > before);
      const got = t.received[before]!;
      assert.equal(got.method, 'PUT');
      assert.equal(got.url, '/work?x=1');
      assert.equal(got.body, '{"taskId":"test"}');
      assert.equal(got.headers['user-agent'], 'Google-Cloud-Tasks');
      assert.equal(got.headers['x-cloudtasks-queuename'], `q-${transport}`);
      assert.equal(got.headers['x-cloudtasks-taskname'], `first-${transport}`);
      assert.equal(got.headers['x-cloudtasks-taskretrycount'], '0');
      assert.equal(got.headers['x-cloudtasks-taskexecutioncount'], '0');
      assert.match(String(got.headers['x-cloudtasks-tasketa']), /^\d{10}\.\d{6}$/);
      assert.equal(got.headers['x-cloudtasks-taskpreviousresponse'], undefined);
      assert.equal(got.headers['content-type'], 'application/json');
      assert.equal(got.headers['x-custom'], 'yes');
      // OIDC token for the SA, audience = the task URL (path and query included).
      const claims = JSON.parse(Buffer.from(String(got.headers.authorization).split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
      assert.equal(claims.email, SA('tasks-invoker'));
      assert.equal(claims.aud, `${t.url}/work?x=1`);

      // After success: the name is a tombstone.
      await waitFor('the task to be done', async () => {
        try {
          await client.getTask({ name: task.name! });
          return false;
        } catch (e) {
          return rpc(e).code === 5;
        }
      });
      await assert.rejects(client.getTask({ name: task.name! }), (e: unknown) => rpc(e).code === 5 && /existed recently/.test(rpc(e).message));
      // Same name again within the dedup window → ALREADY_EXISTS.
      await assert.rejects(
        client.createTask({ parent: queueName, task: { name: task.name!, httpRequest: { url: t.url } } }),
        (e: unknown) => rpc(e).code === 6,
      );

      // Pause: tasks wait; list shows them; RunTask dispatches anyway; resume; delete.
      const [paused] = await client.pauseQueue({ name: queueName });
      assert.equal(paused.state, 'PAUSED');
      const n0 = t.received.length;
      // Both carry a body, so the BASIC view's omission of it below is observable.
      const [later] = await client.createTask({ parent: queueName, task: { httpRequest: { url: `${t.url}/paused-${transport}`, body: Buffer.from('later') } } });
      assert.match(later.name!, /\/tasks\/\d+$/);
      const [other] = await client.createTask({ parent: queueName, task: { httpRequest: { url: `${t.url}/deleted-${transport}`, body: Buffer.from('other') } } });
      const [held] = await client.createTask({ parent: queueName, task: { httpRequest: { url: `${t.url}/held-${transport}` } } });
      const [listed] = await client.listTasks({ parent: queueName });
      assert.deepEqual(listed.map((x) => x.name).sort(), [later.name, other.name, held.name].sort());
      assert.equal(Buffer.from((listed[0]!.httpRequest?.body as Uint8Array | undefined) ?? []).length, 0, 'BASIC view has no body');

      const [ran] = await client.runTask({ name: later.name! });
      assert.equal(ran.name, later.name);
      await waitFor('the task RunTask dispatched', () => t.received.some((r) => r.url === `/paused-${transport}`));
      // The paused queue itself dispatched nothing: only RunTask's task arrived, and the others were never attempted.
      assert.deepEqual(t.received.slice(n0).map((r) => r.url), [`/paused-${transport}`]);
      for (const task of [other, held]) assert.equal(Number((await client.getTask({ name: task.name!, responseView: 'FULL' }))[0].dispatchCount ?? 0), 0, `${task.name} not attempted while paused`);
      await client.deleteTask({ name: other.name! });
      await assert.rejects(client.deleteTask({ name: other.name! }), (e: unknown) => rpc(e).code === 5);

      // ResumeQueue tells the dispatcher at once, rather than leaving the held task to its next sweep.
      const dispatcher = tasksDispatcher(ap.platform);
      const told: string[] = [];
      const laneRuns = dispatcher.laneRuns.bind(dispatcher);
      dispatcher.laneRuns = (q: string) => (told.push(q), laneRuns(q));
      try {
        const [resumed] = await client.resumeQueue({ name: queueName });
        assert.equal(resumed.state, 'RUNNING');
      } finally {
        dispatcher.laneRuns = laneRuns;
      }
      assert.ok(told.includes(`q-${transport}`), `resume woke the queue: ${told.join(', ')}`);
      // Once the queue holds no task, every attempt it made has been answered: count them.
      await waitFor('the resumed queue to empty', async () => (await client.listTasks({ parent: queueName }))[0].length === 0);
      assert.equal(t.received.filter((r) => r.url === `/held-${transport}`).length, 1, 'the held task ran once the queue resumed');
      assert.equal(t.received.filter((r) => r.url === `/deleted-${transport}`).length, 0, 'deleted task never runs');
      assert.equal(t.received.filter((r) => r.url === `/paused-${transport}`).length, 1, 'a run task does not fire again at its old time');

      // UpdateQueue with a mask, purge, delete.
      const [updated] = await client.updateQueue({ queue: { name: queueName, rateLimits: { maxDispatchesPerSecond: 7 } }, updateMask: { paths: ['rate_limits.max_dispatches_per_second'] } });
      assert.equal(updated.rateLimits?.maxDispatchesPerSecond, 7);
      assert.equal(updated.rateLimits?.maxBurstSize, 7);
      assert.equal(updated.retryConfig?.maxAttempts, 3, 'fields outside the mask are kept');
      await client.purgeQueue({ name: queueName });
      await client.deleteQueue({ name: queueName });
      await assert.rejects(client.getQueue({ name: queueName }), (e: unknown) => rpc(e).code === 5 && /Queue does not exist/.test(rpc(e).message));
      await assert.rejects(client.createQueue({ parent: PARENT, queue: { name: queueName } }), (e: unknown) => rpc(e).code === 9 && /existed too recently/.test(rpc(e).message));
    });
  }

  for (const transport of ['grpc', 'rest'] as const) {
    test(`${transport}: a scheduleTime in the past (1970, 2020) is set to the current time; the target's TaskETA shows it`, async () => {
      const client = transport === 'grpc' ? grpcClient : restClient;
      const queueName = `${PARENT}/queues/from-config`;
      for (const [label, seconds] of [['1970', 1], ['2020', Date.UTC(2020, 5, 1) / 1000]] as const) {
        const path = `/past-${transport}-${label}`;
        const before = Date.now();
        const [task] = await client.createTask({ parent: queueName, task: { scheduleTime: { seconds }, httpRequest: { url: `${t.url}${path}` } } });
        const after = Date.now();
        const scheduled = Number(task.scheduleTime?.seconds) * 1000 + Math.floor((task.scheduleTime?.nanos ?? 0) / 1e6);
        assert.ok(scheduled >= before - 1 && scheduled <= after, `${label}: scheduleTime ${new Date(scheduled).toISOString()} is the time of the create, between ${new Date(before).toISOString()} and ${new Date(after).toISOString()}`);
        await waitFor(`the delivery of ${path}`, () => t.received.some((r) => r.url === path));
        const eta = Number(t.received.find((r) => r.url === path)!.headers['x-cloudtasks-tasketa']) * 1000;
        assert.ok(Math.abs(eta - scheduled) < 1, `${label}: X-CloudTasks-TaskETA ${eta} is the task's scheduleTime ${scheduled}`);
      }
    });
  }

  test('rest: responseView FULL on GetTask and ListTasks, sent as a number (?responseView=2) as the REST client sends it, returns the body', async () => {
    const queueName = `${PARENT}/queues/views-rest`;
    await restClient.createQueue({ parent: PARENT, queue: { name: queueName } });
    await restClient.pauseQueue({ name: queueName });
    const [task] = await restClient.createTask({ parent: queueName, task: { httpRequest: { url: `${t.url}/views`, body: Buffer.from('the body') } } });
    const body = (x: { httpRequest?: { body?: unknown } | null }) => Buffer.from((x.httpRequest?.body as Uint8Array | undefined) ?? []).toString();
    const [full] = await restClient.getTask({ name: task.name!, responseView: 'FULL' });
    assert.equal(body(full), 'the body', 'GetTask FULL has the body');
    assert.equal(full.view, 'FULL');
    const [basic] = await restClient.getTask({ name: task.name!, responseView: 'BASIC' });
    assert.equal(body(basic), '', 'GetTask BASIC has none');
    const [listed] = await restClient.listTasks({ parent: queueName, responseView: 'FULL' });
    assert.deepEqual(listed.map(body), ['the body'], 'ListTasks FULL has the body');
    // What the client sends, by hand: the number, with and without enum-encoding=int; the name; a number no view has.
    for (const [query, view] of [['responseView=2&$alt=json%3Benum-encoding=int', 2], ['responseView=2', 'FULL'], ['responseView=FULL', 'FULL'], ['response_view=full', 'FULL']] as const) {
      const got = (await (await ap.api(`/v2/${task.name}?${query}`)).json()) as { view: unknown; httpRequest: { body?: string } };
      assert.deepEqual([got.view, got.httpRequest.body], [view, Buffer.from('the body').toString('base64')], query);
      const list = (await (await ap.api(`/v2/${queueName}/tasks?${query}`)).json()) as { tasks: { httpRequest: { body?: string } }[] };
      assert.equal(list.tasks[0]!.httpRequest.body, Buffer.from('the body').toString('base64'), `list ${query}`);
    }
    const bad = await ap.api(`/v2/${task.name}?responseView=7`);
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error: { message: string } }).error.message, /Invalid value at 'response_view' \(type\.googleapis\.com\/google\.cloud\.tasks\.v2\.Task\.View\), "7"/);
    await restClient.deleteQueue({ name: queueName });
  });

  test('validation errors use Google codes and words', async () => {
    const queueName = `${PARENT}/queues/from-config`;
    const bad = async (task: Record<string, unknown>, re: RegExp) =>
      assert.rejects(grpcClient.createTask({ parent: queueName, task }), (e: unknown) => rpc(e).code === 3 && re.test(rpc(e).message));
    await bad({ httpRequest: { url: 'ftp://x' } }, /must be a valid URL that begins with 'http:\/\/' or 'https:\/\/'/);
    await bad({ httpRequest: { url: t.url, httpMethod: 'GET', body: Buffer.from('x') } }, /Body is only allowed for POST, PUT, or PATCH/);
    await bad({ httpRequest: { url: t.url }, dispatchDeadline: { seconds: 5 } }, /\[15 seconds, 30 minutes\]/);
    await bad({ httpRequest: { url: t.url }, scheduleTime: { seconds: Math.floor(Date.now() / 1000) + 31 * 86400 } }, /at most 30 days/);
    await bad({ name: `${queueName}/tasks/bad.name`, httpRequest: { url: t.url } }, /TASK_ID can contain only letters/);
    // A token goes only to https:// (Google's words); a loopback URL, which no task of Google's can name, is let through.
    for (const token of [{ oidcToken: { serviceAccountEmail: SA('tasks-invoker') } }, { oauthToken: { serviceAccountEmail: SA('tasks-invoker') } }]) {
      await bad({ httpRequest: { url: 'http://update-123456789012.us-central1.run.app/x', ...token } }, /^3 INVALID_ARGUMENT: HttpRequest\.url must start with 'https:\/\/' for request with HttpRequest\.authorization_header$/);
    }
    await bad({ httpRequest: { url: t.url, body: Buffer.alloc(1024 * 1024) } }, /^3 INVALID_ARGUMENT: Task size too large$/);
    await assert.rejects(grpcClient.createTask({ parent: `${PARENT}/queues/nope`, task: { httpRequest: { url: t.url } } }), (e: unknown) => rpc(e).code === 5 && /Queue does not exist/.test(rpc(e).message));
    // A missing queue is answered before anything wrong with the task (its URL, its name, its service account).
    for (const task of [{ httpRequest: { url: 'ftp://x' } }, { name: `${PARENT}/queues/nope/tasks/bad.name`, httpRequest: { url: t.url } }, { httpRequest: { url: t.url, oidcToken: { serviceAccountEmail: SA('ghost') } } }, {}]) {
      await assert.rejects(grpcClient.createTask({ parent: `${PARENT}/queues/nope`, task }), (e: unknown) => rpc(e).code === 5 && /Queue does not exist/.test(rpc(e).message));
    }
    await assert.rejects(grpcClient.createQueue({ parent: PARENT, queue: { name: `${PARENT}/queues/x`, rateLimits: { maxDispatchesPerSecond: 501 } } }), (e: unknown) => rpc(e).code === 3);
    // An unknown service account: actAs refused.
    await assert.rejects(
      grpcClient.createTask({ parent: queueName, task: { httpRequest: { url: t.url, oidcToken: { serviceAccountEmail: SA('ghost') } } } }),
      (e: unknown) => rpc(e).code === 7 && /iam.serviceAccounts.actAs/.test(rpc(e).message),
    );
    // REST: unknown JSON names → 400 like Google; enum names and numbers both accepted.
    const res = await ap.api(`/v2/${queueName}/tasks`, { method: 'POST', body: JSON.stringify({ task: { httpRequest: { url: t.url, bogus: 1 } } }) });
    assert.equal(res.status, 400);
    assert.match(((await res.json()) as { error: { message: string } }).error.message, /Unknown name "bogus"/);
    const ok = await ap.api(`/v2/${queueName}/tasks?$alt=json%3Benum-encoding=int`, { method: 'POST', body: JSON.stringify({ task: { httpRequest: { url: t.url, httpMethod: 4, body: 'eA==' } }, responseView: 2 }) });
    assert.equal(ok.status, 200);
    const json = (await ok.json()) as { httpRequest: { httpMethod: number; body: string }; view: number; dispatchDeadline: string };
    assert.equal(json.httpRequest.httpMethod, 4);
    assert.equal(json.httpRequest.body, 'eA==');
    assert.equal(json.view, 2);
    assert.equal(json.dispatchDeadline, '600s');
    const named = await ap.api(`/v2/${queueName}/tasks`, { method: 'POST', body: JSON.stringify({ task: { httpRequest: { url: t.url, httpMethod: 'PUT' } }, responseView: 'FULL' }) });
    assert.equal(((await named.json()) as { httpRequest: { httpMethod: string } }).httpRequest.httpMethod, 'PUT');
  });
});

/** A google-auth-library client holding a fixed access token (as a developer's gcloud token would be). */
function fixedToken(token: string): OAuth2Client {
  const c = new OAuth2Client();
  c.setCredentials({ access_token: token, expiry_date: Date.now() + 3_600_000 });
  return c;
}

const GRPC: Record<string, number> = { INVALID_ARGUMENT: 3, NOT_FOUND: 5, ALREADY_EXISTS: 6, PERMISSION_DENIED: 7, FAILED_PRECONDITION: 9 };

/**
 * The gRPC code and message of a client error. Over gRPC the client sets `code`; in REST mode the
 * auth client's fetch rejects non-2xx with a GaxiosError whose message is Google's error JSON.
 */
function rpc(e: unknown): { code: number; message: string } {
  const err = e as { code?: unknown; message: string };
  if (typeof err.code === 'number' && err.code < 20) return { code: err.code, message: err.message };
  const body = JSON.parse(err.message) as { error: { status: string; message: string } };
  return { code: GRPC[body.error.status] ?? -1, message: body.error.message };
}

// server.workers: front doors served by several worker processes of one `authplane start` (the real CLI, on
// SQLite): requests are spread over the workers and every one is in the request log; workers that die are
// replaced (after pauses that grow while they keep dying), and a replacement that cannot take its door's port is
// tried again until it can; an IAM change and a service setting changed through the Admin API are enforced by
// every worker once answered, by one that is starting too; a stop waits for a starting worker; a supervised
// command behind them is restarted; IAP's checks run for requests that reach a worker; Cloud Tasks still
// delivers; workers die with the primary; a port in use stops the start naming the setting.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import cluster from 'node:cluster';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCli, runCli, freePort, isListening, processExists, type StartedCli } from './support/cli.js';
import { testConfig, startTestAuthplane } from './support/authplane.js';
import { waitFor } from './support/wait.js';
import { StartupError } from '../src/lib/startup-error.js';
import type { PolicyVersionRecord } from '../src/store/store.js';
import { RESTART_PAUSE_MAX_MS } from '../src/server/workers/primary.js';

const PROJECT = 'demo-project';
const SA = (n: string) => `${n}@${PROJECT}.iam.gserviceaccount.com`;
const UPDATE_URL = 'https://update-123456789012.us-central1.run.app';
const CLIENT_ID = '123456789012-workers.apps.googleusercontent.com';

/** One request on a connection of its own (so the workers' round-robin sees it as a new client). */
function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const r = request(url, { headers, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    r.on('error', reject);
    r.end();
  });
}

/** The worker a request id names: each worker numbers its requests under a prefix of its own. */
const workerOf = (requestId: string): string => requestId.slice(0, requestId.lastIndexOf('-'));

/** The workers that refused 12 requests on new connections to `url`, or undefined when an answer was not a 403. */
async function refusingWorkers(url: string): Promise<Set<string> | undefined> {
  const workers = new Set<string>();
  for (let i = 0; i < 12; i++) {
    const r = await get(url).catch(() => undefined);
    if (r?.status !== 403) return undefined;
    workers.add(workerOf(String(r.headers['x-authplane-request-id'])));
  }
  return workers;
}

/** Processes below `pid` whose command line contains `text` (Linux /proc). */
function descendants(pid: number, text: string): number[] {
  const all = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number);
  const parent = new Map<number, number>();
  for (const p of all) {
    try {
      parent.set(p, Number(readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]));
    } catch {
      // gone
    }
  }
  const below = (p: number): boolean => {
    for (let q = parent.get(p); q !== undefined && q > 1; q = parent.get(q)) if (q === pid) return true;
    return false;
  };
  return all.filter((p) => {
    try {
      return below(p) && readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(text);
    } catch {
      return false;
    }
  });
}

describe('front doors in worker processes (server.workers: 2)', () => {
  let dir: string;
  let upstream: Server;
  const received: IncomingHttpHeaders[] = [];
  let ap: StartedCli;
  let api: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'authplane-workers-'));
    upstream = createServer((req, res) => {
      received.push(req.headers);
      req.resume();
      req.on('end', () => res.end('updated'));
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    writeFileSync(join(dir, 'echo.mjs'), "import http from 'node:http';\nhttp.createServer((q, s) => s.end(String(process.pid))).listen(Number(process.env.PORT), '127.0.0.1');\n");
    const config = testConfig({
      server: { workers: 2 },
      serviceAccounts: [{ name: 'caller' }, { name: 'tasks-invoker' }, { name: 'update-runtime' }],
      iam: {
        bindings: [
          { resource: `projects/${PROJECT}`, role: 'roles/iam.serviceAccountTokenCreator', members: ['user:developer@example.com'] },
          { resource: 'services/update', role: 'roles/run.invoker', members: [`serviceAccount:${SA('tasks-invoker')}`] },
        ],
      },
      services: [
        { name: 'update', upstream: upstreamUrl, serviceAccount: 'update-runtime' },
        { name: 'echo', command: 'node echo.mjs', invokerIamCheck: false },
        { name: 'gated', upstream: upstreamUrl, iap: { enabled: true, oauthClientId: CLIENT_ID } },
      ],
      queues: [{ name: 'work' }],
    });
    writeFileSync(join(dir, 'authplane.yaml'), JSON.stringify(config)); // JSON is YAML
    ap = await startCli(['--config', join(dir, 'authplane.yaml'), '--data', join(dir, 'data')], { cwd: dir, env: { AUTHPLANE_DATABASE_URL: '' } });
    api = ap.url('api');
  });
  after(async () => {
    await ap?.stop();
    upstream?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const token = async (sa: string): Promise<string> => {
    const r = await fetch(`${api}/v1/projects/-/serviceAccounts/${SA(sa)}:generateIdToken`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ audience: UPDATE_URL, includeEmail: true }) });
    assert.equal(r.status, 200, await r.clone().text());
    return ((await r.json()) as { token: string }).token;
  };

  test('two worker processes serve the front doors, and every request they answer is in the request log', async () => {
    assert.equal(descendants(ap.pid, 'worker-main.js').length, 2);
    const door = ap.url('front door update');
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      const r = await get(`${door}/refused-${i}`);
      assert.equal(r.status, 403);
      ids.push(String(r.headers['x-authplane-request-id']));
    }
    // Each worker numbers its own requests: both took some.
    assert.ok(new Set(ids.map(workerOf)).size >= 2, `request ids from one worker only: ${ids.join(' ')}`);
    await waitFor('every refusal in the request log', async () => {
      const logged = ((await (await fetch(`${api}/admin/v1/requests?service=update&limit=1000`)).json()) as { requests: { id: string; code?: string }[] }).requests;
      return ids.every((id) => logged.some((e) => e.id === id && e.code === 'TOKEN_MISSING'));
    });
  });

  test('the pause before a worker is started again grows while it keeps dying, and starts over once one lived 10 s', async () => {
    const door = ap.url('front door update');
    const seen = new Set<string>();
    /** Whether a worker not seen before refuses requests at the door (the workers seen are remembered). */
    const newWorkerServing = async (): Promise<boolean> => {
      const workers = [...((await refusingWorkers(`${door}/pauses`)) ?? [])];
      const fresh = workers.filter((w) => !seen.has(w));
      for (const w of workers) seen.add(w);
      return fresh.length > 0;
    };
    // Both workers seen first, so that only a replacement is new.
    await waitFor('both workers refusing at the door', async () => {
      await newWorkerServing();
      return seen.size === 2;
    });
    /** Kills `pid` and returns its replacement's pid once the replacement serves. */
    const replace = async (pid: number): Promise<number> => {
      const kept = descendants(ap.pid, 'worker-main.js').filter((p) => p !== pid);
      process.kill(pid, 'SIGKILL');
      await waitFor('the replacement serving', async () => descendants(ap.pid, 'worker-main.js').length === 2 && !descendants(ap.pid, 'worker-main.js').includes(pid) && (await newWorkerServing()));
      return descendants(ap.pid, 'worker-main.js').find((p) => !kept.includes(p))!;
    };
    const from = ap.stderr().length;
    const second = await replace(descendants(ap.pid, 'worker-main.js')[0]!);
    const third = await replace(second); // lived a moment: the pause doubles
    // `third` serves, so it was forked before now: after this wait it has lived RESTART_PAUSE_MAX_MS.
    await new Promise((resolve) => setTimeout(resolve, RESTART_PAUSE_MAX_MS));
    await replace(third); // the first pause again
    // A replacement can answer before the primary has its ready message; killed in between, it is one that
    // "could not start", and its pause doubles the same way.
    const pauses = [...ap.stderr().slice(from).matchAll(/front-door worker (\d+) (?:exited|could not start)[\s\S]*?; starting it again in (\d+) ms/g)];
    assert.equal(pauses.length, 3, ap.stderr().slice(from));
    assert.equal(new Set(pauses.map((m) => m[1])).size, 1, 'one worker index');
    const [a, b, c] = pauses.map((m) => Number(m[2]));
    // (No worker died before this test: its pauses are the first ones.)
    assert.deepEqual([a, b], [100, 200], 'the first pause, then twice as long for a worker that dies again soon');
    assert.equal(c, 100, 'one that lived 10 s is started again after the first pause');
  });

  test('workers that die are started again on the same ports (port 0 included), one or all at once, each numbering its requests anew', async () => {
    const doors = ['update', 'echo', 'gated'].map((s) => ap.url(`front door ${s}`));
    // Three doors with port 0, three ports: each door's listen(0) in one worker shares the same door's in the other.
    assert.equal(new Set(doors.map((d) => new URL(d).port)).size, 3, doors.join(' '));
    const prefixesSeen = new Set<string>();
    // Every door answers on the port printed at start; the request-id prefixes of the workers that answered.
    const answering = async (): Promise<Set<string> | undefined> => {
      const prefixes = new Set<string>();
      for (let i = 0; i < 12; i++) {
        const [update, echo, gated] = await Promise.all(doors.map((d) => get(`${d}/after-restart`).catch(() => undefined)));
        if (update?.status !== 403 || echo?.status !== 200 || gated?.status !== 302) return undefined;
        prefixes.add(workerOf(String(update.headers['x-authplane-request-id'])));
      }
      return prefixes;
    };
    for (const p of (await answering()) ?? []) prefixesSeen.add(p);
    const killAndWait = async (killed: number[], kept: number[]) => {
      for (const pid of killed) process.kill(pid, 'SIGKILL');
      await waitFor('new workers beside those kept', () => {
        const now = descendants(ap.pid, 'worker-main.js');
        return now.length === 2 && kept.every((p) => now.includes(p)) && !killed.some((p) => now.includes(p));
      });
      // The new worker takes its share of new connections on every door; its request ids are its own.
      await waitFor('a new worker answering on the ports printed at start', async () => {
        const prefixes = await answering();
        const fresh = [...(prefixes ?? [])].filter((p) => !prefixesSeen.has(p));
        for (const p of prefixes ?? []) prefixesSeen.add(p);
        return fresh.length > 0;
      });
    };
    const [first, second] = descendants(ap.pid, 'worker-main.js');
    await killAndWait([first!], [second!]);
    // Both at once: the shared sockets close with their last worker, and the next workers listen on the same ports.
    await killAndWait(descendants(ap.pid, 'worker-main.js'), []);
    assert.deepEqual(['update', 'echo', 'gated'].map((s) => ap.url(`front door ${s}`)), doors);
  });

  test('a worker that cannot start again (its door\'s port taken meanwhile) is started again until it can', async () => {
    const door = ap.url('front door update');
    const { hostname, port } = new URL(door);
    const stderrBefore = ap.stderr().length;
    for (const pid of descendants(ap.pid, 'worker-main.js')) process.kill(pid, 'SIGKILL');
    // The door's shared socket closes with its last worker: another process takes the port before the
    // replacements listen on it, so their start fails.
    let blocker: Server | undefined;
    await waitFor(
      'the door\'s port free to take',
      () =>
        new Promise<boolean>((resolve) => {
          const s = createServer();
          s.once('error', () => resolve(false));
          s.listen(Number(port), hostname, () => resolve(Boolean((blocker = s))));
        }),
      { every: 2 },
    );
    try {
      await waitFor('a replacement that could not listen', () => /front-door worker \d.*already in use \(EADDRINUSE\)/.test(ap.stderr().slice(stderrBefore)));
    } finally {
      await new Promise((r) => blocker!.close(r));
    }
    // Once the port is free again, the next attempts listen on it: the door answers where it did, from both
    // workers (new connections go to each in turn), before the next test changes what they enforce.
    await waitFor('both workers answering on the door\'s port again', async () => {
      if (descendants(ap.pid, 'worker-main.js').length !== 2) return false;
      return (await refusingWorkers(`${door}/after-blocked`))?.size === 2;
    });
    assert.equal(ap.url('front door update'), door);
  });

  test('an IAM grant is enforced by every worker as soon as setIamPolicy answers', async () => {
    const door = ap.url('front door update');
    const t = await token('caller');
    assert.equal((await get(`${door}/`, { authorization: `Bearer ${t}` })).status, 403);
    const policy = { bindings: [{ role: 'roles/run.invoker', members: [`serviceAccount:${SA('tasks-invoker')}`, `serviceAccount:${SA('caller')}`] }] };
    const set = await fetch(`${api}/v2/projects/${PROJECT}/locations/us-central1/services/update:setIamPolicy`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ policy }) });
    assert.equal(set.status, 200, await set.clone().text());
    for (let i = 0; i < 8; i++) assert.equal((await get(`${door}/`, { authorization: `Bearer ${t}` })).status, 200, `request ${i} after the grant`);
  });

  test('a service setting changed through the Admin API is applied by every worker as soon as the change answers', async () => {
    const door = ap.url('front door update');
    const path = `${api}/v2/projects/${PROJECT}/locations/us-central1/services/update`;
    const patch = (invokerIamDisabled: boolean) =>
      fetch(`${path}?updateMask=invokerIamDisabled`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ invokerIamDisabled }) });
    assert.equal((await get(`${door}/`)).status, 403);
    const off = await patch(true);
    assert.equal(off.status, 200, await off.clone().text());
    for (let i = 0; i < 8; i++) assert.equal((await get(`${door}/`)).status, 200, `request ${i} without a token after invokerIamDisabled: true`);
    const on = await patch(false);
    assert.equal(on.status, 200, await on.clone().text());
    for (let i = 0; i < 8; i++) assert.equal((await get(`${door}/`)).status, 403, `request ${i} without a token after invokerIamDisabled: false`);
  });

  test('a supervised command behind the workers answers, and after it dies it is restarted and answers again', async () => {
    const door = ap.url('front door echo');
    const first = await get(`${door}/`);
    assert.equal(first.status, 200);
    process.kill(Number(first.body), 'SIGKILL');
    await waitFor('a new echo process answering', async () => {
      const r = await get(`${door}/`).catch(() => undefined);
      return r?.status === 200 && r.body !== first.body;
    });
  });

  test("IAP's checks run for requests that reach a worker: 401 for AJAX without a session, else 302 to sign-in", async () => {
    const door = ap.url('front door gated');
    const ajax = await get(`${door}/page`, { 'x-requested-with': 'XMLHttpRequest' });
    assert.equal(ajax.status, 401);
    assert.equal(ajax.headers['x-goog-iap-generated-response'], 'true');
    const page = await get(`${door}/page`, { accept: 'text/html' });
    assert.equal(page.status, 302);
    assert.match(String(page.headers.location), /client_id=123456789012-workers/);
  });

  test('Cloud Tasks delivers to a service whose front doors are in workers', async () => {
    const before = received.length;
    const r = await fetch(`${api}/v2/projects/${PROJECT}/locations/us-central1/queues/work/tasks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ task: { httpRequest: { url: `${UPDATE_URL}/from-tasks`, oidcToken: { serviceAccountEmail: SA('tasks-invoker'), audience: UPDATE_URL } } } }),
    });
    assert.equal(r.status, 200, await r.clone().text());
    await waitFor('the task at the service', () => received.slice(before).some((h) => h['x-cloudtasks-queuename'] === 'work'));
  });
});

// Here this test process is the primary (authplane in process): it sees what the workers ask of the store and
// when a worker is forked.
describe('front-door workers while one starts again', () => {
  test('a grant made after a replacement worker loaded IAM is answered only once that worker enforces it', async () => {
    const upstream = createServer((_req, res) => res.end('updated'));
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const ap = await startTestAuthplane({
      server: { workers: 2 },
      serviceAccounts: [{ name: 'caller' }],
      iam: { bindings: [{ resource: `projects/${PROJECT}`, role: 'roles/iam.serviceAccountTokenCreator', members: ['user:developer@example.com'] }] },
      services: [{ name: 'update', upstream: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}` }],
    });
    try {
      const door = ap.platform.directory.get('update')!.urls.local!;
      const minted = await ap.api(`/v1/projects/-/serviceAccounts/${SA('caller')}:generateIdToken`, { method: 'POST', body: JSON.stringify({ audience: UPDATE_URL, includeEmail: true }) });
      assert.equal(minted.status, 200, await minted.clone().text());
      const auth = { authorization: `Bearer ${((await minted.json()) as { token: string }).token}` };
      const before = new Set<string>();
      for (let i = 0; i < 8; i++) {
        const r = await get(`${door}/`, auth);
        assert.equal(r.status, 403, 'caller is not an invoker yet');
        before.add(workerOf(String(r.headers['x-authplane-request-id'])));
      }
      assert.equal(before.size, 2);

      // The replacement's first read of IAM (from seq 0: the primary's own reads go on from its last seq) is
      // answered without the grant, and the grant is made right after it. Reads of settings wait until the grant
      // is answered, so the replacement serves only after that. Reads of IAM after the answer wait until a request
      // reached the replacement: a replacement the grant did not wait for serves it on the IAM it loaded.
      const store = ap.platform.store;
      const read = store.policyVersionsSince.bind(store);
      const readSettings = store.latestServiceVersions.bind(store);
      let grant: Promise<Response> | undefined;
      let answered = false;
      let grantAnswered!: () => void;
      const answer = new Promise<void>((resolve) => (grantAnswered = resolve));
      let replacementServed!: () => void;
      const served = new Promise<void>((resolve) => (replacementServed = resolve));
      const policy = { bindings: [{ role: 'roles/run.invoker', members: [`serviceAccount:${SA('caller')}`] }] };
      store.policyVersionsSince = async (seq: number): Promise<PolicyVersionRecord[]> => {
        if (seq === 0 && grant === undefined) {
          const loaded = await read(seq);
          grant = ap.api(`/v2/projects/${PROJECT}/locations/us-central1/services/update:setIamPolicy`, { method: 'POST', body: JSON.stringify({ policy }) }).then((res) => {
            answered = true;
            grantAnswered();
            return res;
          });
          return loaded;
        }
        // (At most 2 s: the primary's and the other worker's own reads of IAM wait too.)
        if (answered) await Promise.race([served, new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
        return read(seq);
      };
      store.latestServiceVersions = async () => {
        if (grant !== undefined) await answer;
        return readSettings();
      };
      try {
        const [killed] = Object.values(cluster.workers!);
        killed!.process.kill('SIGKILL');
        await waitFor('the replacement loading IAM', () => grant !== undefined);
        const set = await grant!;
        assert.equal(set.status, 200, await set.clone().text());
        // Answered: every worker admits the caller, the replacement too once it serves. (An admitted request
        // carries no request id: the request log tells which worker answered it.)
        const fresh = (id: unknown) => typeof id === 'string' && !before.has(workerOf(id));
        const seen: string[] = [];
        await waitFor('a request answered by the replacement', async () => {
          const r = await get(`${door}/after-grant-${seen.length}`, auth);
          seen.push(`${r.status} ${r.headers['x-authplane-request-id'] ?? ''}`);
          const logged = ((await (await ap.api('/admin/v1/requests?service=update&limit=1000')).json()) as { requests: { id: string; path: string }[] }).requests;
          if (!fresh(r.headers['x-authplane-request-id']) && !logged.some((e) => e.path.startsWith('/after-grant-') && fresh(e.id))) return false;
          replacementServed();
          return true;
        }, { every: 2 });
        assert.deepEqual(seen.filter((s) => !s.startsWith('200 ')), [], 'every request after the grant answered is admitted');
      } finally {
        store.policyVersionsSince = read;
        store.latestServiceVersions = readSettings;
        replacementServed();
      }
    } finally {
      await ap.stop();
      upstream.close();
    }
  });

  test('a stop that begins while a replacement worker starts waits for that worker too', async () => {
    const ap = await startTestAuthplane({ server: { workers: 2 }, services: [{ name: 'svc', upstream: 'http://127.0.0.1:9', invokerIamCheck: false }] });
    let stopped: Promise<void> | undefined;
    try {
      // The stop begins as the replacement is forked: it cannot be ready yet.
      const forked = new Promise<void>((resolve) => cluster.once('fork', () => resolve(void (stopped = ap.stop()))));
      Object.values(cluster.workers!)[0]!.process.kill('SIGKILL');
      await forked;
      await stopped;
      const left = Object.values(cluster.workers!).filter((w) => w && !w.isDead());
      assert.deepEqual(left.map((w) => w!.process.pid), [], 'no worker outlives the stop');
    } finally {
      if (!stopped) await ap.stop();
    }
  });
});

describe('front-door workers: start and end', () => {
  test('workers exit when the primary is killed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'authplane-workers-kill-'));
    try {
      const config = testConfig({ server: { workers: 2 }, services: [{ name: 'svc', upstream: 'http://127.0.0.1:9', invokerIamCheck: false }] });
      writeFileSync(join(dir, 'authplane.yaml'), JSON.stringify(config));
      const ap = await startCli(['--config', join(dir, 'authplane.yaml'), '--data', join(dir, 'data')], { cwd: dir, env: { AUTHPLANE_DATABASE_URL: '' } });
      const workers = descendants(ap.pid, 'worker-main.js');
      assert.equal(workers.length, 2);
      const port = Number(new URL(ap.url('front door svc')).port);
      process.kill(ap.pid, 'SIGKILL');
      await ap.exited;
      await waitFor('the workers gone', () => workers.every((p) => !processExists(p)));
      assert.equal(await isListening(port), false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a front door port in use stops the start and names services[0].port', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'authplane-workers-port-'));
    const holder = createServer();
    try {
      const port = await freePort();
      await new Promise<void>((r) => holder.listen(port, '127.0.0.1', r));
      const config = testConfig({ server: { workers: 2 }, services: [{ name: 'svc', port, upstream: 'http://127.0.0.1:9', invokerIamCheck: false }] });
      writeFileSync(join(dir, 'authplane.yaml'), JSON.stringify(config));
      const r = await runCli(['start', '--config', join(dir, 'authplane.yaml'), '--data', join(dir, 'data')], { cwd: dir, env: { AUTHPLANE_DATABASE_URL: '' }, timeoutMs: 60_000 });
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /services\[0\]\.port: port \d+ on 127\.0\.0\.1 is already in use/);
    } finally {
      holder.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('an injected clock cannot be shared with worker processes: refused naming server.workers', async () => {
    await assert.rejects(
      startTestAuthplane({ server: { workers: 2 }, services: [{ name: 'svc', upstream: 'http://127.0.0.1:9' }] }, { clock: () => Date.now() }),
      (e: unknown) => e instanceof StartupError && e.setting === 'server.workers',
    );
  });
});


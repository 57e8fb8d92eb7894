// Crash test: `authplane start` as a child process, 4,000 tasks under load, SIGKILL mid-dispatch,
// start again on the same data: every task completes; a task is delivered twice only if its attempt
// was in flight (claimed, outcome not yet recorded) at the kill — counted from the tasks' own records.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startCli, type StartedCli } from './support/cli.js';
import { waitFor, withDeadline } from './support/wait.js';

// Enough to have hundreds in flight at the kill, few enough to finish on a machine loaded twice over.
const N = 4_000;
const QUEUES = 4;
const CONCURRENCY = 200;
const LOC = 'projects/demo-project/locations/us-central1';

describe('Cloud Tasks survives SIGKILL', () => {
  const dir = mkdtempSync(join(tmpdir(), 'authplane-crash-'));
  const started: StartedCli[] = [];
  let server: Server | undefined;
  let killed = false;
  // Also when the test fails half-way: no creator keeps fetching, no server keeps this process alive.
  after(async () => {
    killed = true;
    for (const p of started) await p.stop();
    server?.closeAllConnections();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    rmSync(dir, { recursive: true, force: true });
  });

  test(`${N} tasks, SIGKILL during dispatch, restart: every task completes, duplicates only for in-flight attempts`, async () => {
    const delivered = new Map<string, number>();
    let reachedThird = () => undefined as void;
    const third = new Promise<void>((r) => (reachedThird = r));
    server = createServer((req, res) => {
      const name = String(req.headers['x-cloudtasks-taskname']);
      delivered.set(name, (delivered.get(name) ?? 0) + 1);
      if (delivered.size >= N / 3) reachedThird();
      req.resume();
      // A service that takes a moment, so many attempts are in flight at the kill.
      setTimeout(() => res.writeHead(200).end(), 5);
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const target = `http://127.0.0.1:${(server.address() as AddressInfo).port}/work`;
    const configFile = join(dir, 'authplane.yaml');
    writeFileSync(
      configFile,
      `server: { host: 127.0.0.1, apiPort: 0, grpcPort: 0 }\nqueues:\n${Array.from({ length: QUEUES }, (_, i) => `  - { name: crash-${i}, rateLimits: { maxDispatchesPerSecond: 500, maxConcurrentDispatches: ${CONCURRENCY} } }`).join('\n')}\n`,
    );
    const dataDir = join(dir, 'data');
    const start = async () => {
      const p = await startCli(['--config', configFile, '--data', dataDir]);
      started.push(p);
      return { p, api: p.url('api') };
    };

    let ap = await start();
    const created = new Set<number>();
    const create = async (i: number) => {
      const q = `${LOC}/queues/crash-${i % QUEUES}`;
      const res = await fetch(`${ap.api}/v2/${q}/tasks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ task: { name: `${q}/tasks/t${i}`, httpRequest: { url: target } } }) });
      if (res.status === 200 || res.status === 409) created.add(i);
      await res.arrayBuffer();
    };
    // Create under load; kill once a third has been delivered.
    let next = 0;
    const creators = Array.from({ length: 64 }, async () => {
      while (next < N && !killed) {
        const i = next++;
        await create(i).catch(() => undefined);
      }
    });
    await withDeadline(`${N / 3} deliveries`, third, 120_000);
    process.kill(ap.p.pid, 'SIGKILL');
    killed = true;
    await Promise.all(creators);
    await ap.p.exited;
    const deliveredAtKill = delivered.size;

    ap = await start();
    // Creates that failed or never ran are sent again (ALREADY_EXISTS if the kill came after the commit).
    const missing = Array.from({ length: N }, (_, i) => i).filter((i) => !created.has(i));
    let m = 0;
    await Promise.all(Array.from({ length: 64 }, async () => {
      while (m < missing.length) await create(missing[m++]!);
    }));
    // Once no queue holds a task, every attempt has been answered and recorded: nothing more can arrive.
    const queued = async (q: number) => ((await (await fetch(`${ap.api}/admin/v1/queues/crash-${q}/tasks?limit=1`)).json()) as { tasks: unknown[] }).tasks.length;
    await waitFor('every task done', async () => delivered.size === N && (await Promise.all(Array.from({ length: QUEUES }, (_, q) => queued(q)))).every((n) => n === 0), { within: 120_000 });
    assert.deepEqual(await ap.p.stop(), { code: 0, signal: null });

    // The tasks' own records: how often each was claimed, and the attempts recorded for it. A claim with no
    // recorded attempt is one the killed process had in flight (everything else was recorded, the second
    // process having stopped cleanly).
    const db = new Database(join(dataDir, 'authplane.db'), { readonly: true });
    const rows = db
      .prepare(
        `SELECT t.id, t.state, t.dispatch_count AS claims,
                (SELECT count(*) FROM task_attempts a WHERE a.task_seq = t.seq) AS recorded,
                (SELECT count(*) FROM task_attempts a WHERE a.task_seq = t.seq AND a.http_status = 200) AS succeeded
         FROM tasks t WHERE t.queue LIKE 'crash-%'`,
      )
      .all() as { id: string; state: string; claims: number; recorded: number; succeeded: number }[];
    db.close();
    assert.equal(rows.length, N);
    assert.deepEqual(rows.filter((r) => r.state !== 'done'), [], 'every task done');
    assert.deepEqual(rows.filter((r) => r.succeeded !== 1), [], 'one recorded success per task');
    const unrecorded = new Map(rows.map((r) => [r.id, r.claims - r.recorded]));
    assert.deepEqual([...unrecorded].filter(([, n]) => n !== 0 && n !== 1), [], 'at most one attempt per task lost with the killed process');

    assert.equal(delivered.size, N, 'every task delivered');
    const twice = [...delivered].filter(([, n]) => n > 1).map(([id]) => id);
    const inFlightAtKill = [...unrecorded.values()].filter((n) => n === 1).length;
    const retried = rows.reduce((sum, r) => sum + r.recorded - r.succeeded, 0);
    console.log(`# killed after ${deliveredAtKill} deliveries; ${missing.length} creates re-sent; ${inFlightAtKill} attempts in flight at the kill; ${twice.length} tasks delivered twice; ${retried} attempts retried after no answer`);
    assert.ok([...delivered.values()].every((n) => n <= 2), 'no task delivered more than twice');
    assert.deepEqual(twice.filter((id) => unrecorded.get(id) !== 1), [], 'a task delivered twice had an attempt in flight at the kill');
    assert.ok(inFlightAtKill <= QUEUES * CONCURRENCY, `in flight at the kill: at most ${QUEUES} queues × ${CONCURRENCY} concurrent, saw ${inFlightAtKill}`);
  });
});

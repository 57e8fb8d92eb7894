// Two `authplane start` processes on one PostgreSQL share a queue: 2,000 tasks each succeed exactly
// once at a counting target, both processes dispatch, and the queue's one rate limit holds across them.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudTasksClient } from '@google-cloud/tasks';
import { grpc } from 'google-gax';
import pg from 'pg';
import { testConfig } from './support/authplane.js';
import { startCli, type StartedCli } from './support/cli.js';
import { freshDatabase, stopPostgres } from './support/postgres.js';
import { waitFor } from './support/wait.js';

const RATE = 400;
const BURST = 100; // burstFor(400) caps at 100
const N = 2000;

describe('Cloud Tasks on PostgreSQL with two processes', () => {
  const aps: StartedCli[] = [];
  let server: Server;
  const delivered = new Map<string, number>();
  let databaseUrl = '';
  let dir = '';

  before(async () => {
    server = createServer((req, res) => {
      const name = String(req.headers['x-cloudtasks-taskname']);
      delivered.set(name, (delivered.get(name) ?? 0) + 1);
      req.resume();
      res.writeHead(200).end();
    });
    // Longer than the dispatchers' pauses: a connection the target closed at its 5 s default while an attempt
    // reused it fails with ECONNRESET and is retried, a second recorded attempt for that task (seen under load).
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    databaseUrl = await freshDatabase();
    dir = mkdtempSync(join(tmpdir(), 'authplane-tasks-pg-'));
    const config = join(dir, 'authplane.yaml');
    writeFileSync(config, JSON.stringify(testConfig({ queues: [{ name: 'shared', rateLimits: { maxDispatchesPerSecond: RATE, maxConcurrentDispatches: 500 } }] }))); // JSON is YAML
    for (const name of ['a', 'b']) {
      aps.push(await startCli(['--config', config, '--database', databaseUrl, '--data', join(dir, name)], { env: { AUTHPLANE_DATABASE_URL: '' } }));
    }
  });
  after(async () => {
    for (const ap of aps) await ap.stop();
    await new Promise<void>((r) => server.close(() => r()));
    await stopPostgres();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test(`${N} tasks created through both processes: each delivered exactly once, within one shared ${RATE}/s limit`, async () => {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/count`;
    const clients = aps.map((ap) => new CloudTasksClient({ servicePath: '127.0.0.1', port: Number(new URL(ap.url('grpc')).port), sslCreds: grpc.credentials.createInsecure() }));
    const parent = 'projects/demo-project/locations/us-central1/queues/shared';
    // Paused while the tasks are created, so all 2,000 are due when it resumes and the rate limit binds however
    // slowly this machine creates them.
    await clients[0]!.pauseQueue({ name: parent });
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        while (next < N) {
          const i = next++;
          await clients[i % 2]!.createTask({ parent, task: { name: `${parent}/tasks/t${i}`, httpRequest: { url } } });
        }
      }),
    );
    const createdMs = performance.now() - started;
    await clients[1]!.resumeQueue({ name: parent });
    for (const c of clients) await c.close();
    // Done when no task is queued and every claim (dispatch_count) has its recorded attempt: then no
    // attempt is on its way, and a duplicate would already be counted at the target.
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    const count = async (sql: string) => Number(((await db.query(sql)).rows[0] as { n: string }).n);
    await waitFor('every task done and every attempt recorded', async () => {
      if ((await count("SELECT count(*) AS n FROM tasks WHERE queue = 'shared' AND state = 'queued'")) > 0) return false;
      return (await count("SELECT coalesce(sum(dispatch_count), 0) AS n FROM tasks WHERE queue = 'shared'")) === (await count("SELECT count(*) AS n FROM task_attempts WHERE queue = 'shared'"));
    }, { within: 60_000 });
    // Who dispatched and when, from the attempts both processes recorded (the worker is host:pid:…),
    // and when each task was claimed (first_attempt_at: the bucket's time when the claim drew its tokens).
    const rows = (await db.query("SELECT task_id, attempt, http_status, error, worker FROM task_attempts WHERE queue = 'shared'")).rows as {
      task_id: string;
      attempt: string;
      http_status: string | null;
      error: string | null;
      worker: string;
    }[];
    const claimed = (await db.query("SELECT first_attempt_at FROM tasks WHERE queue = 'shared' ORDER BY first_attempt_at")).rows as { first_attempt_at: string | number }[];
    await db.end();

    assert.equal(delivered.size, N, 'every task delivered');
    const dupes = [...delivered.entries()].filter(([, n]) => n !== 1);
    assert.deepEqual(dupes, [], 'no task delivered twice');
    const failed = rows.filter((r) => r.http_status === null || Number(r.http_status) !== 200).map((r) => `${r.task_id}#${r.attempt}: ${r.http_status ?? r.error}`);
    assert.deepEqual(failed, [], 'no attempt failed');
    assert.equal(rows.length, N, 'one recorded attempt per task');
    const sent = aps.map((ap) => rows.filter((r) => r.worker.split(':')[1] === String(ap.pid)).length);
    assert.ok(sent[0]! > 0 && sent[1]! > 0, `both processes dispatched (${sent.join(' + ')})`);
    assert.equal(sent[0]! + sent[1]!, N, 'every attempt was made by one of the two processes');

    // The shared bucket, judged on the times the claims were stamped with: the bucket's own time, when their tokens
    // existed (sql/postgres/000009), however long a claim waited for the queue row's lock on a busy machine. In any
    // 1 s window at most the bucket (BURST) plus 1 s of RATE; over the whole run no faster than RATE after the first
    // BURST. Exact bounds: two unshared buckets would show about twice the rate.
    const times = claimed.map((r) => Number(r.first_attempt_at));
    assert.equal(times.length, N);
    let worst = 0;
    for (let i = 0, j = 0; i < times.length; i++) {
      while (times[i]! - times[j]! > 1000) j++;
      worst = Math.max(worst, i - j + 1);
    }
    assert.ok(worst <= RATE + BURST, `at most ${RATE + BURST} claims in any 1 s window, saw ${worst}`);
    const spanS = (times.at(-1)! - times[0]!) / 1000;
    assert.ok(spanS >= (N - BURST) / RATE, `${N} tasks at ${RATE}/s take ≥ ${((N - BURST) / RATE).toFixed(2)} s, took ${spanS.toFixed(3)} s`);
    console.log(`# created ${N} in ${createdMs.toFixed(0)} ms over gRPC; claimed over ${spanS.toFixed(2)} s (${(N / spanS).toFixed(0)}/s, limit ${RATE}/s); worst 1 s window ${worst}; split ${sent.join(' + ')}`);
  });
});

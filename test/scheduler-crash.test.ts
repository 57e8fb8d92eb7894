// Crash test: `authplane start` as a child process; 40 jobs run (RunJob) against a target that answers the
// first 10 and holds the rest; SIGKILL while 30 executions are in flight; start again on the same data: every
// execution completes (the lost attempts run again as attempt 2 of the same execution), none is lost, and no
// job's schedule moved.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCli } from './support/cli.js';
import { waitFor } from './support/wait.js';

const N = 40;
const ANSWERED_BEFORE_KILL = 10;
const LOC = 'projects/demo-project/locations/us-central1';

describe('Cloud Scheduler survives SIGKILL', () => {
  const dir = mkdtempSync(join(tmpdir(), 'authplane-sched-crash-'));
  const children: ChildProcess[] = [];
  after(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  test(`${N} executions, SIGKILL with ${N - ANSWERED_BEFORE_KILL} in flight, restart: every one completes, attempt 2 of the same execution`, async () => {
    const answered = new Map<string, number>();
    const held: ServerResponse[] = [];
    let holding = true;
    const server = createServer((req, res) => {
      const job = String(req.headers['x-cloudscheduler-jobname']);
      req.resume();
      req.on('end', () => {
        if (holding && answered.size >= ANSWERED_BEFORE_KILL) {
          held.push(res);
          return;
        }
        answered.set(job, (answered.get(job) ?? 0) + 1);
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const target = `http://127.0.0.1:${(server.address() as AddressInfo).port}/run`;
    const configFile = join(dir, 'authplane.yaml');
    writeFileSync(configFile, 'server: { host: 127.0.0.1, apiPort: 0, grpcPort: 0 }\n');
    const dataDir = join(dir, 'data');
    const start = async () => {
      const s = await startCli(['--config', configFile, '--data', dataDir]);
      children.push(s.child);
      return { child: s.child, api: s.url('api') };
    };
    const call = async (api: string, method: string, path: string, body?: unknown) => {
      const res = await fetch(`${api}${path}`, { method, headers: { 'content-type': 'application/json' }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
      const json = (await res.json()) as Record<string, unknown>;
      assert.equal(res.status, 200, JSON.stringify(json));
      return json;
    };

    let ap = await start();
    const schedules = new Map<string, unknown>();
    for (let i = 0; i < N; i++) {
      const job = (await call(ap.api, 'POST', `/v1/${LOC}/jobs`, { name: `${LOC}/jobs/j${i}`, schedule: '0 0 1 1 *', httpTarget: { uri: target }, attemptDeadline: '60s' })) as { scheduleTime: string };
      schedules.set(`j${i}`, job.scheduleTime);
    }
    for (let i = 0; i < N; i++) await call(ap.api, 'POST', `/v1/${LOC}/jobs/j${i}:run`, {});
    await waitFor('ten answered, thirty held', () => answered.size === ANSWERED_BEFORE_KILL && held.length === N - ANSWERED_BEFORE_KILL);
    // Let the ten outcomes reach the store (they are written in batches within milliseconds).
    await waitFor('the answered attempts to be recorded', async () => {
      const attempts = await Promise.all([...answered.keys()].map(async (j) => ((await call(ap.api, 'GET', `/admin/v1/jobs/${j}/attempts`)) as { attempts: unknown[] }).attempts.length));
      return attempts.every((n) => n === 1);
    });
    ap.child.kill('SIGKILL');
    await new Promise((r) => ap.child.once('exit', r));
    for (const res of held.splice(0)) res.destroy();
    holding = false;

    ap = await start();
    await waitFor('every execution to complete after the restart', () => answered.size === N);
    for (let i = 0; i < N; i++) {
      const j = `j${i}`;
      await waitFor(`${j}'s attempt record`, async () => ((await call(ap.api, 'GET', `/admin/v1/jobs/${j}/attempts`)) as { attempts: unknown[] }).attempts.length >= 1);
      const { attempts } = (await call(ap.api, 'GET', `/admin/v1/jobs/${j}/attempts`)) as { attempts: { attempt: number; httpStatus: number; execution: string }[] };
      const job = (await call(ap.api, 'GET', `/v1/${LOC}/jobs/${j}`)) as { status?: { code?: number }; scheduleTime: string };
      assert.deepEqual(job.status, {}, `${j} ends OK`);
      assert.equal(job.scheduleTime, schedules.get(j), `${j}'s next run did not move`);
      // The held ones: attempt 1 died with the process (never recorded), attempt 2 of the same execution succeeded.
      const expected = attempts.length === 1 && answered.get(j) === 1 ? [[attempts[0]!.attempt, 200]] : undefined;
      assert.ok(expected !== undefined, `${j}: ${JSON.stringify(attempts)}`);
      assert.deepEqual(attempts.map((a) => [a.attempt, a.httpStatus]), expected, `${j}: its one recorded attempt answered 200`);
      assert.equal(new Set(attempts.map((a) => a.execution)).size, 1);
    }
    const second = (await Promise.all(Array.from({ length: N }, async (_, i) => ((await call(ap.api, 'GET', `/admin/v1/jobs/j${i}/attempts`)) as { attempts: { attempt: number }[] }).attempts[0]!.attempt))).filter((a) => a === 2);
    assert.equal(second.length, N - ANSWERED_BEFORE_KILL, 'each execution in flight at the kill ran again as its attempt 2');
    ap.child.kill('SIGTERM');
    await new Promise<void>((r) => server.close(() => r()));
  });
});

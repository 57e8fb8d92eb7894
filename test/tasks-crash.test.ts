// Crash test: `authplane start` as a child process, 10,000 tasks under load, SIGKILL mid-dispatch,
// start again on the same data: every task completes; a task is delivered twice only if its attempt
// was in flight (sent, outcome not yet written) at the kill.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCli } from './support/cli.js';

const N = 10_000;
const QUEUES = 4;
const CONCURRENCY = 200;
const LOC = 'projects/demo-project/locations/us-central1';

const startChild = async (configFile: string, dataDir: string) => {
  const started = await startCli(['--config', configFile, '--data', dataDir]);
  return { child: started.child, apiUrl: started.url('api') };
};

describe('Cloud Tasks survives SIGKILL', () => {
  const dir = mkdtempSync(join(tmpdir(), 'authplane-crash-'));
  const children: ChildProcess[] = [];
  after(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  test(`${N} tasks, SIGKILL during dispatch, restart: every task completes, duplicates only for in-flight attempts`, async () => {
    const delivered = new Map<string, number>();
    const server = createServer((req, res) => {
      const name = String(req.headers['x-cloudtasks-taskname']);
      delivered.set(name, (delivered.get(name) ?? 0) + 1);
      req.resume();
      setTimeout(() => res.writeHead(200).end(), 5);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const target = `http://127.0.0.1:${(server.address() as AddressInfo).port}/work`;
    const configFile = join(dir, 'authplane.yaml');
    writeFileSync(
      configFile,
      `server: { host: 127.0.0.1, apiPort: 0, grpcPort: 0 }\nqueues:\n${Array.from({ length: QUEUES }, (_, i) => `  - { name: crash-${i}, rateLimits: { maxDispatchesPerSecond: 500, maxConcurrentDispatches: ${CONCURRENCY} } }`).join('\n')}\n`,
    );
    const dataDir = join(dir, 'data');

    let ap = await startChild(configFile, dataDir);
    children.push(ap.child);
    const created = new Set<number>();
    const create = async (i: number) => {
      const q = `${LOC}/queues/crash-${i % QUEUES}`;
      const res = await fetch(`${ap.apiUrl}/v2/${q}/tasks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ task: { name: `${q}/tasks/t${i}`, httpRequest: { url: target } } }) });
      if (res.status === 200 || res.status === 409) created.add(i);
      await res.arrayBuffer();
    };
    // Create under load; kill once a third has been delivered.
    let next = 0;
    let killed = false;
    const creators = Array.from({ length: 64 }, async () => {
      while (next < N && !killed) {
        const i = next++;
        await create(i).catch(() => undefined);
      }
    });
    const deadline = Date.now() + 30_000;
    while (delivered.size < N / 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    ap.child.kill('SIGKILL');
    killed = true;
    await Promise.all(creators);
    const deliveredAtKill = delivered.size;

    ap = await startChild(configFile, dataDir);
    children.push(ap.child);
    // Creates that failed or never ran are sent again (ALREADY_EXISTS if the kill came after the commit).
    const missing = Array.from({ length: N }, (_, i) => i).filter((i) => !created.has(i));
    let m = 0;
    await Promise.all(Array.from({ length: 64 }, async () => {
      while (m < missing.length) await create(missing[m++]!);
    }));
    const end = Date.now() + 40_000;
    while (delivered.size < N && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300));
    ap.child.kill('SIGTERM');
    await new Promise<void>((r) => server.close(() => r()));

    assert.equal(delivered.size, N, 'every task delivered');
    const dupes = [...delivered.values()].filter((n) => n > 1).length;
    console.log(`# killed after ${deliveredAtKill} deliveries; ${missing.length} creates re-sent; ${dupes} tasks delivered twice (≤ ${QUEUES * CONCURRENCY} could be in flight)`);
    assert.ok(dupes <= QUEUES * CONCURRENCY, `duplicates only for attempts in flight at the kill: ${dupes}`);
    assert.ok([...delivered.values()].every((n) => n <= 2), 'no task delivered more than twice');
  });
});

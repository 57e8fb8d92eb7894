// Attempts in flight belong to the process that sent them. A second `authplane start` on a SQLite data
// directory is refused, and one beside a running process on PostgreSQL leaves the running one's
// attempts alone; only a dead process's attempts are sent again, by the next process to start.
// Real CLI processes; the target holds every request open, so "in flight" is a fact, not a race.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { runCli, startCli, type StartedCli } from './support/cli.js';
import { freshDatabase, stopPostgres } from './support/postgres.js';
import { waitFor } from './support/wait.js';

const N = 20;
const QUEUE = 'projects/demo-project/locations/us-central1/queues/held';

/** A target that counts deliveries per task and holds every answer until `answer()`. */
async function holdingTarget() {
  const deliveries = new Map<string, number>();
  const held: ServerResponse[] = [];
  let holding = true;
  const server: Server = createServer((req, res) => {
    const name = String(req.headers['x-cloudtasks-taskname']);
    deliveries.set(name, (deliveries.get(name) ?? 0) + 1);
    req.resume();
    if (holding) held.push(res);
    else res.writeHead(200).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/work`,
    deliveries,
    total: () => [...deliveries.values()].reduce((a, b) => a + b, 0),
    /** From now on every request (held ones included) gets 200. */
    answer() {
      holding = false;
      for (const res of held.splice(0)) if (!res.destroyed) res.writeHead(200).end();
    },
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

async function createTasks(api: string, url: string): Promise<void> {
  for (let i = 0; i < N; i++) {
    const r = await fetch(`${api}/v2/${QUEUE}/tasks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ task: { name: `${QUEUE}/tasks/t${i}`, httpRequest: { url } } }) });
    assert.equal(r.status, 200, await r.text());
  }
}

/** The queued tasks authplane still lists (none once every task is done). */
async function queued(api: string): Promise<number> {
  const r = await fetch(`${api}/admin/v1/queues/held/tasks?limit=1000`);
  return ((await r.json()) as { tasks: unknown[] }).tasks.length;
}

function writeConfig(dir: string): string {
  const file = join(dir, 'authplane.yaml');
  writeFileSync(file, 'server: { host: 127.0.0.1, apiPort: 0, grpcPort: 0 }\nqueues:\n  - { name: held }\n');
  return file;
}

/** SIGKILL, as a crash would end it. */
async function kill(p: StartedCli): Promise<void> {
  process.kill(p.pid, 'SIGKILL');
  await p.exited;
}

describe('attempts in flight belong to their process', () => {
  const dir = mkdtempSync(join(tmpdir(), 'authplane-leases-'));
  const started: StartedCli[] = [];
  const start = async (args: string[]) => {
    const p = await startCli(args, { env: { AUTHPLANE_DATABASE_URL: '' } });
    started.push(p);
    return p;
  };
  after(async () => {
    for (const p of started) await p.stop();
    await stopPostgres();
    rmSync(dir, { recursive: true, force: true });
  });

  it('SQLite: a second start on the data directory is refused, naming the owner; after a SIGKILL the restart sends each attempt again, once', async () => {
    const target = await holdingTarget();
    try {
      const config = writeConfig(dir);
      const data = join(dir, 'sqlite-data');
      const first = await start(['--config', config, '--data', data]);
      await createTasks(first.url('api'), target.url);
      await waitFor('every task in flight at the target', () => target.total() === N);

      const second = await runCli(['start', '--config', config, '--data', data], { env: { AUTHPLANE_DATABASE_URL: '' }, timeoutMs: 30_000 });
      assert.equal(second.code, 1, second.stderr);
      assert.ok(second.stderr.includes(`authplane: --data: ${data} is in use by authplane pid ${first.pid} on `), second.stderr);
      assert.match(second.stderr, /--database postgres:\/\//);
      assert.doesNotMatch(second.stdout, /authplane ready/);
      assert.equal(target.total(), N, 'the refused process sent nothing');
      assert.equal((await fetch(`${first.url('api')}/healthz`)).status, 200, 'the owner runs on');

      await kill(first);
      target.answer();
      const restarted = await start(['--config', config, '--data', data]);
      await waitFor('every task done', async () => target.total() === 2 * N && (await queued(restarted.url('api'))) === 0);
      assert.deepEqual([...target.deliveries.values()], Array.from({ length: N }, () => 2), 'each attempt in flight at the kill is sent once more');
    } finally {
      await target.close();
    }
  });

  it("PostgreSQL: a process starting beside a running one leaves its attempts in flight alone; a dead one's are sent again by the next to start", async () => {
    const target = await holdingTarget();
    const databaseUrl = await freshDatabase();
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    try {
      const config = writeConfig(dir);
      const a = await start(['--config', config, '--database', databaseUrl, '--data', join(dir, 'pg-a')]);
      await createTasks(a.url('api'), target.url);
      await waitFor('every task in flight at the target', () => target.total() === N);
      const leases = async () => (await db.query<{ lease_id: string | null }>("SELECT lease_id FROM tasks WHERE queue = 'held' AND state = 'queued' ORDER BY id")).rows.map((r) => r.lease_id);
      const byA = await leases();
      assert.equal(byA.length, N);
      const aKey = byA[0]!.split(':')[0]!;
      assert.ok(byA.every((l) => l?.startsWith(`${aKey}:`)), 'every lease is tagged with A');

      // B's start (which releases the leases of gone processes) is done once it prints ready.
      await start(['--config', config, '--database', databaseUrl, '--data', join(dir, 'pg-b')]);
      assert.deepEqual(await leases(), byA, "B's start released none of A's leases");
      assert.equal(target.total(), N, 'and sent nothing again');

      await kill(a);
      // The server drops A's presence lock when it sees A's connection close.
      await waitFor("A's presence to end", async () => (await db.query('SELECT 1 FROM pg_locks WHERE locktype = $1 AND objid::text = $2 AND objsubid = 2', ['advisory', aKey])).rowCount === 0);
      target.answer();
      const c = await start(['--config', config, '--database', databaseUrl, '--data', join(dir, 'pg-c')]);
      await waitFor('every task done', async () => target.total() === 2 * N && (await queued(c.url('api'))) === 0);
      assert.deepEqual([...target.deliveries.values()], Array.from({ length: N }, () => 2), "each of dead A's attempts is sent once more");
    } finally {
      await db.end();
      await target.close();
    }
  });
});

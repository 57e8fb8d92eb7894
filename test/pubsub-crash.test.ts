// Push deliveries are durable: `authplane start` as a child process with 1,000 messages pending on a push
// subscription, SIGKILL while they are being delivered, start again on the same data: every message is
// delivered (none lost); one is delivered twice only if its attempt was in flight at the kill. On SQLite,
// and on PostgreSQL (where the dead process's leases expire: ackDeadlineSeconds plus a 5 s grace).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { testConfig } from './support/authplane.js';
import { startCli, type StartedCli } from './support/cli.js';
import { freshDatabase, stopPostgres } from './support/postgres.js';
import { until } from './support/until.js';

const N = 1000;
const TOPIC = 'projects/demo-project/topics/work';

/** A push endpoint that counts deliveries per message ID and answers after `delayMs`. */
async function countingEndpoint(delayMs: number): Promise<{ url: string; delivered: Map<string, number>; server: Server }> {
  const delivered = new Map<string, number>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const id = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { message: { messageId: string } }).message.messageId;
      delivered.set(id, (delivered.get(id) ?? 0) + 1);
      setTimeout(() => res.writeHead(204).end(), delayMs);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/push`, delivered, server };
}

async function crashAndRecover(label: string, database: string | undefined): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), `authplane-pubsub-crash-${label}-`));
  const endpoint = await countingEndpoint(20);
  const children: StartedCli[] = [];
  try {
    const config = join(dir, 'authplane.yaml');
    writeFileSync(
      config,
      JSON.stringify(testConfig({ pubsub: { topics: [{ name: 'work' }], subscriptions: [{ name: 'work-push', topic: 'work', ackDeadlineSeconds: 10, pushConfig: { pushEndpoint: endpoint.url } }] } })),
    );
    const args = ['--config', config, '--data', join(dir, 'data'), ...(database ? ['--database', database] : [])];
    // The subscription's backlog, read from the store beside the running process (SQLite's WAL allows a reader).
    const backlog = async (): Promise<number> => {
      const sql = "SELECT count(*) AS n FROM pubsub_messages WHERE subscription = 'work-push'";
      if (!database) {
        const db = new Database(join(dir, 'data', 'authplane.db'), { readonly: true });
        try {
          return Number((db.prepare(sql).get() as { n: number }).n);
        } finally {
          db.close();
        }
      }
      const client = new pg.Client({ connectionString: database });
      await client.connect();
      try {
        return Number(((await client.query(sql)).rows[0] as { n: string }).n);
      } finally {
        await client.end();
      }
    };
    const first = await startCli(args, { env: { AUTHPLANE_DATABASE_URL: '' } });
    children.push(first);
    // Publish the 1,000 messages first (the endpoint is slow to answer), then kill mid-delivery.
    const ids: string[] = [];
    for (let i = 0; i < N; i += 100) {
      const res = await fetch(`${first.url('api')}/v1/${TOPIC}:publish`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ messages: Array.from({ length: 100 }, (_, j) => ({ data: Buffer.from(String(i + j)).toString('base64') })) }),
      });
      assert.equal(res.status, 200, await res.clone().text());
      ids.push(...((await res.json()) as { messageIds: string[] }).messageIds);
    }
    await until(() => endpoint.delivered.size >= 50 || undefined, 'the first deliveries');
    first.child.kill('SIGKILL');
    await first.exited;
    const atKill = endpoint.delivered.size;
    assert.ok(atKill < N, `the kill came while deliveries were pending (${atKill} of ${N} delivered)`);

    const second = await startCli(args, { env: { AUTHPLANE_DATABASE_URL: '' } });
    children.push(second);
    const all = await until(() => ids.every((id) => endpoint.delivered.has(id)) || undefined, 'every message', 120_000).catch(() => false);
    const missing = ids.filter((id) => !endpoint.delivered.has(id));
    assert.ok(all, `${missing.length} of ${N} messages never delivered after the restart`);
    const dupes = [...endpoint.delivered.values()].filter((n) => n > 1).length;
    console.log(`${label}: killed after ${atKill} deliveries; ${dupes} delivered twice (attempts in flight at the kill)`);
    assert.ok([...endpoint.delivered.values()].every((n) => n <= 2), 'no message delivered more than twice');
    // Nothing is left behind: every copy is acknowledged (the last completions land a moment after the deliveries).
    await until(async () => ((await backlog()) === 0 ? true : undefined), 'an empty backlog');
  } finally {
    for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) await c.stop();
    await new Promise<void>((r) => endpoint.server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('Pub/Sub push survives SIGKILL', () => {
  after(() => stopPostgres());

  test(`SQLite: ${N} pending push deliveries, SIGKILL, restart: none lost`, () => crashAndRecover('sqlite', undefined));

  test(`PostgreSQL: ${N} pending push deliveries, SIGKILL, restart: none lost`, async () => crashAndRecover('postgres', await freshDatabase()));
});

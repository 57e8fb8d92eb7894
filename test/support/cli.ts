// Runs the real CLI (`node dist/bin/main.js …`, the package's bin) as a child process, the way users run it:
// waits for `authplane ready`, parses the listener lines printed before it, stops it by pid.
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';

/** How long a CLI child may take to exit (runCli) or to be ready (startCli): it bounds a failure, so it is generous. */
const CHILD_WITHIN_MS = 60_000;

/** dist/bin/main.js, the package's bin (this file compiles to dist/test/support/cli.js). */
export const CLI_MAIN = fileURLToPath(new URL('../../bin/main.js', import.meta.url));

/** A built checkout's CLI: its bundled bin, or dist/src/cli/main.js in a build from before the bundle (benches' --compare). */
export function cliMainOf(checkout: string): string {
  const bin = join(checkout, 'dist', 'bin', 'main.js');
  return existsSync(bin) ? bin : join(checkout, 'dist', 'src', 'cli', 'main.js');
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI to completion (for commands expected to exit, such as a start with a bad config). */
export function runCli(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_MAIN, ...args], { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`authplane ${args.join(' ')} did not exit within ${opts.timeoutMs ?? CHILD_WITHIN_MS} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, opts.timeoutMs ?? CHILD_WITHIN_MS);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export interface Listener {
  name: string;
  url: string;
}

export interface StartedCli {
  child: ChildProcess;
  pid: number;
  /** The lines printed before `authplane ready`, parsed. */
  listeners: Listener[];
  /** URL of the listener named exactly `name` (e.g. 'api'), or one whose name starts with it. */
  url(name: string): string;
  /** Milliseconds from spawn to the `authplane ready` line. */
  readyMs: number;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then wait for exit (SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const LISTENER_LINE = /^(\S.*?)\s+(https?:\/\/\S+)$/;

/** `authplane start ARGS` as a child; resolves at `authplane ready`, rejects if it exits first. */
export function startCli(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; nodeArgs?: string[]; cliMain?: string } = {}): Promise<StartedCli> {
  const t0 = performance.now();
  // cliMain: another build's main.js (bench/frontdoor --compare runs an older checkout beside this one).
  const main = opts.cliMain ?? CLI_MAIN;
  const child = spawn(process.execPath, [...nodeFlagsOf(main), ...(opts.nodeArgs ?? []), main, 'start', ...args], { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`authplane start did not print "authplane ready" within ${opts.timeoutMs ?? CHILD_WITHIN_MS} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, opts.timeoutMs ?? CHILD_WITHIN_MS);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`authplane start exited (code ${code}, signal ${signal}) before ready\nstdout: ${stdout}\nstderr: ${stderr}`));
    });
    child.stdout!.on('data', (d: Buffer) => {
      const before = stdout;
      stdout += d.toString();
      if (before.includes('authplane ready\n') || !stdout.includes('authplane ready\n')) return;
      clearTimeout(timer);
      const readyMs = performance.now() - t0;
      const lines = stdout.slice(0, stdout.indexOf('authplane ready\n')).split('\n').filter(Boolean);
      const listeners = lines.flatMap((l) => {
        const m = LISTENER_LINE.exec(l);
        return m ? [{ name: m[1]!, url: m[2]! }] : [];
      });
      const started: StartedCli = {
        child,
        pid: child.pid!,
        listeners,
        readyMs,
        url(name) {
          const l = listeners.find((x) => x.name === name) ?? listeners.find((x) => x.name.startsWith(name));
          if (!l) throw new Error(`no listener "${name}" in:\n${lines.join('\n')}`);
          return l.url;
        },
        stdout: () => stdout,
        stderr: () => stderr,
        exited,
        async stop(graceMs = 10_000) {
          if (child.exitCode !== null || child.signalCode !== null) return exited;
          process.kill(child.pid!, 'SIGTERM');
          const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
          const r = await exited;
          clearTimeout(killer);
          return r;
        },
      };
      resolve(started);
    });
  });
}

/**
 * The node flags the CLI's bin starts node with (its `exec node FLAGS "$0" "$@"` line, src/cli/main.ts), so a
 * test or bench runs `authplane start` as `npx authplane start` does; none for a build without that line.
 */
export function nodeFlagsOf(main: string): string[] {
  const head = readFileSync(main, 'utf8').slice(0, 300);
  const m = /^\/\/bin\/sh -c :; exec node (.*) "\$0" "\$@"$/m.exec(head);
  return m ? m[1]!.split(' ') : [];
}

/** A port that was free a moment ago (for configs that need a fixed port). */
export async function freePort(): Promise<number> {
  return (await freePorts(1))[0]!;
}

/**
 * `n` distinct ports that were free a moment ago, all held open together while they are picked. They come from
 * below the system's ephemeral range (/proc/sys/net/ipv4/ip_local_port_range): a port from that range, once let
 * go, can be handed at once to any other process's listen(0) or outgoing connection (the other tests run
 * beside this one), and the config that names it then fails to start with EADDRINUSE. Below it, only another
 * explicit bind can take it.
 */
export async function freePorts(n: number): Promise<number[]> {
  const below = ephemeralLow();
  const servers: Server[] = [];
  try {
    for (let tries = 0; servers.length < n; tries++) {
      if (tries === 1000) throw new Error(`no ${n} free ports between ${FIXED_PORTS_FROM} and ${below} in 1000 tries`);
      const port = FIXED_PORTS_FROM + Math.floor(Math.random() * (below - FIXED_PORTS_FROM));
      if (servers.some((s) => (s.address() as AddressInfo).port === port)) continue;
      const s = await new Promise<Server | undefined>((resolve) => {
        const server = createServer();
        server.once('error', () => resolve(undefined));
        server.listen(port, '127.0.0.1', () => resolve(server));
      });
      if (s) servers.push(s);
    }
    return servers.map((s) => (s.address() as AddressInfo).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}

/** The lowest port fixed ports are picked from (above the well-known and most registered service ports). */
const FIXED_PORTS_FROM = 10_000;

/** The first port of the system's ephemeral range (Linux; 32768, Linux's default, elsewhere). */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    if (Number.isInteger(low) && low > FIXED_PORTS_FROM + 1000) return low;
  } catch {
    // not Linux
  }
  return 32_768;
}

/** Whether something accepts connections on 127.0.0.1:port right now. */
export function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(true));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(false)));
  });
}

/** The repository's demo/ folder (this file compiles to dist/test/support/cli.js). */
export const DEMO_DIR = fileURLToPath(new URL('../../../demo/', import.meta.url));

/**
 * Copies the demo project (authplane.yaml + echo.mjs) to `dir` with each of its fixed ports replaced
 * by a free one, so tests and benchmarks never clash with a developer's running demo.
 * Returns the config path and the ports, in the order they appear in the file (apiPort first).
 */
export async function copyDemoProject(dir: string): Promise<{ config: string; ports: number[] }> {
  const yaml = readFileSync(join(DEMO_DIR, 'authplane.yaml'), 'utf8');
  const fixed = [...yaml.matchAll(/\b(\w*[pP]ort): (\d+)/g)];
  const ports = await freePorts(fixed.length);
  let out = '';
  let last = 0;
  fixed.forEach((m, i) => {
    out += yaml.slice(last, m.index) + `${m[1]}: ${ports[i]}`;
    last = m.index + m[0].length;
  });
  out += yaml.slice(last);
  const config = join(dir, 'authplane.yaml');
  writeFileSync(config, out);
  copyFileSync(join(DEMO_DIR, 'echo.mjs'), join(dir, 'echo.mjs'));
  return { config, ports };
}

/** The repository (this file compiles to dist/test/support/cli.js). */
const REPOSITORY = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * This build installed under `dir` with its built-in demo's fixed ports moved to free ones (copyDemoProject),
 * for tests of `authplane start` without --config, which reads the demo from the package it runs from: the
 * compiled CLI (dist/src and the bundled dist/bin) copied, its folders (node_modules, protos, sql, ui) linked. Returns that copy's main.js, for
 * startCli's `cliMain`, and the demo's ports in the copy (apiPort first).
 */
export async function installWithDemoOnFreePorts(dir: string): Promise<{ cliMain: string; ports: number[] }> {
  mkdirSync(join(dir, 'dist'), { recursive: true });
  for (const built of ['src', 'bin']) cpSync(join(REPOSITORY, 'dist', built), join(dir, 'dist', built), { recursive: true });
  copyFileSync(join(REPOSITORY, 'package.json'), join(dir, 'package.json'));
  for (const folder of ['node_modules', 'protos', 'sql', 'ui']) symlinkSync(join(REPOSITORY, folder), join(dir, folder), 'dir');
  mkdirSync(join(dir, 'demo'));
  const { ports } = await copyDemoProject(join(dir, 'demo'));
  return { cliMain: cliMainOf(dir), ports };
}

/** Whether a process with this pid exists (signal 0 checks without signalling). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// Runs a service's `command` the way Cloud Run runs a container: with PORT and the K_* variables set,
// its metadata server in GCE_METADATA_HOST, its output prefixed with the service's name. At start it waits
// until the port answers (within the startup timeout; a command that exits first fails the start, as a
// container that exits before listening fails a Cloud Run deployment); later it restarts the process with
// exponential backoff when it exits, and stops it on shutdown.
//
// The command runs through the shell in its own process group, so stopping it also stops whatever the
// shell started (npm run …, node …).

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { createInterface } from 'node:readline';
import type { ProcessGroupRecord } from './process-groups.js';
import type { UpstreamTarget } from './proxy.js';
import { StartupError } from '../lib/startup-error.js';

export interface SupervisorOptions {
  /** The service name: log prefix and K_SERVICE. */
  name: string;
  /** Where the service is declared (`services[0]`): start-up errors name its settings. */
  setting?: string;
  command: string;
  cwd: string | undefined;
  /** Variables added to the process environment (PORT is added here); undefined removes an inherited one. */
  env: Record<string, string | undefined>;
  host: string;
  /** How long to wait for the port to answer at start (services[].startupTimeout). Default 30 s. */
  startupTimeoutMs?: number;
  /** Where output lines go; default process.stdout / stderr. */
  print?: (stream: 'out' | 'err', line: string) => void;
  /** Where its process groups are recorded, so a start after a SIGKILL of authplane stops them (process-groups.ts). */
  record?: ProcessGroupRecord;
}

// Process groups still running. If authplane exits without stopping them (an uncaught error, a test
// process that ends without stop()), the exit hook takes them down so they do not hold their ports as
// orphans. SIGKILL of authplane escapes this: the next start on its data directory stops them (process-groups.ts).
const liveGroups = new Set<number>();
let exitHookInstalled = false;
function trackGroup(pid: number): void {
  liveGroups.add(pid);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const g of liveGroups) killGroup(g, 'SIGTERM');
    });
  }
}

/** One line the command printed, as the dashboard shows it. */
export interface OutputLine {
  /** Epoch ms (wall clock) when authplane read it. */
  time: number;
  stream: 'out' | 'err';
  line: string;
}

/** What the dashboard says of a supervised command. */
export interface ProcessStatus {
  command: string;
  /** starting: spawned, its port not answering yet; restarting: it exited and waits for its backoff. */
  state: 'starting' | 'running' | 'restarting' | 'stopped';
  pid: number | null;
  /** Its PORT. */
  port: number;
  starts: number;
  lastExit: { code: number | null; signal: string | null; time: number } | null;
  /** The most recent lines it printed, oldest first (at most OUTPUT_LINES). */
  output: OutputLine[];
}

/** Lines of output kept per command for the dashboard. */
export const OUTPUT_LINES = 200;

const MIN_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 10_000;
/** A process that stayed up this long resets the backoff. */
const HEALTHY_AFTER_MS = 10_000;

export class Supervisor implements UpstreamTarget {
  readonly protocol = 'http:' as const;
  readonly host: string;
  port = 0;
  /** Times the process was (re)started. */
  starts = 0;
  private child: ChildProcess | undefined;
  private stopping = false;
  private backoffMs = MIN_BACKOFF_MS;
  private readyPromise: Promise<void> | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly print: (stream: 'out' | 'err', line: string) => void;
  private readonly recent: string[] = [];
  private readonly output: OutputLine[] = [];
  private state: ProcessStatus['state'] = 'starting';
  private lastExit: ProcessStatus['lastExit'] = null;

  constructor(private readonly opts: SupervisorOptions) {
    this.host = opts.host;
    this.print =
      opts.print ??
      ((stream, line) => {
        (stream === 'err' ? process.stderr : process.stdout).write(`[${opts.name}] ${line}\n`);
      });
  }

  /** Starts the command and resolves once its port answers; rejects with its last output if it never does. */
  async start(): Promise<void> {
    await this.spawn();
    await this.untilReady();
  }

  /** Picks its port and spawns the command; from then on `ready()` is pending until the port answers. */
  async spawn(): Promise<void> {
    this.port = await freePort(this.host);
    this.starting = { since: performance.now() };
    this.spawnChild();
  }

  /**
   * Resolves once the spawned command answers on its port. Rejects with a StartupError naming the service,
   * quoting its last output lines, when it exits first (with its exit code) or the startup timeout passes.
   */
  untilReady(): Promise<void> {
    const starting = this.starting;
    if (!starting) return Promise.resolve();
    if (starting.failed) return Promise.reject(starting.failed);
    const ready = this.readyPromise!;
    // The timeout runs from the spawn.
    const timeoutMs = this.opts.startupTimeoutMs ?? 30_000;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => this.startFailed(this.startFailure(`did not answer on its PORT (${this.port}) within ${timeoutMs / 1000} s`, 'startupTimeout')),
        Math.max(0, starting.since + timeoutMs - performance.now()),
      );
      starting.fail = (e) => {
        clearTimeout(timer);
        reject(e);
      };
      void ready.then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /**
   * From the spawn until the command first answers: an exit (or a failed spawn) then fails the start
   * instead of restarting, whether or not `untilReady` is waiting yet.
   */
  private starting: { since: number; fail?: (e: StartupError) => void; failed?: StartupError } | undefined;

  private startFailed(e: StartupError): void {
    const starting = this.starting;
    if (!starting || starting.failed) return;
    starting.failed = e;
    starting.fail?.(e);
  }

  /** The shell itself could not be started: most often a `cwd` that does not exist. */
  private spawnFailure(e: NodeJS.ErrnoException): StartupError {
    const at = this.opts.setting ?? `service ${this.opts.name}`;
    const cwd = this.opts.cwd;
    if (e.code === 'ENOENT' && cwd && !existsSync(cwd)) {
      return new StartupError(`${at}.cwd`, `service ${this.opts.name}: ${cwd} does not exist (ENOENT)`, `create it, or set ${at}.cwd to the command's folder (a relative path starts at the config file's folder)`, { cause: e });
    }
    return new StartupError(`${at}.command`, `service ${this.opts.name}: \`${this.opts.command}\` cannot be started: ${e.code ?? e.message}`, `check ${at}.command and ${at}.cwd`, { cause: e });
  }

  private startFailure(what: string, setting: 'command' | 'startupTimeout'): StartupError {
    const at = this.opts.setting ?? `service ${this.opts.name}`;
    const output = this.recent.length ? `; its last output:\n    ${this.recent.join('\n    ')}` : '; it printed nothing';
    const fix =
      setting === 'command'
        ? `run \`${this.opts.command}\` by hand${this.opts.cwd ? ` in ${this.opts.cwd}` : ''} to see why it stops; it must keep running and listen on process.env.PORT`
        : `make it listen on process.env.PORT (Cloud Run's contract), or give it longer with ${at}.startupTimeout`;
    return new StartupError(`${at}.${setting}`, `service ${this.opts.name}: \`${this.opts.command}\` ${what}${output}`, fix);
  }

  ready(): Promise<void> | undefined {
    return this.readyPromise;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** State, pid, port and recent output, for the dashboard. */
  status(): ProcessStatus {
    return { command: this.opts.command, state: this.state, pid: this.child?.pid ?? null, port: this.port, starts: this.starts, lastExit: this.lastExit, output: [...this.output] };
  }

  private spawnChild(): void {
    this.starts++;
    this.state = 'starting';
    const child = spawn(this.opts.command, {
      shell: true,
      cwd: this.opts.cwd,
      env: childEnv({ ...process.env, ...this.opts.env, PORT: String(this.port) }),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    this.child = child;
    if (child.pid !== undefined) {
      const pid = child.pid;
      trackGroup(pid);
      this.opts.record?.add(pid, this.opts.name);
      child.once('exit', () => {
        liveGroups.delete(pid);
        this.opts.record?.remove(pid);
      });
    }
    const startedAt = Date.now();
    for (const [stream, which] of [
      [child.stdout, 'out'],
      [child.stderr, 'err'],
    ] as const) {
      if (!stream) continue;
      createInterface({ input: stream }).on('line', (line) => {
        this.recent.push(line);
        if (this.recent.length > 10) this.recent.shift();
        this.output.push({ time: Date.now(), stream: which, line });
        if (this.output.length > OUTPUT_LINES) this.output.shift();
        this.print(which, line);
      });
    }
    this.notReady();
    let exited = false;
    void this.waitForPort(() => exited).then((up) => {
      if (up && this.child === child) this.markReady();
    });
    child.on('error', (e) => {
      exited = true;
      if (this.starting) this.startFailed(this.spawnFailure(e));
      else this.print('err', `cannot start \`${this.opts.command}\`: ${e.message}`);
    });
    child.on('exit', (code, signal) => {
      exited = true;
      this.lastExit = { code, signal, time: Date.now() };
      this.state = this.stopping || this.starting ? 'stopped' : 'restarting';
      if (this.stopping) return;
      if (this.starting) {
        // Its last lines may still be in the pipes: take them (briefly) before quoting the output.
        const how = signal ? `signal ${signal}` : `exit code ${code}`;
        const drained = new Promise<void>((r) => child.once('close', () => r()));
        void Promise.race([drained, new Promise<void>((r) => setTimeout(r, 500).unref())]).then(() =>
          this.startFailed(this.startFailure(`exited (${how}) before it answered on its PORT (${this.port})`, 'command')),
        );
        return;
      }
      const ranMs = Date.now() - startedAt;
      if (ranMs >= HEALTHY_AFTER_MS) this.backoffMs = MIN_BACKOFF_MS;
      const wait = this.backoffMs;
      this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
      this.print('err', `exited (${signal ?? `code ${code}`}) after ${(ranMs / 1000).toFixed(1)} s; restarting in ${wait} ms`);
      // Requests arriving meanwhile wait for the restart, as Cloud Run holds requests during a cold start.
      this.notReady();
      this.restartTimer = setTimeout(() => {
        this.restartTimer = undefined;
        if (!this.stopping) this.spawnChild();
      }, wait);
    });
  }

  private resolveReady: (() => void) | undefined;

  /** From now on requests wait (keeps one pending promise across restarts). */
  private notReady(): void {
    if (this.readyPromise !== undefined) return;
    this.readyPromise = new Promise<void>((r) => (this.resolveReady = r));
  }

  private markReady(): void {
    if (!this.stopping) this.state = 'running';
    this.starting = undefined;
    const r = this.resolveReady;
    this.readyPromise = undefined;
    this.resolveReady = undefined;
    r?.();
  }

  /** Polls the port until it accepts a connection; false when the process exited first or we stop. */
  private async waitForPort(exited: () => boolean): Promise<boolean> {
    // Every 10 ms (a refused loopback connect costs microseconds): `authplane ready` waits on this, so a late
    // look costs every start.
    for (;;) {
      if (exited() || this.stopping) return false;
      if (await canConnect(this.host, this.port)) return !exited();
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** SIGTERM to the process group, SIGKILL after `graceMs`. */
  async stop(graceMs = 5_000): Promise<void> {
    this.stopping = true;
    this.state = 'stopped';
    if (this.restartTimer) clearTimeout(this.restartTimer);
    // Ends a pending readiness wait (and its timer): nothing will answer any more.
    this.markReady();
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    const pid = child.pid;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    killGroup(pid, 'SIGTERM');
    const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
}

/** The environment without the variables set to undefined. */
function childEnv(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

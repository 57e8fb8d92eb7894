// server.workers > 1: the front doors' sockets are served by that many worker processes (node:cluster, which
// shares each front door's port between them and hands new connections round-robin), so front doors use more
// than one core. This process — the primary — keeps everything else and answers the workers (protocol.ts).
//
// Coherence: a policy version this process learns of (its own setIamPolicy, or another process's through
// IAM's sync) is announced to every worker, and a change made here is answered only once each worker has
// synced (Iam.observe), so no worker admits or refuses on IAM older than what the caller was told. A worker
// that is starting counts from the moment it is sent its init, before it loads IAM: a change made while it
// starts waits for it too, rather than being answered while it serves what it loaded before the change. Service
// settings changed through the Admin API go the same way (ServiceSettingsFollower.observe); a change another
// process made reaches the workers through their own poll. Request-log
// entries come here, so the admin API, `authplane logs` and the dashboard see every worker's requests. A worker
// that dies is started again; workers exit when the primary goes (their IPC channel closes).

import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import { admissionContext } from '../../admission/context.js';
import { requestLogFor, type RequestLogEntry, type TokenSummary } from '../../observe/request-log.js';
import type { Platform } from '../../platform.js';
import type { FrontDoor } from '../../run/front-door.js';
import { frontDoorsOf } from '../../run/product.js';
import { serviceSettingsFor } from '../../services/settings.js';
import type { UpstreamTarget } from '../../run/proxy.js';
import { StartupError } from '../../lib/startup-error.js';
import { Channel } from './channel.js';
import type { GateCall, LogBatch, PublicKeyRecord, UpstreamState, WorkerFailure, WorkerInit, WorkerReady } from './protocol.js';

const WORKER_MAIN = fileURLToPath(new URL('./worker-main.js', import.meta.url));
/** How often supervised commands' readiness is looked at, to hold or release requests in the workers. */
const UPSTREAM_POLL_MS = 50;
/** A worker that does not acknowledge a change within this is not waited for (it will sync on its own). */
const ACK_MS = 2_000;
const START_TIMEOUT_MS = 30_000;
/** The longest pause before a worker is started again; a worker that lived this long is not in a crash loop. */
export const RESTART_PAUSE_MAX_MS = 10_000;

export interface FrontDoorWorkers {
  readonly pids: number[];
  stop(): Promise<void>;
}

interface Running {
  worker: Worker;
  channel: Channel;
  index: number;
  /** Told of every IAM and settings change: from the moment it is sent its init, before it loads them. */
  following: boolean;
  /** When it was forked (Date.now()). */
  forkedAt: number;
}

export async function startFrontDoorWorkers(platform: Platform, count: number): Promise<FrontDoorWorkers> {
  const doors = frontDoorsOf(platform);
  const log = requestLogFor(platform);
  const admission = admissionContext(platform);
  // Every worker forked and not yet exited, starting or serving; and those serving (ready), by index.
  const forked = new Set<Running>();
  const running = new Map<number, Running>();
  let stopping = false;
  const idBase = Date.now().toString(36);
  const upstreams = new Map(doors.map((d) => [d.name, upstreamState(d.upstream)]));

  // The port each door's workers pass to listen. node:cluster keeps one socket per (host, port, order of
  // listen) while a worker holds it: a door configured with port 0 is listen(0) in every worker, sharing the
  // port the first one got. Once no worker is left (all died at once), that socket is closed and a listen(0)
  // would get another port: the next workers listen on the port the door has had, and share that instead.
  const listenPorts = new Map(doors.map((d) => [d.name, d.entry.config.port]));
  const portToListen = (d: FrontDoor): number => {
    if (running.size === 0) listenPorts.set(d.name, d.entry.frontDoor!.port);
    return listenPorts.get(d.name)!;
  };
  // Each worker started (a restarted one too) numbers its requests under a prefix of its own.
  let started = 0;

  const init = async (): Promise<WorkerInit> => ({
    config: platform.config,
    internalSecret: platform.internalSecret,
    idPrefix: `${idBase}w${started++}`,
    keys: await publicKeys(platform),
    doors: doors.map((d) => ({ name: d.name, host: d.entry.frontDoor!.host, port: portToListen(d), upstream: upstreams.get(d.name) ?? null })),
    gates: platform.gates.map((g) => ({ name: g.name, services: platform.directory.all().filter((s) => g.applies(s)).map((s) => s.config.name) })),
    egressRelevant: platform.egress.relevant,
  });

  const serve = (r: Running): void => {
    const { channel } = r;
    channel.handle('init', () => {
      r.following = true;
      return init();
    });
    channel.handle('keys', () => publicKeys(platform));
    channel.handle('policyVersionsSince', (seq: number) => platform.store.policyVersionsSince(seq));
    channel.handle('latestServiceVersions', () => platform.store.latestServiceVersions());
    channel.handle('findServiceAccount', async (idOrEmail: string) => {
      const sa = await platform.identity.findServiceAccount(idOrEmail);
      return sa ? { email: sa.email } : null;
    });
    channel.handle('gate', (c: GateCall) => {
      const gate = platform.gates.find((g) => g.name === c.gate);
      const service = platform.directory.get(c.service);
      if (!gate || !service) throw new Error(`no gate ${c.gate} for service ${c.service}`);
      return gate.handle({ service, request: c.request, url: new URL(c.request.url || '/', 'http://front-door'), internal: c.internal, tokens: admission.tokens });
    });
    channel.handle('egress', (connection: Parameters<Platform['egress']['callerOf']>[0]) => platform.egress.callerOf(connection));
    channel.handle('stopped', () => null);
    const tokens = new Map<number, TokenSummary>();
    channel.on('log', (b: LogBatch) => {
      if (b.reset) tokens.clear();
      for (const [id, t] of b.tokens) tokens.set(id, t);
      for (const e of b.entries) {
        const entry = e as unknown as RequestLogEntry;
        // One object per token summary, so the log serialises each once (RequestLog.serialize).
        if (e.token !== undefined) entry.token = tokens.get(e.token);
        log.record(entry);
      }
    });
  };

  const fork = (index: number): Promise<Running> => {
    cluster.setupPrimary({ exec: WORKER_MAIN, args: [], execArgv: process.execArgv });
    const worker = cluster.fork({ AUTHPLANE_FRONT_DOOR_WORKER: String(index) });
    const channel = new Channel(worker);
    const r: Running = { worker, channel, index, following: false, forkedAt: Date.now() };
    forked.add(r);
    serve(r);
    return new Promise<Running>((resolve, reject) => {
      const timer = setTimeout(() => {
        worker.kill('SIGKILL');
        reject(new StartupError('server.workers', `front-door worker ${index} did not start within ${START_TIMEOUT_MS / 1000} s`, 'look at its output above; server.workers: 1 serves the front doors in this process'));
      }, START_TIMEOUT_MS);
      channel.on('ready', (ready: WorkerReady) => {
        clearTimeout(timer);
        // A door configured with port 0 takes the port the system gave the workers' shared socket.
        for (const d of doors) {
          const port = ready.ports[d.name];
          const before = d.entry.frontDoor!.port;
          if (port === undefined || port === before) continue;
          // Only if its last worker died while this one started (the shared socket closed in between).
          if (before !== 0) console.error(`authplane: front door ${d.name} moved from port ${before} to ${port}: its workers all exited at once`);
          d.reserve(d.entry.frontDoor!.host, port);
        }
        // An upstream's state that changed between the worker's init and now reached no one (only running
        // workers are told): it is sent now, in the same turn the worker joins `running`, so no change falls in
        // between. A supervised command that became ready in that gap would otherwise leave the worker holding
        // its requests until the 30 s start limit. (IAM and settings changes reached it: `following`.)
        for (const d of doors) channel.emit('upstream', { service: d.name, upstream: upstreams.get(d.name) ?? null });
        running.set(index, r);
        // Ready only once the stop began: it is stopped too (stop waits for every worker forked).
        if (stopping) channel.emit('stop');
        resolve(r);
      });
      channel.on('failed', (f: WorkerFailure) => {
        clearTimeout(timer);
        reject(new StartupError(f.setting, f.message, f.fix));
      });
      worker.once('exit', (code, signal) => {
        clearTimeout(timer);
        channel.close(new Error(`front-door worker ${index} exited`));
        forked.delete(r);
        reject(new StartupError('server.workers', `front-door worker ${index} exited (${signal ?? `code ${code}`}) before it served`, 'look at its output above; server.workers: 1 serves the front doors in this process'));
        const served = running.get(index) === r;
        if (served) running.delete(index);
        // One that lived as long as the longest pause was not in a crash loop: the pauses start over.
        if (served && Date.now() - r.forkedAt >= RESTART_PAUSE_MAX_MS) backoff.delete(index);
        if (served && !stopping) respawn(index, `exited (${signal ?? `code ${code}`})`);
      });
    });
  };

  // A worker that dies after start is replaced, with a growing pause if it keeps dying (the pauses start over once
  // one has lived RESTART_PAUSE_MAX_MS). So is a replacement that cannot start: when every worker died at once,
  // the doors' shared sockets closed with them, and another process may hold a door's port until it lets go; the
  // door must come back then, not stay without workers.
  const backoff = new Map<number, number>();
  const respawn = (index: number, why: string): void => {
    const wait = Math.min((backoff.get(index) ?? 50) * 2, RESTART_PAUSE_MAX_MS);
    backoff.set(index, wait);
    console.error(`authplane: front-door worker ${index} ${why}; starting it again in ${wait} ms`);
    setTimeout(() => {
      if (stopping) return;
      fork(index).catch((e: unknown) => {
        if (!stopping) respawn(index, `could not start: ${(e as Error).message}`);
      });
    }, wait).unref();
  };

  // IAM and service settings (ingress, invoker check, audiences, timeout): every change reaches every worker
  // before a change made here is answered (see the header).
  const everyWorker = (call: 'iam' | 'settings') => (): Promise<void> =>
    Promise.all(
      [...forked].filter((r) => r.following).map((r) =>
        Promise.race([r.channel.call(call).catch(() => undefined), new Promise((resolve) => setTimeout(resolve, ACK_MS).unref())]),
      ),
    ).then(() => undefined);
  platform.iam.observe(everyWorker('iam'));
  serviceSettingsFor(platform).observe(everyWorker('settings'));

  // Supervised commands: a worker holds requests while the command (re)starts, as this process would.
  const poll = setInterval(() => {
    for (const d of doors) {
      const now = upstreamState(d.upstream);
      const before = upstreams.get(d.name);
      if (JSON.stringify(now) === JSON.stringify(before)) continue;
      upstreams.set(d.name, now);
      for (const r of running.values()) r.channel.emit('upstream', { service: d.name, upstream: now });
    }
  }, UPSTREAM_POLL_MS);
  poll.unref();

  const stop = async (): Promise<void> => {
    stopping = true;
    clearInterval(poll);
    // Every worker forked: one still starting is told to stop once it is ready (fork), or exits failing.
    await Promise.all(
      [...forked].map(
        (r) =>
          new Promise<void>((resolve) => {
            if (r.worker.isDead()) return resolve();
            const kill = setTimeout(() => r.worker.kill('SIGKILL'), 5_000);
            r.worker.once('exit', () => {
              clearTimeout(kill);
              resolve();
            });
            if (running.get(r.index) === r) r.channel.emit('stop');
          }),
      ),
    );
    // Entries the workers sent as they stopped are in the log before it closes.
    await log.flush();
  };

  try {
    await Promise.all(Array.from({ length: count }, (_, i) => fork(i)));
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    get pids() {
      return [...running.values()].map((r) => r.worker.process.pid!);
    },
    stop,
  };
}

function upstreamState(t: UpstreamTarget): UpstreamState {
  return t.ready() === undefined && t.port !== 0 ? { protocol: t.protocol, host: t.host, port: t.port } : null;
}

async function publicKeys(platform: Platform): Promise<PublicKeyRecord[]> {
  return (await platform.store.listSigningKeys()).map(({ privatePem: _private, ...rest }) => rest);
}

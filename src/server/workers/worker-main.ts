// A front-door worker (server.workers > 1; primary.ts forks it): every front door of the config, listening on
// the port the primary chose (node:cluster shares it among the workers), each request decided here by the one
// admission decision with this process's own verifier, token cache and copy of IAM, and proxied from here. What
// needs the store or lives in the primary is asked of it (protocol.ts).

import cluster from 'node:cluster';
import type { AdmissionContext } from '../../admission/decision.js';
import type { FrontDoorGate, GateOutcome } from '../../admission/gate.js';
import { tokenCacheSize } from '../../admission/context.js';
import { IngressPolicy } from '../../admission/ingress.js';
import { MemberResolver } from '../../admission/invoker.js';
import { liveTokenChecks } from '../../admission/tokens.js';
import type { EgressCaller, LoopbackConnection } from '../../admission/egress.js';
import { clockTimers } from '../../dispatch/timers.js';
import { Iam } from '../../iam/iam.js';
import { listenFailure, StartupError } from '../../lib/startup-error.js';
import { INTERNAL_HEADER } from '../../platform.js';
import { FrontDoor } from '../../run/front-door.js';
import { loadProxyModules, UpstreamAgents } from '../../run/proxy.js';
import { ServiceDirectory } from '../../services/directory.js';
import { ServiceSettingsFollower } from '../../services/settings.js';
import type { PolicyVersionRecord, ServiceVersionRecord } from '../../store/store.js';
import { Channel } from './channel.js';
import { ForwardingLog } from './forwarding-log.js';
import type { GateCall, PublicKeyRecord, UpstreamState, WorkerFailure, WorkerInit, WorkerReady } from './protocol.js';
import { RemoteUpstream } from './remote-upstream.js';
import { WorkerKeys } from './worker-keys.js';

if (!cluster.isWorker) throw new Error('worker-main runs only as a node:cluster worker of authplane start');

const channel = new Channel(process as unknown as ConstructorParameters<typeof Channel>[0]);
// The primary is gone (stopped, or killed): so is this worker.
process.on('disconnect', () => process.exit(0));

// The primary counts this worker among those every IAM and settings change waits for from the moment it answers
// init, before IAM and settings are loaded here: a change announced while they load is synced once they have
// (each on its own: a change to IAM does not wait for the settings to load).
let iamLoaded!: (iam: Iam) => void;
let settingsLoaded!: (settings: ServiceSettingsFollower) => void;
const loadedIam = new Promise<Iam>((resolve) => (iamLoaded = resolve));
const loadedSettings = new Promise<ServiceSettingsFollower>((resolve) => (settingsLoaded = resolve));
channel.handle('iam', async () => (await loadedIam).sync());
channel.handle('settings', async () => (await loadedSettings).sync());

async function main(): Promise<void> {
  const init = await channel.call<WorkerInit>('init');
  const { config } = init;
  const clock = Date.now;
  const directory = new ServiceDirectory(config);
  const keys = new WorkerKeys(() => channel.call<PublicKeyRecord[]>('keys'), init.keys);
  const iam = new Iam(
    {
      policyVersionsSince: (seq) => channel.call<PolicyVersionRecord[]>('policyVersionsSince', seq),
      appendPolicy: () => Promise.reject(new Error('a front-door worker does not change IAM')),
    },
    config.project.id,
    config.iam.propagation,
    clock,
  );
  await iam.start();
  iamLoaded(iam);
  // Settings changed through the Admin API: the primary's changes are announced, other processes' are polled.
  const settings = new ServiceSettingsFollower(
    {
      latestServiceVersions: () => channel.call<ServiceVersionRecord[]>('latestServiceVersions'),
      appendServiceVersion: () => Promise.reject(new Error('a front-door worker does not change service settings')),
    },
    directory,
    clock,
  );
  await settings.start();
  settingsLoaded(settings);

  const gates: FrontDoorGate[] = init.gates.map((g) => ({
    name: g.name,
    applies: (s) => g.services.includes(s.config.name),
    handle: (r) => {
      // The request's parts, not its socket (which does not cross processes).
      const { method, url, rawHeaders, source, secure } = r.request;
      return channel.call<GateOutcome>('gate', { gate: g.name, service: r.service.config.name, request: { method, url, rawHeaders, source, secure }, internal: r.internal } satisfies GateCall);
    },
  }));
  const admission: AdmissionContext = {
    ingress: new IngressPolicy(init.internalSecret, config.vpc.cidrs),
    internalHeader: INTERNAL_HEADER,
    gates,
    tokens: liveTokenChecks(keys, { clock, cacheSize: tokenCacheSize() }),
    members: new MemberResolver({ findServiceAccount: (idOrEmail) => channel.call<{ email: string } | null>('findServiceAccount', idOrEmail) }),
    iam,
    directory,
    region: config.project.region,
    ...(init.egressRelevant ? { egress: { relevant: true, callerOf: (c: LoopbackConnection) => channel.call<EgressCaller | null>('egress', { remoteAddress: c.remoteAddress, remotePort: c.remotePort, localPort: c.localPort }).then((x) => x ?? undefined) } } : {}),
  };

  const log = new ForwardingLog(channel, init.idPrefix);
  const agents = new UpstreamAgents();
  const platform = { directory, clock, timers: clockTimers(clock) };
  const doors: FrontDoor[] = [];
  const upstreams = new Map<string, RemoteUpstream>();
  const ports: WorkerReady['ports'] = {};
  for (const d of init.doors) {
    const entry = directory.get(d.name)!;
    const upstream = new RemoteUpstream(d.upstream);
    upstreams.set(d.name, upstream);
    const door = new FrontDoor(entry, { platform, admission, log, agents, upstream });
    const index = config.services.findIndex((s) => s.name === d.name);
    // A port of 0: node:cluster gives this listen the port the first worker's listen(0) got (the same
    // host, port 0 and order of doors make the same shared handle in the primary).
    const bound = await door.listen(d.host, d.port).catch((e: unknown) => {
      throw listenFailure(e, { host: d.host, port: d.port, portSetting: `services[${index}].port` });
    });
    ports[d.name] = bound.port;
    doors.push(door);
  }
  channel.on('upstream', (u: { service: string; upstream: UpstreamState }) => upstreams.get(u.service)?.set(u.upstream));
  channel.on('stop', () => {
    void (async () => {
      await Promise.all(doors.map((d) => d.close()));
      iam.stop();
      settings.stop();
      log.flush();
      await agents.destroy();
      // Answered after the log's last message (one pipe, in order): then nothing is left to send.
      await channel.call('stopped').catch(() => undefined);
      process.disconnect();
    })();
  });
  await loadProxyModules();
  channel.emit('ready', { ports } satisfies WorkerReady);
}

main().catch((e: unknown) => {
  const failure: WorkerFailure =
    e instanceof StartupError
      ? { setting: e.setting, message: e.problem, fix: e.fix }
      : { setting: 'server.workers', message: `a front-door worker could not start: ${(e as Error)?.message ?? String(e)}`, fix: 'server.workers: 1 serves the front doors in the one process' };
  channel.emit('failed', failure);
  setTimeout(() => process.exit(1), 100);
});

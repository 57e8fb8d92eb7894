// The Cloud Run product: a front door per configured service (and the supervised commands behind them),
// the Cloud Run Admin API v2 and the request log's admin route.

import type { Router } from '../apis/router.js';
import { requestLogRoutes } from '../observe/admin-routes.js';
import { requestLogFor } from '../observe/request-log.js';
import type { Platform } from '../platform.js';
import type { Listener, Product, StartedProduct } from '../product.js';
import type { ServiceConfig } from '../config/types.js';
import { admissionContext } from '../admission/context.js';
import { cloudRunAdminRoutes } from './admin-api.js';
import { cloudRunV1Routes } from './admin-v1.js';
import { serviceSettingsFor } from '../services/settings.js';
import { FrontDoor } from './front-door.js';
import { UpstreamAgents, type UpstreamTarget } from './proxy.js';
import { registerProcess, serviceStatusRoutes } from './service-status.js';
import { hostPort } from '../lib/host-port.js';
import { listenFailure } from '../lib/startup-error.js';
import { localFrontDoors } from '../dispatch/local-delivery.js';
import { spawnCommands, takeSpawnedCommands, type SpawnedCommands } from './spawn.js';

export const cloudRunProduct: Product = {
  name: 'run',
  routes(router: Router, platform: Platform) {
    cloudRunAdminRoutes(router, platform);
    cloudRunV1Routes(router, platform);
    requestLogRoutes(router, platform);
    serviceStatusRoutes(router, platform);
  },
  start: startCloudRun,
};

function upstreamUrlTarget(svc: ServiceConfig): UpstreamTarget {
  const u = new URL(svc.upstream!);
  const protocol = u.protocol === 'https:' ? 'https:' : 'http:';
  return { protocol, host: u.hostname.replace(/^\[|\]$/g, ''), port: u.port ? Number(u.port) : protocol === 'https:' ? 443 : 80, ready: () => undefined };
}

// Each platform's front doors, for the process that serves them in front-door workers (server/workers/).
const frontDoors = new WeakMap<Platform, FrontDoor[]>();

/** The front doors this process started, in config order. */
export function frontDoorsOf(platform: Platform): readonly FrontDoor[] {
  return frontDoors.get(platform) ?? [];
}

/** Before the service is up, requests wait (briefly) rather than fail. */
const NOT_STARTED: UpstreamTarget = { protocol: 'http:', host: '127.0.0.1', port: 0, ready: () => new Promise<void>(() => undefined) };

async function startCloudRun(platform: Platform): Promise<StartedProduct> {
  const { config } = platform;
  const log = requestLogFor(platform);
  const admission = admissionContext(platform);
  const agents = new UpstreamAgents();
  const doors: FrontDoor[] = [];
  frontDoors.set(platform, doors);
  // Spawned by the start before the platform existed (server/early-start.ts), or here (front-door workers).
  let commands = takeSpawnedCommands(platform);

  // Settings changed through the Admin API (by this process, another one on the same database, or before a
  // restart) apply before any front door opens, and are followed from then on.
  const settings = serviceSettingsFor(platform);

  const stop = async () => {
    settings.stop();
    for (const d of doors) localFrontDoors(platform).delete(d.name);
    await Promise.all(doors.map((d) => d.close()));
    await commands?.stop();
    agents.destroy();
  };

  /** The dashboard shows each command; its processes' outbound calls are the service's (VPC egress). */
  const register = (spawned: SpawnedCommands) => {
    for (const [name, sup] of spawned.supervisors) {
      registerProcess(platform, name, sup);
      // With all-traffic VPC egress, calls from its processes to other services count as internal.
      const vpcEgress = config.services.find((s) => s.name === name)!.vpcEgress;
      platform.egress.register({ kind: 'service', name, vpcEgress }, () => (sup.pid !== undefined ? [sup.pid] : []));
    }
  };

  const listeners: Listener[] = [];
  try {
    await settings.start();
    // Commands the start spawned already (once every socket was bound) are known before any door opens: a
    // request one of them made as it booted waits on a door's socket and is served as soon as the door takes it.
    if (commands) register(commands);
    // Otherwise the front doors listen first (so every service URL resolves), then the supervised commands start
    // in parallel; `start` returns once they are spawned (front doors hold requests until each answers), and
    // `untilReady` once each answers on its port.
    for (const [i, svc] of config.services.entries()) {
      const entry = platform.directory.get(svc.name)!;
      // Requests wait on sup.ready() until the command answers, as Cloud Run holds them during a cold start.
      const upstream = svc.command ? (commands?.supervisors.get(svc.name) ?? NOT_STARTED) : upstreamUrlTarget(svc);
      const door = new FrontDoor(entry, { platform, admission, log, agents, upstream });
      // With server.workers > 1 the workers listen on the port (node:cluster shares it) and this process keeps
      // the door for Google's callers in process. A port of 0 stays 0 until the first worker listens: node:cluster
      // gives every worker's listen(0) the one port the system chose (server/workers/primary.ts records it), so
      // no port is picked here and released for another process to take before the workers bind it.
      const setting = `services[${i}].port`;
      if (config.server.workers > 1) door.reserve(config.server.host, svc.port);
      else
        await door.listen(config.server.host, svc.port, platform.prebound?.take(setting)).catch((e: unknown) => {
          throw listenFailure(e, { host: config.server.host, port: svc.port, portSetting: setting });
        });
      doors.push(door);
      localFrontDoors(platform).set(svc.name, door);
      // Read when printed: with workers, the port is known once they listen.
      listeners.push({
        name: `front door ${svc.name}`,
        get url() {
          const { host, port } = entry.frontDoor!;
          return `http://${hostPort(host, port)}`;
        },
      });
    }
    if (!commands) {
      commands = await spawnCommands(config, platform.dataDir, { metadata: (name) => platform.metadataServers.get(name)?.hostPort, grpc: platform.grpcHostPort });
      register(commands);
      for (const door of doors) {
        const sup = commands.supervisors.get(door.name);
        if (sup) door.setUpstream(sup);
      }
    }
  } catch (e) {
    await stop();
    throw e;
  }
  const supervisors = [...commands.supervisors.values()];
  return {
    listeners,
    // The proxy's modules load after ready (proxy.ts, server/app.ts).
    untilReady: async () => {
      await Promise.all(supervisors.map((s) => s.untilReady()));
    },
    stop,
  };
}

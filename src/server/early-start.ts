// The first part of `authplane start`, which needs only the config: the data directory, the store, every
// listening socket bound, and the supervised commands spawned. It runs before most of authplane's modules load
// (cli/start.ts), so the commands boot while the rest of the start runs (server/app.ts) — they are most of a
// restart's time otherwise. Every address a command's environment names, and every other listener it may call
// as it boots (a front door, the API port, a gateway), is bound before it starts: its connections are accepted
// and answered once the server behind the socket is up (lib/prebound.ts), never refused.
// Keep this module's imports light: what it loads delays the commands.

import { accessSync, constants } from 'node:fs';
import type { AuthplaneConfig, WorkloadEnvironment } from '../config/types.js';
import { PreboundSocket, PreboundSockets } from '../lib/prebound.js';
import { ensurePrivateDir } from '../lib/private-files.js';
import { markStartPhase } from '../lib/start-phases.js';
import { listenFailure, pathFailure } from '../lib/startup-error.js';
import { spawnCommands, type SpawnedCommands } from '../run/spawn.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/store.js';

export interface EarlyStartOptions {
  config: AuthplaneConfig;
  /** postgres://… or sqlite:FILE; default: SQLite under dataDir. */
  databaseUrl?: string;
  dataDir: string;
  /** What the products that will run serve: only their sockets are bound, only with Cloud Run are commands spawned. */
  serves: { grpc: boolean; run: boolean; gateways: boolean };
}

export interface EarlyStart {
  store: Store;
  /** By setting (`server.apiPort`, `services[0].metadataPort`, …); the servers take them as they start. */
  sockets: PreboundSockets;
  /** Undefined when no command was spawned here (none configured, no Cloud Run, or front-door workers). */
  commands: SpawnedCommands | undefined;
  /** Stops the commands, closes the sockets no server took and the store. */
  stop(): Promise<void>;
}

/** A metadata server: one per workload, service and gateway. */
export interface MetadataIdentity {
  name: string;
  serviceAccount: string;
  port: number;
  environment: WorkloadEnvironment;
  setting: string;
}

export function metadataIdentities(config: AuthplaneConfig): MetadataIdentity[] {
  return [
    ...config.workloads.map((w, i) => ({ name: w.name, serviceAccount: w.serviceAccount, port: w.metadataPort, environment: w.environment, setting: `workloads[${i}].metadataPort` })),
    // Services run on Cloud Run; gateways as Google-managed serverless runtimes.
    ...config.services.map((s, i) => ({ name: s.name, serviceAccount: s.serviceAccount, port: s.metadataPort, environment: 'cloud-run' as const, setting: `services[${i}].metadataPort` })),
    ...config.gateways.map((g, i) => ({ name: g.name, serviceAccount: g.serviceAccount, port: g.metadataPort, environment: 'cloud-run' as const, setting: `gateways[${i}].metadataPort` })),
  ];
}

/**
 * Opens the store and binds the sockets in the order the servers on them start (API port, gRPC port, metadata
 * servers, front doors, gateways), so a failure names the same setting it always did; then spawns the commands.
 * A failure stops what started and rejects with a StartupError naming the setting or flag at fault.
 */
export async function startEarly(opts: EarlyStartOptions): Promise<EarlyStart> {
  const { config, serves } = opts;
  const { host } = config.server;
  prepareDataDir(opts.dataDir);
  const store = await openStore(opts.databaseUrl, opts.dataDir);
  markStartPhase('store');
  const sockets = new PreboundSockets();
  let commands: SpawnedCommands | undefined;
  const stop = async () => {
    await commands?.stop();
    await sockets.release();
    await store.close();
  };
  try {
    const bind = async (setting: string, port: number) => {
      const socket = await PreboundSocket.bind(host, port).catch((e: unknown) => {
        throw listenFailure(e, { host, port, portSetting: setting });
      });
      sockets.add(setting, socket);
      return socket;
    };
    await bind('server.apiPort', config.server.apiPort);
    const grpc = serves.grpc ? await bind('server.grpcPort', config.server.grpcPort) : undefined;
    const metadata = new Map<string, PreboundSocket>();
    for (const m of metadataIdentities(config)) metadata.set(m.name, await bind(m.setting, m.port));
    // With server.workers > 1 the workers listen on the front doors' ports, and the Cloud Run product spawns
    // the commands once their sockets are shared (run/product.ts).
    const ownDoors = serves.run && config.server.workers === 1;
    if (ownDoors) for (const [i, s] of config.services.entries()) await bind(`services[${i}].port`, s.port);
    if (serves.gateways) for (const [i, g] of config.gateways.entries()) await bind(`gateways[${i}].port`, g.port);
    markStartPhase('sockets');
    if (ownDoors && config.services.some((s) => s.command)) {
      commands = await spawnCommands(config, opts.dataDir, { metadata: (name) => metadata.get(name)?.hostPort, grpc: grpc?.hostPort });
      markStartPhase('commands spawned');
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { store, sockets, commands, stop };
}

/**
 * The data directory exists, is private (state, logs and, on SQLite, every private key live in it) and is
 * a directory this process can write.
 */
function prepareDataDir(dir: string): void {
  try {
    ensurePrivateDir(dir);
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch (e) {
    throw pathFailure(e, '--data', dir, 'point --data at a directory you can write (it is created if missing), e.g. --data .authplane');
  }
}

// Starting the services' commands (services[].command), each under a Supervisor with the environment Cloud
// Run gives a container. `authplane start` does this as soon as the addresses in that environment are bound
// (server/early-start.ts), so the commands boot while the rest of authplane loads; the Cloud Run product
// then puts each behind its front door (product.ts).

import type { AuthplaneConfig } from '../config/types.js';
import type { Platform } from '../platform.js';
import { revisionName } from '../services/directory.js';
import { ProcessGroupRecord } from './process-groups.js';
import { Supervisor } from './supervisor.js';

/** Where a command's environment points: its service's metadata server, and the gRPC port if one is served. */
export interface CommandAddresses {
  /** host:port of the metadata server of service `name`. */
  metadata(name: string): string | undefined;
  grpc: string | undefined;
}

export interface SpawnedCommands {
  /** Service name → its supervisor, spawned. */
  readonly supervisors: Map<string, Supervisor>;
  stop(): Promise<void>;
}

/**
 * Stops what an authplane killed with SIGKILL on this data directory left running (process-groups.ts), then
 * spawns every service's command; resolves once all are spawned (not yet answering: Supervisor.untilReady).
 */
export async function spawnCommands(config: AuthplaneConfig, dataDir: string, addresses: CommandAddresses): Promise<SpawnedCommands> {
  const record = new ProcessGroupRecord(dataDir);
  for (const g of record.stopLeftovers()) console.error(`authplane: stopped process group ${g.pid} (service ${g.service}), left running by an authplane that was killed`);
  const supervisors = new Map<string, Supervisor>();
  for (const [i, svc] of config.services.entries()) {
    if (!svc.command) continue;
    const md = addresses.metadata(svc.name);
    supervisors.set(
      svc.name,
      new Supervisor({
        name: svc.name,
        setting: `services[${i}]`,
        command: svc.command,
        cwd: svc.cwd,
        host: config.server.host,
        startupTimeoutMs: svc.startupTimeoutMs,
        record,
        env: {
          K_SERVICE: svc.name,
          K_REVISION: revisionName(config, svc.name),
          K_CONFIGURATION: svc.name,
          GOOGLE_CLOUD_PROJECT: config.project.id,
          ...(md ? metadataServerEnv(md) : {}),
          // The emulator's gRPC address (bound before any command starts).
          ...(addresses.grpc ? { CLOUD_TASKS_EMULATOR_HOST: addresses.grpc } : {}),
          ...svc.env,
        },
      }),
    );
  }
  const spawned = { supervisors, stop: async () => void (await Promise.all([...supervisors.values()].map((s) => s.stop()))) };
  try {
    await Promise.all([...supervisors.values()].map((s) => s.spawn()));
  } catch (e) {
    await spawned.stop();
    throw e;
  }
  return spawned;
}

/**
 * The service's own metadata server, whatever authplane's environment says. Google's Node libraries read
 * GCE_METADATA_IP before GCE_METADATA_HOST and, with METADATA_SERVER_DETECTION=none, never look for a
 * metadata server: values inherited from authplane's environment (a test runner's, say) must not hide
 * the one a service on Cloud Run always has. (undefined removes the inherited variable.)
 */
function metadataServerEnv(hostPort: string): Record<string, string | undefined> {
  return { GCE_METADATA_HOST: hostPort, GCE_METADATA_IP: hostPort, METADATA_SERVER_DETECTION: undefined };
}

// The commands the start spawned before the platform existed, for the Cloud Run product to take.
const early = new WeakMap<Platform, SpawnedCommands>();

/** Hands the commands spawned at start to the platform's Cloud Run product. */
export function handOverCommands(platform: Platform, commands: SpawnedCommands): void {
  early.set(platform, commands);
}

/** The commands the start spawned for this platform (once), or undefined when the product spawns them itself. */
export function takeSpawnedCommands(platform: Platform): SpawnedCommands | undefined {
  const c = early.get(platform);
  early.delete(platform);
  return c;
}

// The shared core every product stands on: config, store, identity, IAM, clock.
// Products (run/, iap/, tasks/, gateway/) receive a Platform and never import each other.

import { randomBytes } from 'node:crypto';
import type { AuthplaneConfig } from './config/types.js';
import type { PreboundSockets } from './lib/prebound.js';
import { Iam } from './iam/iam.js';
import { Identity } from './identity/identity.js';
import type { RunningMetadataServer } from './metadata/server.js';
import { ServiceDirectory } from './services/directory.js';
import type { FrontDoorGate } from './admission/gate.js';
import type { AttemptPreviewer } from './dispatch/attempt-preview.js';
import type { RouteInfo } from './apis/router.js';
import { EgressAttribution } from './admission/egress.js';
import type { SigningKeyRecord, Store } from './store/store.js';
import { clockTimers, type Timers } from './dispatch/timers.js';

export interface Platform {
  readonly config: AuthplaneConfig;
  readonly store: Store;
  readonly identity: Identity;
  readonly iam: Iam;
  readonly clock: () => number;
  /** Waits on `clock` (dispatch/timers.ts): every scheduled wake-up of Google's callers goes through it. */
  readonly timers: Timers;
  /** Every service's URLs and front-door address. */
  readonly directory: ServiceDirectory;
  /** Metadata servers by workload name (workloads, services and gateways each have one). */
  readonly metadataServers: Map<string, RunningMetadataServer>;
  /** The API port's base URL (http://127.0.0.1:8930), known once it listens. */
  apiUrl: string;
  /** Where state and logs live (.authplane/ by default). */
  readonly dataDir: string;
  /** Checks the admission decision runs after ingress and before the invoker check (IAP registers one; Product.gates). */
  readonly gates: FrontDoorGate[];
  /** Google's callers' next attempts, by resource kind (Product.attemptPreviewers), for `explain`. */
  readonly attemptPreviewers: AttemptPreviewer[];
  /**
   * Marks requests from authplane's own same-project services (Cloud Tasks dispatch, a gateway
   * inside the VPC) as internal traffic: sent in the x-authplane-internal header, which front doors
   * check and strip. Shared by every process of one emulator through the store.
   */
  readonly internalSecret: string;
  /** host:port of the gRPC port once it listens (CLOUD_TASKS_EMULATOR_HOST for supervised services). */
  grpcHostPort?: string;
  /** The listening sockets `authplane start` bound before the servers on them existed, until each is taken (lib/prebound.ts). */
  prebound?: PreboundSockets;
  /** Every API route with who may call it, once registered (the route-table test and the docs read it). */
  routes: RouteInfo[];
  /** Which configured caller (a supervised service, a workload) a loopback connection comes from: VPC egress. */
  readonly egress: EgressAttribution;
}

/** The header that carries `internalSecret`. */
export const INTERNAL_HEADER = 'x-authplane-internal';

export async function createPlatform(
  config: AuthplaneConfig,
  store: Store,
  dataDir: string,
  clock: () => number = Date.now,
  timers: Timers = clockTimers(clock),
  /** The platform's signing keys generated ahead of a first start (KeyRing.init). */
  generatedKeys?: Promise<SigningKeyRecord[]>,
): Promise<Platform> {
  const identity = new Identity(store, config, clock);
  await identity.init(generatedKeys);
  identity.startSweeping();
  const iam = new Iam(store, config.project.id, config.iam.propagation, clock);
  await iam.start();
  const internalSecret = await store.getOrCreateSetting('internal-secret', randomBytes(24).toString('base64url'));
  return { config, store, identity, iam, clock, timers, directory: new ServiceDirectory(config), metadataServers: new Map(), apiUrl: '', dataDir, gates: [], attemptPreviewers: [], internalSecret, routes: [], egress: new EgressAttribution(clock) };
}

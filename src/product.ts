// How a product (Cloud Run front door, IAP, Cloud Tasks, gateway) plugs into `authplane start`.
// The server composes products; products never import each other.

import type { FrontDoorGate } from './admission/gate.js';
import type { AttemptPreviewer } from './dispatch/attempt-preview.js';
import type { GrpcServer } from './apis/grpc-server.js';
import type { Router } from './apis/router.js';
import type { Platform } from './platform.js';
import type { AuthplaneConfig } from './config/types.js';

export interface Listener {
  /** e.g. "front door update", "grpc" — printed at start. */
  name: string;
  url: string;
}

export interface StartedProduct {
  listeners: Listener[];
  /**
   * Resolves once the product serves (every supervised command answers on its port); rejects with a
   * StartupError naming what did not come up. `authplane ready` waits for every product's.
   */
  untilReady?(): Promise<void>;
  stop(): Promise<void>;
}

/** An IAM binding a product needs seeded (as authplane.yaml's iam.bindings are). */
export interface SeedBinding {
  resource: string;
  role: string;
  members: string[];
}

export interface Product {
  readonly name: string;
  /**
   * Roles Google grants the product's service agent when its API is enabled (e.g. Cloud Scheduler's
   * roles/cloudscheduler.serviceAgent on the project). Seeded like config bindings, so a user can revoke them.
   */
  serviceAgentBindings?(config: AuthplaneConfig): SeedBinding[];
  /** Registers REST routes on the API port (called before the API port listens). */
  routes?(router: Router, platform: Platform): void;
  /** Adds gRPC services to the gRPC port (called before it listens; the port opens only if a product adds one). */
  grpc?(server: GrpcServer, platform: Platform): void;
  /** Gates for the admission decision (IAP). Called before any product starts, and by `explain --offline`. */
  gates?(platform: Platform): Promise<FrontDoorGate[]>;
  /** For Google's callers: what the next attempt for one of the product's resources would send (`explain --job` …). */
  attemptPreviewers?(platform: Platform): AttemptPreviewer[];
  /** Starts listeners and background work (called after the API port and metadata servers listen). */
  start?(platform: Platform): Promise<StartedProduct>;
}

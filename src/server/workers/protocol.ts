// What the primary authplane process and its front-door workers say to each other (channel.ts carries it).
//
// The primary owns the store (SQLite allows one owner; on PostgreSQL it is one more process of the emulator)
// and everything that reads or writes it: keys, IAM, service accounts, queues, the API and gRPC ports,
// metadata servers, dispatchers, supervised commands, and the request log. A worker serves the front doors'
// sockets and runs the admission decision itself — the verifier and its cache, IAM checks on its own copy of
// the policies — so the hot path never leaves the worker; it asks the primary only for what changes or needs
// the store:
//
//   worker → primary  calls   init, keys (public only), policyVersionsSince, latestServiceVersions,
//                             findServiceAccount, gate (IAP), egress (which configured caller a connection comes from)
//                     events  log (request-log entries, batched per event-loop turn), ready (the doors' ports)
//   primary → worker  calls   iam (sync now: a policy version arrived; answered once seen),
//                             settings (sync now: a service's settings changed through the Admin API)
//                     events  upstream (a service's address, or null while its command restarts), stop

import type { AuthplaneConfig } from '../../config/types.js';
import type { AdmissionRequest } from '../../admission/request.js';
import type { SigningKeyRecord } from '../../store/store.js';
import type { RequestLogEntry, TokenSummary } from '../../observe/request-log.js';

/** A signing key as a worker gets it: never the private key. */
export type PublicKeyRecord = Omit<SigningKeyRecord, 'privatePem'>;

/** Where a service's requests go; null while its supervised command is (re)starting. */
export type UpstreamState = { protocol: 'http:' | 'https:'; host: string; port: number } | null;

export interface WorkerInit {
  config: AuthplaneConfig;
  internalSecret: string;
  /** Request ids this worker gives out start with this (distinct from the primary's and other workers'). */
  idPrefix: string;
  keys: PublicKeyRecord[];
  /** Every front door: where to listen and where requests go. */
  doors: { name: string; host: string; port: number; upstream: UpstreamState }[];
  /** Gates (IAP) and the services each applies to; their checks run in the primary. */
  gates: { name: string; services: string[] }[];
  /** Whether any configured caller has VPC egress (otherwise no request ever asks who is calling). */
  egressRelevant: boolean;
}

export interface GateCall {
  gate: string;
  service: string;
  request: AdmissionRequest;
  internal: boolean;
}

/** A worker serves: the port each front door listens on (by service name). */
export interface WorkerReady {
  ports: Record<string, number>;
}

/** Why a worker could not start (a port it could not listen on, named by its setting). */
export interface WorkerFailure {
  setting: string;
  message: string;
  fix: string;
}

/**
 * Request-log entries of one event-loop turn. A verified token is logged on every request that carries it, so
 * each token summary crosses once: entries name it by a number, and `tokens` brings the ones not sent before.
 * `reset` (the worker's table grew past its bound) drops the numbers sent before this batch.
 */
export interface LogBatch {
  reset?: true;
  tokens: [number, TokenSummary][];
  entries: (Omit<RequestLogEntry, 'token'> & { token?: number })[];
}

// `authplane start`: composes the core and the products into one process.
// Order: data dir → store → every listening socket bound → supervised commands spawned (early-start.ts, which
// the CLI runs before this module loads) → identity → IAM (seeded from config) → API port → gRPC port →
// metadata servers → products (each server takes its bound socket) → every product ready (supervised commands
// answer) → `authplane ready`. A failure on the way stops what started and rejects with a StartupError naming
// the setting or flag at fault.

import { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AuthplaneConfig } from '../config/types.js';
import { adminRoutes } from '../apis/admin.js';
import { GrpcServer } from '../apis/grpc-server.js';
import { iamCredentialsRoutes } from '../apis/iamcredentials.js';
import { oauthRoutes } from '../apis/oauth.js';
import { unemulatedIamRoutes } from '../apis/unemulated-methods.js';
import { platformPolicyRoutes } from '../apis/platform-policies.js';
import { Router } from '../apis/router.js';
import { serviceAccountKeyRoutes } from '../apis/service-account-keys.js';
import { loggingRoutes } from '../logging/routes.js';
import { resourceManagerRoutes } from '../apis/resource-manager.js';
import { developerCredentialRoutes } from '../apis/developer-credentials.js';
import { ForwardProxy } from './forward-proxy.js';
import { listen, startMetadataServer } from '../metadata/server.js';
import { createPlatform, type Platform } from '../platform.js';
import type { Listener, Product, StartedProduct } from '../product.js';
import type { SigningKeyRecord } from '../store/store.js';
import { PRODUCTS } from './products.js';
import { seedIamFromConfig } from './seed.js';
import { requestLogFor } from '../observe/request-log.js';
import { dashboardRoutes } from '../ui/dashboard.js';
import { hostPort } from '../lib/host-port.js';
import type { Timers } from '../dispatch/timers.js';
import { listenFailure, StartupError } from '../lib/startup-error.js';
import { googleFrontEndServer } from '../apis/http-server.js';
import { frontDoorsOf } from '../run/product.js';
import { markStartPhase } from '../lib/start-phases.js';
import { loadDeferredModules } from '../lib/lazy-module.js';
import { metadataIdentities, startEarly, type EarlyStart } from './early-start.js';
import { handOverCommands } from '../run/spawn.js';
import { untilAborted } from '../lib/until-aborted.js';

export interface StartOptions {
  config: AuthplaneConfig;
  /** Aborted (cli/start.ts: SIGINT or SIGTERM) while supervised commands start: the start stops what it started and rejects with the signal's reason. */
  signal?: AbortSignal;
  /** postgres://… or sqlite:FILE; default: SQLite under dataDir. */
  databaseUrl?: string;
  dataDir: string;
  /** Products to run (default: all). Tests may pass a subset. */
  products?: Product[];
  /** Prints listener lines (default: console.log). */
  print?: (line: string) => void;
  clock?: () => number;
  /** Timers on `clock` (default: setTimeout-backed); a test clock passes its own. */
  timers?: Timers;
  /** The platform's signing keys, generated while authplane loaded (cli/start.ts); used if the store has none. */
  generatedKeys?: Promise<SigningKeyRecord[]>;
  /** The start's first part, when the caller ran it (cli/start.ts, before this module loaded); else run here. */
  early?: EarlyStart;
}

export interface RunningAuthplane {
  platform: Platform;
  apiUrl: string;
  listeners: Listener[];
  stop(): Promise<void>;
}

const url = (host: string, port: number) => `http://${hostPort(host, port)}`;

export async function startAuthplane(opts: StartOptions): Promise<RunningAuthplane> {
  const { config } = opts;
  const print = opts.print ?? ((l: string) => console.log(l));
  const products = opts.products ?? PRODUCTS;
  if (config.server.workers > 1 && (opts.clock !== undefined || opts.timers !== undefined)) {
    // Workers are processes on the system clock: they cannot follow a clock injected into this one.
    await opts.early?.stop();
    throw new StartupError('server.workers', 'front-door workers run on the system clock, and this start was given a clock of its own', 'use server.workers: 1 with an injected clock (tests)');
  }
  const early =
    opts.early ??
    (await startEarly({
      config,
      dataDir: opts.dataDir,
      ...(opts.databaseUrl ? { databaseUrl: opts.databaseUrl } : {}),
      serves: { grpc: products.some((p) => p.grpc), run: products.some((p) => p.name === 'run'), gateways: products.some((p) => p.name === 'gateway') },
    }));
  const { store } = early;
  // Stopped last: the commands (once the front doors no longer send them requests), unused sockets, the store.
  const cleanups: (() => Promise<void>)[] = [() => early.stop()];
  const stop = async () => {
    for (const c of cleanups.reverse()) await c().catch((e: unknown) => console.error('authplane: while stopping:', e));
  };

  try {
    const platform = await createPlatform(config, store, opts.dataDir, opts.clock, opts.timers, opts.generatedKeys);
    platform.prebound = early.sockets;
    if (early.commands) handOverCommands(platform, early.commands);
    cleanups.push(async () => {
      platform.iam.stop();
      platform.identity.stop();
    });
    // Closed last: every listener writes to it until it stops.
    cleanups.push(() => requestLogFor(platform).close());
    markStartPhase('platform');
    if (!isLoopback(config.server.host)) print(exposureWarning(config.server.host));

    await seedIamFromConfig(platform, products.flatMap((p) => p.serviceAgentBindings?.(config) ?? []));
    markStartPhase('iam seed');

    // The API port.
    const router = new Router(platform);
    router.for('authplane').get('/healthz', { public: 'health check', quiet: true }, () => ({ headers: { 'content-type': 'text/plain' }, body: 'ok' }));
    oauthRoutes(router, platform);
    iamCredentialsRoutes(router, platform);
    platformPolicyRoutes(router, platform);
    unemulatedIamRoutes(router);
    serviceAccountKeyRoutes(router, platform);
    resourceManagerRoutes(router, platform);
    adminRoutes(router, platform);
    loggingRoutes(router, platform);
    developerCredentialRoutes(router, platform);
    dashboardRoutes(router, platform);
    for (const p of products) p.routes?.(router, platform);
    platform.routes = router.routes();
    markStartPhase('api routes');
    // gcloud's proxy/* settings send requests in absolute form (its REGION-host for Cloud Run): served here.
    const proxy = new ForwardProxy(platform);
    const api: Server = googleFrontEndServer('api', {}, (req, res) => {
      if (proxy.admit(req, res)) void router.handle(req, res);
    });
    api.on('connect', (req, socket) => proxy.refuseConnect(req, socket));
    api.keepAliveTimeout = 65_000;
    await listen(api, config.server.apiPort, config.server.host, early.sockets.take('server.apiPort')).catch((e: unknown) => {
      throw listenFailure(e, { host: config.server.host, port: config.server.apiPort, portSetting: 'server.apiPort' });
    });
    cleanups.push(() => closeServer(api));
    const apiUrl = url(config.server.host, (api.address() as AddressInfo).port);
    platform.apiUrl = apiUrl;
    const listeners: Listener[] = [{ name: 'api', url: apiUrl }];
    markStartPhase('api listen');

    // The gRPC port, when a product serves a gRPC API, on the socket bound for it before the supervised
    // commands started (their CLOUD_TASKS_EMULATOR_HOST); grpc-js itself loads on its first connection or after ready.
    const grpc = new GrpcServer(platform);
    for (const p of products) p.grpc?.(grpc, platform);
    markStartPhase('grpc services');
    if (!grpc.empty) {
      platform.grpcHostPort = await grpc.listen(config.server.host, config.server.grpcPort, early.sockets.take('server.grpcPort')).catch((e: unknown) => {
        throw listenFailure(e, { host: config.server.host, port: config.server.grpcPort, portSetting: 'server.grpcPort' });
      });
      cleanups.push(() => grpc.stop());
      listeners.push({ name: 'grpc', url: `http://${platform.grpcHostPort}` });
    }
    markStartPhase('grpc listen');

    // Metadata servers: one per workload, service and gateway.
    const identities = metadataIdentities(config);
    // The processes that use a workload's metadata server are that workload (for VPC egress).
    for (const w of config.workloads) platform.egress.registerWorkload({ kind: 'workload', name: w.name, vpcEgress: w.vpcEgress });
    for (const w of identities) {
      const md = await startMetadataServer(platform, { name: w.name, serviceAccount: w.serviceAccount, host: config.server.host, port: w.port, environment: w.environment, prebound: early.sockets.take(w.setting) }).catch((e: unknown) => {
        throw listenFailure(e, { host: config.server.host, port: w.port, portSetting: w.setting });
      });
      platform.metadataServers.set(w.name, md);
      cleanups.push(() => md.close());
      listeners.push({ name: `metadata ${w.name} (${md.serviceAccount})`, url: url(md.host, md.port) });
    }
    markStartPhase('metadata servers');

    // Gates join the admission decision before any front door opens.
    for (const p of products) if (p.gates) platform.gates.push(...(await p.gates(platform)));
    markStartPhase('gates');
    for (const p of products) platform.attemptPreviewers.push(...(p.attemptPreviewers?.(platform) ?? []));

    const started: StartedProduct[] = [];
    for (const p of products) {
      if (!p.start) continue;
      const s = await p.start(platform);
      cleanups.push(() => s.stop());
      listeners.push(...s.listeners);
      started.push(s);
      markStartPhase(`start ${p.name}`);
    }
    // server.workers > 1: the front doors' sockets are served by worker processes (server/workers/).
    if (config.server.workers > 1 && frontDoorsOf(platform).length > 0) {
      const { startFrontDoorWorkers } = await import('./workers/primary.js');
      const workers = await startFrontDoorWorkers(platform, config.server.workers);
      cleanups.push(() => workers.stop());
    }
    // Every product's listeners are up; now wait until each product serves (the commands answer). Sockets bound
    // for servers that did not start (a gRPC port no product serves) close.
    await early.sockets.release();
    // A signal during start ends this wait (a command may take up to its startupTimeout): what started stops.
    await untilAborted(Promise.all(started.map((s) => s.untilReady?.())), opts.signal);
    markStartPhase('products ready');

    for (const l of listeners) print(`${l.name.padEnd(28)} ${l.url}`);
    print('authplane ready');
    markStartPhase('ready');
    // What the start deferred, loaded now so that the first request does not wait for it.
    void loadDeferredModules().then(() => grpc.warm());
    return { platform, apiUrl, listeners, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/** What a non-loopback server.host exposes: everything authplane serves mints or trusts credentials. */
function exposureWarning(host: string): string {
  return (
    `authplane: WARNING: server.host is ${host}, not loopback: other machines can reach every listener — the metadata servers ` +
    '(which hand out tokens for their service accounts to anyone who asks), the IAM Credentials and OAuth token endpoints, ' +
    'the admin API (IAM changes, with the default principal when one is configured) and the front doors. Use 127.0.0.1 unless ' +
    'the network is yours alone, and set defaultPrincipal: none.'
  );
}


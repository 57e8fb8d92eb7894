// `authplane start`: composes the core and the products into one process.
// Order: store → identity → IAM (seeded from config) → API port → metadata servers → products → ready.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AuthplaneConfig } from '../config/types.js';
import { adminRoutes } from '../apis/admin.js';
import { GrpcServer } from '../apis/grpc-server.js';
import { iamCredentialsRoutes } from '../apis/iamcredentials.js';
import { oauthRoutes } from '../apis/oauth.js';
import { platformPolicyRoutes } from '../apis/platform-policies.js';
import { Router } from '../apis/router.js';
import { serviceAccountKeyRoutes } from '../apis/service-account-keys.js';
import { listen, startMetadataServer } from '../metadata/server.js';
import { createPlatform, type Platform } from '../platform.js';
import type { Listener, Product, StartedProduct } from '../product.js';
import { openStore } from '../store/open.js';
import { PRODUCTS } from './products.js';
import { dashboardRoutes } from '../ui/dashboard.js';
import { hostPort } from '../lib/host-port.js';
import type { Timers } from '../dispatch/timers.js';

export interface StartOptions {
  config: AuthplaneConfig;
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
  const store = await openStore(opts.databaseUrl, opts.dataDir);
  const cleanups: (() => Promise<void>)[] = [async () => store.close()];
  const stop = async () => {
    for (const c of cleanups.reverse()) await c().catch((e: unknown) => console.error('authplane: while stopping:', e));
  };

  try {
    const platform = await createPlatform(config, store, opts.dataDir, opts.clock, opts.timers);
    cleanups.push(async () => {
      platform.iam.stop();
      platform.identity.stop();
    });

    // IAM from config: the default principal owns the project, so an unauthenticated script works.
    const seeds = new Map<string, { role: string; members: string[] }[]>();
    const addSeed = (resource: string, role: string, members: string[]) => {
      const list = seeds.get(resource) ?? [];
      list.push({ role, members });
      seeds.set(resource, list);
    };
    if (config.defaultPrincipal) addSeed(`projects/${config.project.id}`, 'roles/owner', [config.defaultPrincipal]);
    for (const b of config.iam.bindings) addSeed(b.resource, b.role, b.members);
    for (const [resource, bindings] of seeds) await platform.iam.seed(resource, bindings);

    // The API port.
    const router = new Router(platform);
    router.for('authplane').get('/healthz', { public: 'health check', quiet: true }, () => ({ headers: { 'content-type': 'text/plain' }, body: 'ok' }));
    oauthRoutes(router, platform);
    iamCredentialsRoutes(router, platform);
    platformPolicyRoutes(router, platform);
    serviceAccountKeyRoutes(router, platform);
    adminRoutes(router, platform);
    dashboardRoutes(router, platform);
    for (const p of products) p.routes?.(router, platform);
    platform.routes = router.routes();
    const api: Server = createServer((req, res) => void router.handle(req, res));
    api.keepAliveTimeout = 65_000;
    await listen(api, config.server.apiPort, config.server.host);
    cleanups.push(() => closeServer(api));
    const apiUrl = url(config.server.host, (api.address() as AddressInfo).port);
    platform.apiUrl = apiUrl;
    const listeners: Listener[] = [{ name: 'api', url: apiUrl }];

    // The gRPC port, when a product serves a gRPC API; it listens before products start, so supervised
    // services get its address (CLOUD_TASKS_EMULATOR_HOST).
    const grpc = new GrpcServer(platform);
    for (const p of products) p.grpc?.(grpc, platform);
    if (!grpc.empty) {
      platform.grpcHostPort = await grpc.listen(config.server.host, config.server.grpcPort);
      cleanups.push(() => grpc.stop());
      listeners.push({ name: 'grpc', url: `http://${platform.grpcHostPort}` });
    }

    // Metadata servers: one per workload, service and gateway.
    const identities = [
      ...config.workloads.map((w) => ({ name: w.name, serviceAccount: w.serviceAccount, port: w.metadataPort })),
      ...config.services.map((s) => ({ name: s.name, serviceAccount: s.serviceAccount, port: s.metadataPort })),
      ...config.gateways.map((g) => ({ name: g.name, serviceAccount: g.serviceAccount, port: g.metadataPort })),
    ];
    for (const w of identities) {
      const md = await startMetadataServer(platform, { name: w.name, serviceAccount: w.serviceAccount, host: config.server.host, port: w.port });
      platform.metadataServers.set(w.name, md);
      cleanups.push(() => md.close());
      listeners.push({ name: `metadata ${w.name} (${md.serviceAccount})`, url: url(md.host, md.port) });
    }

    for (const p of products) {
      if (!p.start) continue;
      const started: StartedProduct = await p.start(platform);
      cleanups.push(() => started.stop());
      listeners.push(...started.listeners);
    }

    for (const l of listeners) print(`${l.name.padEnd(28)} ${l.url}`);
    print('authplane ready');
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

// Starts a real authplane in this process for a test: any free ports, a fresh data dir, the
// products given (default: all). Config comes as the YAML-shaped object users write.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateConfig } from '../../src/config/load.js';
import type { AuthplaneConfig } from '../../src/config/types.js';
import type { Product } from '../../src/product.js';
import type { Timers } from '../../src/dispatch/timers.js';
import { startAuthplane, type RunningAuthplane } from '../../src/server/app.js';

export interface TestAuthplane extends RunningAuthplane {
  config: AuthplaneConfig;
  dataDir: string;
  /** host:port of a workload's (service's, gateway's) metadata server. */
  metadataHost(name: string): string;
  /** fetch against the API port. */
  api(path: string, init?: RequestInit): Promise<Response>;
}

/** A raw config (as in YAML) with every port defaulting to 0 (any free port). */
export function testConfig(raw: Record<string, unknown> = {}): Record<string, unknown> {
  const server = { host: '127.0.0.1', apiPort: 0, grpcPort: 0, ...(raw.server as object | undefined) };
  return { project: { id: 'demo-project', number: '123456789012', region: 'us-central1' }, ...raw, server };
}

export async function startTestAuthplane(
  raw: Record<string, unknown> = {},
  opts: { databaseUrl?: string; products?: Product[]; dataDir?: string; clock?: () => number; timers?: Timers } = {},
): Promise<TestAuthplane> {
  const config = validateConfig(testConfig(raw), 'test config');
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'authplane-test-'));
  const running = await startAuthplane({
    config,
    dataDir,
    print: () => undefined,
    ...(opts.databaseUrl ? { databaseUrl: opts.databaseUrl } : {}),
    ...(opts.products ? { products: opts.products } : {}),
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(opts.timers ? { timers: opts.timers } : {}),
  });
  return {
    ...running,
    config,
    dataDir,
    metadataHost(name) {
      const md = running.platform.metadataServers.get(name);
      if (!md) throw new Error(`no metadata server named ${name}`);
      return md.hostPort;
    },
    // Like every Google client, it sends bodies as JSON (authplane refuses other state-changing bodies).
    api: (path, init) => fetch(running.apiUrl + path, withJsonBody(init)),
    async stop() {
      await running.stop();
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** `init` with `content-type: application/json` when it has a body and names no content type. */
export function withJsonBody(init: RequestInit | undefined): RequestInit | undefined {
  if (init?.body === undefined || init.body === null) return init;
  const headers = new Headers(init.headers);
  if (!headers.has('content-type')) headers.set('content-type', 'application/json');
  return { ...init, headers };
}

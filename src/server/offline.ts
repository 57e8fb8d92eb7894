// The admission decision without a running authplane (`explain --offline`): the config's services, IAM
// bindings and gates, in this process, over an in-memory store; no keys of the minter, so signatures are
// not checked (admission/tokens.ts offlineTokenChecks).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { admissionContext } from '../admission/context.js';
import type { ExplainDeps } from '../admission/explain.js';
import { offlineTokenChecks } from '../admission/tokens.js';
import type { AuthplaneConfig } from '../config/types.js';
import { createPlatform } from '../platform.js';
import { SqliteStore } from '../store/sqlite.js';
import { PRODUCTS } from './products.js';
import { seedIamFromConfig } from './seed.js';

export async function offlineExplainDeps(config: AuthplaneConfig): Promise<{ deps: ExplainDeps; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'authplane-explain-'));
  const store = new SqliteStore(':memory:');
  const platform = await createPlatform(config, store, dir);
  const close = async () => {
    platform.iam.stop();
    platform.identity.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await seedIamFromConfig(platform);
    for (const p of PRODUCTS) if (p.gates) platform.gates.push(...(await p.gates(platform)));
    const admission = { ...admissionContext(platform), tokens: offlineTokenChecks(platform.clock) };
    return { deps: { directory: platform.directory, admission, internalSecret: platform.internalSecret }, close };
  } catch (e) {
    await close();
    throw e;
  }
}

// IAM as the config declares it: the default principal owns the project (so an unauthenticated script
// works), plus `iam.bindings`. Seeded at start, and by `explain --offline` from the same config.

import type { Platform } from '../platform.js';
import type { SeedBinding } from '../product.js';

/** `serviceAgents`: roles Google grants products' service agents when their APIs are enabled (Product.serviceAgentBindings). */
export async function seedIamFromConfig(platform: Platform, serviceAgents: SeedBinding[] = []): Promise<void> {
  const { config } = platform;
  const seeds = new Map<string, { role: string; members: string[] }[]>();
  const add = (resource: string, role: string, members: string[]) => {
    const list = seeds.get(resource) ?? [];
    list.push({ role, members });
    seeds.set(resource, list);
  };
  if (config.defaultPrincipal) add(`projects/${config.project.id}`, 'roles/owner', [config.defaultPrincipal]);
  for (const b of serviceAgents) add(b.resource, b.role, b.members);
  for (const b of config.iam.bindings) add(b.resource, b.role, b.members);
  for (const [resource, bindings] of seeds) await platform.iam.seed(resource, bindings);
}

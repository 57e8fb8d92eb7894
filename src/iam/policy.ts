import { createHash } from 'node:crypto';

/** Google's `Policy` message (REST JSON), without conditions. */
export interface IamBinding {
  role: string;
  members: string[];
}

export interface IamPolicy {
  version: number;
  etag: string;
  bindings: IamBinding[];
}

export const EMPTY_ETAG = 'ACAB';

/** A policy in canonical form: roles sorted, members sorted and unique, empty bindings dropped. */
export function normalizeBindings(bindings: IamBinding[]): IamBinding[] {
  const byRole = new Map<string, Set<string>>();
  for (const b of bindings) {
    const set = byRole.get(b.role) ?? new Set<string>();
    for (const m of b.members) set.add(m);
    byRole.set(b.role, set);
  }
  return [...byRole.entries()]
    .filter(([, members]) => members.size > 0)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([role, members]) => ({ role, members: [...members].sort() }));
}

/** Etags are opaque base64 strings on Google; ours hash the content plus the version sequence. */
export function computeEtag(bindings: IamBinding[], salt: string): string {
  return createHash('sha256').update(JSON.stringify(bindings)).update(salt).digest().subarray(0, 8).toString('base64');
}

export function makePolicy(bindings: IamBinding[], salt: string): IamPolicy {
  const normalized = normalizeBindings(bindings);
  return { version: 1, etag: computeEtag(normalized, salt), bindings: normalized };
}

export const emptyPolicy = (): IamPolicy => ({ version: 1, etag: EMPTY_ETAG, bindings: [] });

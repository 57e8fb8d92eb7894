// The live admission context of a running authplane: one per platform, shared by every front door, the
// explain endpoint, the dashboard's token inspector and in-process dispatch, so each decision uses the same
// verifier (and its verified-token cache), the same ingress rule, the same gates and the same IAM.

import { INTERNAL_HEADER, type Platform } from '../platform.js';
import type { AdmissionContext } from './decision.js';
import { IngressPolicy } from './ingress.js';
import { MemberResolver } from './invoker.js';
import { liveTokenChecks } from './tokens.js';

const contexts = new WeakMap<Platform, AdmissionContext>();

export function admissionContext(platform: Platform): AdmissionContext {
  let ctx = contexts.get(platform);
  if (ctx === undefined) {
    ctx = {
      ingress: new IngressPolicy(platform.internalSecret, platform.config.vpc.cidrs),
      internalHeader: INTERNAL_HEADER,
      gates: platform.gates,
      tokens: liveTokenChecks(platform.identity.keys, { clock: platform.clock, cacheSize: tokenCacheSize() }),
      members: new MemberResolver(platform.identity),
      iam: platform.iam,
      directory: platform.directory,
      region: platform.config.project.region,
      egress: platform.egress,
    };
    contexts.set(platform, ctx);
  }
  return ctx;
}

/**
 * The verified-token cache's size. AUTHPLANE_TOKEN_CACHE_SIZE overrides it (0 disables the cache): a knob for
 * bench/frontdoor's uncached run and for debugging, documented in docs/run.md.
 */
export function tokenCacheSize(): number {
  const raw = process.env.AUTHPLANE_TOKEN_CACHE_SIZE;
  if (raw === undefined || raw === '') return 10_000;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`AUTHPLANE_TOKEN_CACHE_SIZE must be an integer ≥ 0 (0 disables the verified-token cache), got ${raw}`);
  return n;
}

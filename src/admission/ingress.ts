// Cloud Run ingress: which requests count as internal (docs/ingress.md states the rule for people).
//
//   internal  = carries `x-authplane-internal: <the emulator's internal secret>` (authplane's own
//               same-project senders: Cloud Tasks dispatch, a gateway declared inside the VPC), or comes
//               from an address inside `vpc.cidrs`;
//   external  = everything else, loopback included: a curl from your machine is "the internet".
//
// `internal-and-cloud-load-balancing` admits internal traffic; authplane has no Cloud Load Balancing
// product, so a load balancer in front is modelled by putting its source address in `vpc.cidrs`.

import { BlockList, isIPv4, isIPv6 } from 'node:net';
import type { Ingress } from '../config/types.js';

export interface IngressDecision {
  internal: boolean;
  /** Why, for the log and INGRESS_BLOCKED's evidence. */
  source: string;
}

export class IngressPolicy {
  private readonly vpc: BlockList | undefined;

  constructor(
    private readonly internalSecret: string,
    readonly cidrs: readonly string[],
  ) {
    if (cidrs.length > 0) {
      this.vpc = new BlockList();
      for (const c of cidrs) {
        const [addr, bits] = c.split('/');
        const type = isIPv6(addr!) ? 'ipv6' : 'ipv4';
        if (!isIPv4(addr!) && !isIPv6(addr!)) throw new TypeError(`vpc.cidrs: ${c} is not a CIDR such as 10.8.0.0/16`);
        const prefix = bits === undefined ? (type === 'ipv4' ? 32 : 128) : Number(bits);
        this.vpc.addSubnet(addr!, prefix, type);
      }
    }
  }

  /** Whether the request counts as internal (the hot path: no description built). */
  isInternal(marker: string | undefined, address: string | undefined): boolean {
    if (marker !== undefined && marker === this.internalSecret) return true;
    if (this.vpc === undefined) return false;
    const addr = normalize(address);
    return addr !== undefined && this.vpc.check(addr, isIPv6(addr) ? 'ipv6' : 'ipv4');
  }

  /** `marker` = the x-authplane-internal header value, `address` = the client's socket address; with the reason, for people. */
  classify(marker: string | string[] | undefined, address: string | undefined): IngressDecision {
    if (marker !== undefined && marker === this.internalSecret) return { internal: true, source: 'an authplane same-project sender (Cloud Tasks, a gateway inside the VPC)' };
    const addr = normalize(address);
    if (this.vpc !== undefined && addr !== undefined && this.vpc.check(addr, isIPv6(addr) ? 'ipv6' : 'ipv4')) {
      return { internal: true, source: `${addr}, inside vpc.cidrs` };
    }
    return {
      internal: false,
      source: `${addr ?? 'an unknown address'}${marker !== undefined ? ' with an x-authplane-internal header that does not hold the internal secret' : ''}, outside vpc.cidrs (${this.cidrs.length ? this.cidrs.join(', ') : 'none declared'})`,
    };
  }

  /** Whether `ingress` admits the request. */
  admits(ingress: Ingress, decision: IngressDecision): boolean {
    return ingress === 'all' || decision.internal;
  }
}

/** Google's enum names (Admin API v2). */
export const INGRESS_ENUM: Record<Ingress, string> = {
  all: 'INGRESS_TRAFFIC_ALL',
  internal: 'INGRESS_TRAFFIC_INTERNAL_ONLY',
  'internal-and-cloud-load-balancing': 'INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER',
};

/** ::ffff:10.0.0.1 → 10.0.0.1 (dual-stack sockets report IPv4 clients so). */
function normalize(address: string | undefined): string | undefined {
  if (address === undefined) return undefined;
  return address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address;
}

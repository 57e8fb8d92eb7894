// IAM: policies per resource, inherited from the project, and a check that knows propagation.
//
// Google applies a policy change at different times on different front ends ("typically 2 minutes,
// could be 7 or longer"), so during that window the same call succeeds on one front end and fails on
// another. We reproduce that: every policy version becomes visible to each of N simulated front ends
// at `createdAt + delay(version, frontEnd)`, with the delay spread over [min, max] by a hash that all
// processes agree on. A check runs "on" one front end (random unless given) and sees, per resource,
// the newest version that front end can see. Versions seeded from config have createdAt 0: visible at once.

import type { PropagationConfig } from '../config/types.js';
import { freshRead } from '../lib/fresh-read.js';
import type { PolicyVersionRecord, Store } from '../store/store.js';
import { emptyPolicy, makePolicy, type IamBinding, type IamPolicy } from './policy.js';
import { resourceChain } from './resources.js';
import { roleGrants, rolesGranting } from './roles.js';

export interface Grant {
  resource: string;
  role: string;
  member: string;
}

export interface Propagation {
  /** When the change that would allow this becomes visible to the front end that answered. */
  visibleAt: number;
  /** When every front end sees it. */
  fullyVisibleAt: number;
  changedAt: number;
  grant: Grant;
}

export interface IamDecision {
  allowed: boolean;
  member: string;
  permission: string;
  resource: string;
  frontEnd: number;
  /** The binding that allowed the call. */
  grantedBy?: Grant;
  /** Set on a refusal that the newest policy would allow: the change is still propagating. */
  propagating?: Propagation;
  /** Roles that would grant the permission, narrowest first (for remedies). */
  rolesGranting: readonly string[];
}

/** How far one resource's newest policy has reached: when each front end enforces it. */
export interface PolicyRollout {
  resource: string;
  /** The newest policy (what getIamPolicy returns). */
  policy: IamPolicy;
  /** The version before it, while some front end may still enforce that one. */
  previous?: IamPolicy;
  /** When the newest version was written (epoch ms; 0 = seeded from config). */
  changedAt: number;
  /** When each simulated front end starts enforcing the newest version. */
  frontEnds: { frontEnd: number; visibleAt: number }[];
  /** When the last front end does. */
  fullyVisibleAt: number;
}

export interface CheckOptions {
  now?: number;
  /** Which simulated front end answers; random when absent. */
  frontEnd?: number;
}

interface Version {
  record: PolicyVersionRecord;
  /** member → roles */
  byMember: Map<string, string[]>;
}

function indexPolicy(record: PolicyVersionRecord): Version {
  const byMember = new Map<string, string[]>();
  for (const b of record.policy.bindings) {
    for (const m of b.members) {
      const roles = byMember.get(m);
      if (roles) roles.push(b.role);
      else byMember.set(m, [b.role]);
    }
  }
  return { record, byMember };
}

/** A 32-bit FNV-1a hash mapped to [0, 1): the same in every process, so front ends agree. */
function unitHash(seq: number, frontEnd: number): number {
  let h = 0x811c9dc5;
  const s = `${seq}:${frontEnd}`;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // FNV-1a alone barely moves the high bits for a change in the last character (the front end), so a
  // version's front ends would all flip within a few percent of [min, max]: no intermittent phase. MurmurHash3's
  // finaliser (fmix32) spreads every input bit over the whole word.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 0x1_0000_0000;
}

/** The members a principal matches: itself, its domain, and the two special groups. */
export function membersOf(member: string | null): string[] {
  if (!member) return ['allUsers'];
  const at = member.indexOf('@');
  const out = [member, 'allAuthenticatedUsers', 'allUsers'];
  if (at > 0) out.push(`domain:${member.slice(at + 1)}`);
  return out;
}

export class Iam {
  private readonly versions = new Map<string, Version[]>();
  /**
   * Decisions no front end can disagree on: made while every policy in the resource's chain was fully
   * propagated. They hold until the next policy version arrives (`add` clears them), so the hot paths
   * (front doors, dispatch) pay a map lookup, never a cache past propagation.
   */
  private settled = new Map<string, Map<string, Map<string, IamDecision>>>();
  private settledCount = 0;
  private lastSeq = 0;
  /** Told of every version as it arrives (front-door workers follow IAM through these); see observe(). */
  private readonly observers: ((rec: PolicyVersionRecord) => Promise<void> | void)[] = [];
  private announcing: Promise<unknown>[] = [];
  private syncTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: Pick<Store, 'policyVersionsSince' | 'appendPolicy'>,
    readonly projectId: string,
    readonly propagation: PropagationConfig,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Loads every policy and follows changes made by other processes every `intervalMs`. */
  async start(intervalMs = 200): Promise<void> {
    await this.sync();
    this.syncTimer = setInterval(() => void this.sync().catch(() => undefined), intervalMs);
    this.syncTimer.unref();
  }

  stop(): void {
    if (this.syncTimer) clearInterval(this.syncTimer);
  }

  /** Pulls versions appended since the last sync (by any process), in a read that starts after the call. */
  sync(): Promise<void> {
    return this.pull();
  }

  private readonly pull = freshRead(async () => {
    for (const rec of await this.store.policyVersionsSince(this.lastSeq)) this.add(rec);
    await this.announced();
  });

  private add(rec: PolicyVersionRecord): void {
    if (rec.seq <= this.lastSeq) return;
    this.lastSeq = rec.seq;
    this.clearSettled();
    const list = this.versions.get(rec.resource) ?? [];
    list.push(indexPolicy(rec));
    this.versions.set(rec.resource, this.prune(list));
    for (const o of this.observers) this.announcing.push(Promise.resolve().then(() => o(rec)).catch(() => undefined));
  }

  /**
   * Calls `fn` with every policy version this process learns of (its own changes and, through sync, other
   * processes'). A change made here is answered (setPolicy, seed) only once every observer's promise settled,
   * so front-door workers never check against IAM older than what the caller was told.
   */
  observe(fn: (rec: PolicyVersionRecord) => Promise<void> | void): void {
    this.observers.push(fn);
  }

  private async announced(): Promise<void> {
    while (this.announcing.length > 0) {
      const pending = this.announcing;
      this.announcing = [];
      await Promise.all(pending);
    }
  }

  /** Drops versions hidden for good behind a newer version every front end already sees. */
  private prune(list: Version[]): Version[] {
    const now = this.clock();
    for (let i = list.length - 1; i > 0; i--) {
      if (list[i]!.record.createdAt + this.propagation.maxMs <= now) return list.slice(i);
    }
    return list;
  }

  /** When version `rec` becomes visible to `frontEnd`. */
  visibleAt(rec: PolicyVersionRecord, frontEnd: number): number {
    if (rec.createdAt === 0) return 0;
    const { minMs, maxMs } = this.propagation;
    return rec.createdAt + minMs + Math.floor(unitHash(rec.seq, frontEnd) * (maxMs - minMs));
  }

  private visibleVersion(resource: string, frontEnd: number, now: number): Version | undefined {
    const list = this.versions.get(resource);
    if (!list) return undefined;
    for (let i = list.length - 1; i >= 0; i--) {
      if (this.visibleAt(list[i]!.record, frontEnd) <= now) return list[i];
    }
    return undefined;
  }

  private latestVersion(resource: string): Version | undefined {
    const list = this.versions.get(resource);
    return list?.[list.length - 1];
  }

  /** The newest policy of `resource` (what getIamPolicy returns: the control plane has no delay). */
  getPolicy(resource: string): IamPolicy {
    return this.latestVersion(resource)?.record.policy ?? emptyPolicy();
  }

  /**
   * Replaces `resource`'s policy (setIamPolicy). `etag` = the etag the caller read, or null.
   * Returns the stored policy, or `conflict` when the etag is stale (Google: ABORTED / 409).
   */
  async setPolicy(resource: string, bindings: IamBinding[], etag: string | null): Promise<{ policy: IamPolicy } | { conflict: IamPolicy }> {
    await this.sync();
    const now = this.clock();
    const policy = makePolicy(bindings, `${resource}:${now}:${Math.random()}`);
    const result = await this.store.appendPolicy(resource, policy, etag, now);
    if (!result.ok) return { conflict: result.current?.policy ?? emptyPolicy() };
    this.add(result.version);
    await this.sync();
    await this.announced();
    return { policy: result.version.policy };
  }

  /** Adds `member` to `role` on `resource`, keeping the rest (gcloud add-iam-policy-binding). */
  addBinding(resource: string, role: string, member: string): Promise<IamPolicy> {
    return this.editBindings(resource, (bindings) => [...bindings, { role, members: [member] }]);
  }

  removeBinding(resource: string, role: string, member: string): Promise<IamPolicy> {
    return this.editBindings(resource, (bindings) => bindings.map((b) => (b.role === role ? { role, members: b.members.filter((m) => m !== member) } : b)));
  }

  /** Read-modify-write with the etag read (the empty etag means "no policy yet"), retried on a conflict. */
  private async editBindings(resource: string, edit: (bindings: IamBinding[]) => IamBinding[]): Promise<IamPolicy> {
    for (;;) {
      const current = this.getPolicy(resource);
      const r = await this.setPolicy(resource, edit(current.bindings), current.etag);
      if ('policy' in r) return r.policy;
      await this.sync();
    }
  }

  /** Seeds config bindings: written when absent or when the stored policy was itself seeded (createdAt 0). */
  async seed(resource: string, bindings: IamBinding[]): Promise<void> {
    await this.sync();
    const latest = this.latestVersion(resource)?.record;
    if (latest && latest.createdAt !== 0) return;
    const policy = makePolicy(bindings, `${resource}:seed`);
    if (latest && latest.policy.etag === policy.etag) return;
    const r = await this.store.appendPolicy(resource, policy, latest ? latest.policy.etag : null, 0);
    if (r.ok) this.add(r.version);
    await this.sync();
    await this.announced();
  }

  /** Every resource that has a policy. */
  resources(): string[] {
    return [...this.versions.keys()].sort();
  }

  /** How far `resource`'s newest policy has propagated: each front end's time to enforce it. */
  rollout(resource: string): PolicyRollout | undefined {
    const list = this.versions.get(resource);
    const latest = list?.[list.length - 1]?.record;
    if (!list || !latest) return undefined;
    const frontEnds = Array.from({ length: this.propagation.frontEnds }, (_, frontEnd) => ({ frontEnd, visibleAt: this.visibleAt(latest, frontEnd) }));
    const fullyVisibleAt = Math.max(0, ...frontEnds.map((f) => f.visibleAt));
    const previous = list.length > 1 && fullyVisibleAt > this.clock() ? list[list.length - 2]!.record.policy : undefined;
    return { resource, policy: latest.policy, ...(previous ? { previous } : {}), changedAt: latest.createdAt, frontEnds, fullyVisibleAt };
  }

  /**
   * Who holds `permission` on `resource` by the newest policies of its chain (the resource, then the project):
   * each member with the role and the resource that grant it. What a front end enforces once propagated.
   */
  membersWith(permission: string, resource: string): Grant[] {
    const out: Grant[] = [];
    for (const r of resourceChain(resource, this.projectId)) {
      const version = this.latestVersion(r);
      if (!version) continue;
      for (const [member, roles] of version.byMember) {
        const role = roles.find((x) => roleGrants(x, permission));
        if (role !== undefined) out.push({ resource: r, role, member });
      }
    }
    return out;
  }

  /** Whether `member` holds `permission` on `resource` as one front end sees it right now. */
  check(member: string | null, permission: string, resource: string, opts: CheckOptions = {}): IamDecision {
    const now = opts.now ?? this.clock();
    // Member → permission → resource: no key string built per check (the hot path passes the same strings each time).
    const settled = this.settled.get(member ?? '')?.get(permission)?.get(resource);
    if (settled !== undefined) return opts.frontEnd === undefined || opts.frontEnd === settled.frontEnd ? settled : { ...settled, frontEnd: opts.frontEnd };
    const chain = resourceChain(resource, this.projectId);
    const decision = this.decide(member, permission, resource, chain, now, opts.frontEnd);
    if (chain.every((r) => this.isSettled(r, now))) {
      if (this.settledCount >= 50_000) this.clearSettled();
      let byPermission = this.settled.get(member ?? '');
      if (byPermission === undefined) this.settled.set(member ?? '', (byPermission = new Map()));
      let byResource = byPermission.get(permission);
      if (byResource === undefined) byPermission.set(permission, (byResource = new Map()));
      byResource.set(resource, decision);
      this.settledCount++;
    }
    return decision;
  }

  private clearSettled(): void {
    this.settled = new Map();
    this.settledCount = 0;
  }

  /** Whether every front end already sees `resource`'s newest policy. */
  private isSettled(resource: string, now: number): boolean {
    const latest = this.latestVersion(resource)?.record;
    return latest === undefined || latest.createdAt === 0 || latest.createdAt + this.propagation.maxMs <= now;
  }

  private decide(member: string | null, permission: string, resource: string, chain: string[], now: number, requestedFrontEnd: number | undefined): IamDecision {
    const frontEnd = requestedFrontEnd ?? Math.floor(Math.random() * this.propagation.frontEnds);
    const members = membersOf(member);
    const base = { member: member ?? 'allUsers', permission, resource, frontEnd, rolesGranting: rolesGranting(permission) };

    for (const r of chain) {
      const grant = findGrant(this.visibleVersion(r, frontEnd, now), r, members, permission);
      if (grant) return { ...base, allowed: true, grantedBy: grant };
    }
    // Refused as this front end sees it: would the newest policy allow it?
    for (const r of chain) {
      const latest = this.latestVersion(r);
      const grant = findGrant(latest, r, members, permission);
      if (grant && latest) {
        const rec = latest.record;
        let fully = 0;
        for (let f = 0; f < this.propagation.frontEnds; f++) fully = Math.max(fully, this.visibleAt(rec, f));
        return {
          ...base,
          allowed: false,
          propagating: { visibleAt: this.visibleAt(rec, frontEnd), fullyVisibleAt: fully, changedAt: rec.createdAt, grant },
        };
      }
    }
    return { ...base, allowed: false };
  }
}

function findGrant(version: Version | undefined, resource: string, members: string[], permission: string): Grant | undefined {
  if (!version) return undefined;
  for (const member of members) {
    const roles = version.byMember.get(member);
    if (!roles) continue;
    for (const role of roles) if (roleGrants(role, permission)) return { resource, role, member };
  }
  return undefined;
}

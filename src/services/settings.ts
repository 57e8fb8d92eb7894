// Service settings changed through the Cloud Run Admin API (ingress, the invoker IAM check, custom
// audiences, the request timeout): kept in the store, one version per change, and applied to the service directory, where the
// admission decision reads them on every request. Every process on one database follows the versions
// (a poll, and a sync before each Admin API answer), and a restart finds them again.
//
// authplane.yaml stays the starting point: it is generation 1. A change made through the API wins until the
// config's own settings for that service are edited: each version remembers a fingerprint of the config it
// was made over, and a version made over other config settings is set aside (the newer edit wins).

import { createHash } from 'node:crypto';
import type { ServiceConfig } from '../config/types.js';
import { freshRead } from '../lib/fresh-read.js';
import type { Platform } from '../platform.js';
import type { ServiceSettings, ServiceVersionRecord, Store } from '../store/store.js';
import type { ServiceDirectory } from './directory.js';

/** Where a service's settings stand: its generation (Knative metadata.generation) and the last change. */
export interface ServiceState {
  generation: number;
  /** The version in effect; undefined while the service runs as declared. */
  applied?: ServiceVersionRecord;
}

export type ChangeResult = { ok: true; state: ServiceState } | { ok: false; current: ServiceState };

/** What the follower reads and writes (the store; in a front-door worker, the primary answering for it). */
export type ServiceVersionStore = Pick<Store, 'latestServiceVersions' | 'appendServiceVersion'>;

export class ServiceSettingsFollower {
  /** The newest stored version per service, applied or set aside. */
  private readonly latest = new Map<string, ServiceVersionRecord>();
  private timer: NodeJS.Timeout | undefined;
  /** Told of a change made here before it is answered (front-door workers apply it through these). */
  private readonly observers: (() => Promise<void>)[] = [];

  constructor(
    private readonly store: ServiceVersionStore,
    private readonly directory: ServiceDirectory,
    private readonly clock: () => number,
  ) {}

  /** Follows other processes' changes every `intervalMs` (after a first sync). */
  async start(intervalMs = 500): Promise<void> {
    await this.sync();
    this.timer = setInterval(() => void this.sync().catch((e: unknown) => console.error('authplane: reading service settings:', e)), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** `fn` runs after each change made here and before it is answered, so whoever it tells acts on it first. */
  observe(fn: () => Promise<void>): void {
    this.observers.push(fn);
  }

  /** Reads the newest version of every service and applies what changed, in a read that starts after the call. */
  sync(): Promise<void> {
    return this.pull();
  }

  private readonly pull = freshRead(async () => {
    for (const v of await this.store.latestServiceVersions()) this.take(v);
  });

  /** The settings, generation and last change of `name` (a declared service). */
  state(name: string): ServiceState {
    const v = this.latest.get(name);
    if (!v) return { generation: 1 };
    return this.inEffect(v) ? { generation: v.generation, applied: v } : { generation: v.generation };
  }

  /** The settings `name` runs with now. */
  settings(name: string): ServiceSettings {
    return settingsOf(this.directory.get(name)!.config);
  }

  /**
   * Changes `name`'s settings on behalf of `modifier`, if its generation is still `expectedGeneration`
   * (the one the caller read); the change applies at once here and within a poll everywhere else.
   */
  async change(name: string, settings: ServiceSettings, expectedGeneration: number, modifier: string): Promise<ChangeResult> {
    await this.sync();
    const current = this.state(name);
    if (current.generation !== expectedGeneration) return { ok: false, current };
    const version: ServiceVersionRecord = {
      service: name,
      generation: expectedGeneration + 1,
      settings: { ingress: settings.ingress, invokerIamCheck: settings.invokerIamCheck, customAudiences: [...settings.customAudiences], timeoutMs: settings.timeoutMs ?? this.settings(name).timeoutMs },
      configFingerprint: fingerprint(this.directory.declaredConfig(name)!),
      modifier,
      createdAt: this.clock(),
    };
    if (!(await this.store.appendServiceVersion(version))) {
      await this.sync();
      return { ok: false, current: this.state(name) };
    }
    this.take(version);
    await Promise.all(this.observers.map((o) => o().catch(() => undefined)));
    return { ok: true, state: this.state(name) };
  }

  private take(v: ServiceVersionRecord): void {
    const declared = this.directory.declaredConfig(v.service);
    if (!declared) return; // a service no longer in authplane.yaml
    const known = this.latest.get(v.service);
    if (known && known.generation >= v.generation) return;
    this.latest.set(v.service, v);
    this.directory.applySettings(v.service, this.inEffect(v) ? v.settings : null);
  }

  private inEffect(v: ServiceVersionRecord): boolean {
    const declared = this.directory.declaredConfig(v.service);
    return declared !== undefined && v.configFingerprint === fingerprint(declared);
  }
}

/** The settings the Admin API may change, as a service config holds them. */
export function settingsOf(config: ServiceConfig): ServiceSettings {
  return { ingress: config.ingress, invokerIamCheck: config.invokerIamCheck, customAudiences: [...config.customAudiences], timeoutMs: config.timeout };
}

/** Identifies the declared settings a change was made over. */
function fingerprint(declared: ServiceConfig): string {
  return createHash('sha256').update(JSON.stringify(settingsOf(declared))).digest('hex').slice(0, 16);
}

// One follower per platform, shared by the Admin API's routes and the Cloud Run product that starts it.
const followers = new WeakMap<Platform, ServiceSettingsFollower>();

export function serviceSettingsFor(platform: Platform): ServiceSettingsFollower {
  let f = followers.get(platform);
  if (!f) {
    f = new ServiceSettingsFollower(platform.store, platform.directory, platform.clock);
    followers.set(platform, f);
  }
  return f;
}

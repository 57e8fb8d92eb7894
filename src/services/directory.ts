// The service directory: every service's URLs (the audiences it accepts) and where its front door
// listens on this machine. Core, not a product: Cloud Tasks and the gateway resolve real-looking URLs
// (https://update-123456789012.us-central1.run.app/…) to front doors through it, as DNS would.

import { createHash } from 'node:crypto';
import type { AuthplaneConfig, ServiceConfig } from '../config/types.js';
import { hostPort } from '../lib/host-port.js';
import type { ServiceSettings } from '../store/store.js';

export interface ServiceUrls {
  /** https://NAME-NUMBER.REGION.run.app (when the label fits in 63 characters). */
  deterministic?: string;
  /** https://NAME-HASH-RC.a.run.app */
  hashed: string;
  /** https://REGION-PROJECT.cloudfunctions.net/FUNCTION, when declared. */
  functions?: string;
  /** http://127.0.0.1:PORT, once the front door listens. */
  local?: string;
}

export interface ServiceEntry {
  /** The service as it runs now: the config, with settings changed through the Admin API applied (services/settings.ts). */
  config: ServiceConfig;
  urls: ServiceUrls;
  /** Every audience the service accepts: its URLs plus customAudiences. */
  audiences: string[];
  /** The front door's address, once it listens. */
  frontDoor?: { host: string; port: number };
}

export interface Resolved {
  service: ServiceEntry;
  /** The URL to call on this machine (front door + the original path and query). */
  localUrl: string;
}

/** Google's short region codes in hash-style URLs: the initials of the region's words (us-central1 → uc). */
export function regionCode(region: string): string {
  return region
    .replace(/\d+$/, '')
    .split('-')
    .map((w) => w[0])
    .join('');
}

export function serviceUrls(config: AuthplaneConfig, svc: ServiceConfig): ServiceUrls {
  const { id, number, region } = config.project;
  const hash = createHash('sha256').update(`${id}/${svc.name}`).digest('hex');
  // Google's hashes are 10 lowercase base36 characters.
  const h10 = BigInt('0x' + hash.slice(0, 16)).toString(36).padStart(10, 'a').slice(0, 10);
  const label = `${svc.name}-${number}`;
  return {
    ...(label.length <= 63 ? { deterministic: `https://${label}.${region}.run.app` } : {}),
    hashed: `https://${svc.name}-${h10}-${regionCode(region)}.a.run.app`,
    ...(svc.functionName ? { functions: `https://${region}-${id}.cloudfunctions.net/${svc.functionName}` } : {}),
  };
}

/**
 * The service's one revision, named as Cloud Run names revisions (SERVICE-00001-abc: the service, the
 * generation, three letters): the Admin API's latestReadyRevision, K_REVISION, and the revision_name
 * label of its request logs.
 */
export function revisionName(config: AuthplaneConfig, serviceName: string): string {
  const digest = createHash('sha256').update(`projects/${config.project.id}/locations/${config.project.region}/services/${serviceName}`).digest();
  // Three lower-case letters, as in recorded names (update-00416-coy).
  const letters = [...digest.subarray(0, 3)].map((b) => String.fromCharCode(97 + (b % 26))).join('');
  return `${serviceName}-00001-${letters}`;
}

export class ServiceDirectory {
  private readonly byName = new Map<string, ServiceEntry>();
  private readonly byHost = new Map<string, ServiceEntry>();
  /** Functions share one host per region and project: `host/FUNCTION` → the service. */
  private readonly byFunction = new Map<string, ServiceEntry>();
  /** Each service as authplane.yaml declares it, before any change through the Admin API. */
  private readonly declared = new Map<string, ServiceConfig>();

  constructor(readonly config: AuthplaneConfig) {
    for (const svc of config.services) {
      const urls = serviceUrls(config, svc);
      const entry: ServiceEntry = { config: svc, urls, audiences: [] };
      this.byName.set(svc.name, entry);
      this.declared.set(svc.name, svc);
      for (const u of [urls.deterministic, urls.hashed]) if (u) this.byHost.set(new URL(u).host, entry);
      // A custom domain routes to the service like its run.app URLs (it is an audience only if listed in customAudiences).
      for (const host of svc.domains) this.byHost.set(host, entry);
      if (urls.functions) {
        const f = new URL(urls.functions);
        this.byFunction.set(`${f.host}${f.pathname}`, entry);
      }
      this.refreshAudiences(entry);
    }
  }

  /** The service a URL's host (and, on a functions host, its first path segment) names. */
  private byUrl(u: URL): ServiceEntry | undefined {
    const direct = this.byHost.get(u.host);
    if (direct !== undefined || this.byFunction.size === 0) return direct;
    const fn = /^\/[^/]+/.exec(u.pathname)?.[0];
    return fn === undefined ? undefined : this.byFunction.get(`${u.host}${fn}`);
  }

  private refreshAudiences(entry: ServiceEntry): void {
    const { urls } = entry;
    entry.audiences = [urls.deterministic, urls.hashed, urls.functions, urls.local, ...entry.config.customAudiences].filter((u): u is string => !!u);
  }

  /** Called by the front door once it listens. */
  setFrontDoor(name: string, host: string, port: number): void {
    const entry = this.byName.get(name);
    if (!entry) throw new Error(`unknown service ${name}`);
    entry.frontDoor = { host, port };
    const local = hostPort(host, port);
    entry.urls.local = `http://${local}`;
    this.byHost.set(local, entry);
    this.byHost.set(`localhost:${port}`, entry);
    this.refreshAudiences(entry);
  }

  get(name: string): ServiceEntry | undefined {
    return this.byName.get(name);
  }

  /** The service as authplane.yaml declares it (undefined for an unknown name). */
  declaredConfig(name: string): ServiceConfig | undefined {
    return this.declared.get(name);
  }

  /**
   * Runs `name` with `settings` from now on (ingress, invoker check, custom audiences changed through the
   * Admin API), or as declared again when null. Readers see the new config object at once: the admission
   * decision reads `entry.config` and `entry.audiences` on every request.
   */
  applySettings(name: string, settings: ServiceSettings | null): void {
    const entry = this.byName.get(name);
    const declared = this.declared.get(name);
    if (!entry || !declared) throw new Error(`unknown service ${name}`);
    entry.config =
      settings === null
        ? declared
        : { ...declared, ingress: settings.ingress, invokerIamCheck: settings.invokerIamCheck, customAudiences: [...settings.customAudiences], timeout: settings.timeoutMs ?? declared.timeout };
    this.refreshAudiences(entry);
  }

  all(): ServiceEntry[] {
    return [...this.byName.values()];
  }

  /** The service whose URL `url` points at, or undefined (an outside URL). */
  lookup(url: string | URL): ServiceEntry | undefined {
    const u = typeof url === 'string' ? safeUrl(url) : url;
    return u ? this.byUrl(u) : undefined;
  }

  /** Maps a service URL to its front door on this machine; undefined for outside URLs. */
  resolve(url: string): Resolved | undefined {
    const u = safeUrl(url);
    if (!u) return undefined;
    const service = this.byUrl(u);
    if (!service?.frontDoor) return undefined;
    const { host, port } = service.frontDoor;
    return { service, localUrl: `http://${hostPort(host, port)}${u.pathname}${u.search}` };
  }

  /** The service (if any) whose accepted audiences include `aud` (for "another service's URL" hints). */
  serviceForAudience(aud: string): ServiceEntry | undefined {
    const norm = aud.replace(/\/$/, '');
    return this.all().find((s) => s.audiences.some((a) => a.replace(/\/$/, '') === norm));
  }
}

function safeUrl(s: string): URL | undefined {
  try {
    return new URL(s);
  } catch {
    return undefined;
  }
}

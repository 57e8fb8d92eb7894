// What the mappings from request-log entries to LogEntries need to know about the project, kept as plain
// data so each mapping is a pure function that tests can feed with constructed entries.

import type { Platform } from '../platform.js';
import type { LogEntry } from './log-entry.js';
import { revisionName } from '../services/directory.js';

export interface ServiceView {
  /** The revision_name label (SERVICE-00001-abc). */
  revision: string;
  /** The URL Google would show for a request that reached the front door by its local address. */
  canonicalUrl: string;
  /** Hosts clients may use for it on Google: its run.app URLs, its functions URL, its custom domains. */
  publicHosts: ReadonlySet<string>;
  /** Where its front door listens (httpRequest.serverIp). */
  serverIp?: string;
}

export interface EntryContext {
  projectId: string;
  projectNumber: string;
  region: string;
  service(name: string): ServiceView | undefined;
}

/** A LogEntry with its timestamp in nanoseconds, for ordering. */
export interface TimedEntry<E = LogEntry> {
  readonly entry: E;
  readonly at: bigint;
}

export function entryContextFor(platform: Platform): EntryContext {
  const { config, directory } = platform;
  const views = new Map<string, ServiceView | undefined>();
  return {
    projectId: config.project.id,
    projectNumber: config.project.number,
    region: config.project.region,
    service(name) {
      if (views.has(name)) return views.get(name);
      const s = directory.get(name);
      const view: ServiceView | undefined = s && {
        revision: revisionName(config, name),
        canonicalUrl: s.urls.deterministic ?? s.urls.hashed,
        publicHosts: new Set([s.urls.deterministic, s.urls.hashed, s.urls.functions].filter((u): u is string => !!u).map((u) => new URL(u).host).concat(s.config.domains)),
        ...(s.frontDoor ? { serverIp: s.frontDoor.host } : {}),
      };
      views.set(name, view);
      return view;
    },
  };
}

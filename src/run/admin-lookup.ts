// What every Cloud Run Admin API route (v1, Knative v1, v2) resolves first: the project (its ID or number,
// as on Google), the region, the service, and the service's current view with its settings as stored.

import { apiRefusal, notFound } from '../apis/errors.js';
import type { Platform } from '../platform.js';
import type { ServiceEntry } from '../services/directory.js';
import { serviceSettingsFor } from '../services/settings.js';
import { serviceView, type ServiceView } from './service-view.js';

export const RUN_DOMAIN = 'run.googleapis.com';

export interface AdminLookup {
  /** Throws PROJECT_NOT_EMULATED unless `project` is the emulated project's ID or number. */
  project(project: string): void;
  /** Throws NOT_FOUND unless `location` is the emulated region (or '-' where the API allows all). */
  location(project: string, location: string, allowAll: boolean): void;
  /** The service `name` in `region`, or Google's NOT_FOUND. */
  service(name: string, region?: string): ServiceEntry;
  /** The service as the Admin API describes it now, after following changes made by any process. */
  view(entry: ServiceEntry): Promise<ServiceView>;
}

const lookups = new WeakMap<Platform, AdminLookup>();

export function adminLookup(platform: Platform): AdminLookup {
  let l = lookups.get(platform);
  if (l) return l;
  const { project: p } = platform.config;
  // When this emulator started serving its services: their createTime / creationTimestamp.
  const createTime = new Date(platform.clock()).toISOString();
  const settings = serviceSettingsFor(platform);
  l = {
    project(project) {
      if (project === p.id || project === p.number) return;
      throw apiRefusal('PROJECT_NOT_EMULATED', { project, emulated: p.id, emulatedNumber: p.number, errorMetadata: { consumer: `projects/${project}`, service: RUN_DOMAIN } });
    },
    location(project, location, allowAll) {
      this.project(project);
      if (location === p.region || (allowAll && location === '-')) return;
      throw notFound(`Location ${location} is not available for project ${p.id}; this emulator's services are in ${p.region}.`, `projects/${project}/locations/${location}`);
    },
    service(name, region = p.region) {
      const entry = region === p.region ? platform.directory.get(name) : undefined;
      // Google's words (v2 GetService of a missing service).
      if (!entry) throw notFound(`Resource '${name}' of kind 'SERVICE' in region '${region}' in project '${p.id}' does not exist.`, `projects/${p.id}/locations/${region}/services/${name}`);
      return entry;
    },
    async view(entry) {
      await settings.sync();
      return serviceView(platform, entry, settings.state(entry.config.name), createTime);
    },
  };
  lookups.set(platform, l);
  return l;
}

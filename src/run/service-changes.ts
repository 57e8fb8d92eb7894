// Changing a service through the Cloud Run Admin API (v1 replaceService, v2 UpdateService): the one path
// both take. The new settings are stored as the service's next generation (services/settings.ts) and apply
// at once to the admission decision here, and within a poll in every other process on the same database.

import { apiRefusal } from '../apis/errors.js';
import type { Platform } from '../platform.js';
import type { ServiceSettings } from '../store/store.js';
import { serviceSettingsFor, type ServiceState } from '../services/settings.js';
import { canonical } from './knative.js';

export interface ServiceChange {
  name: string;
  settings: ServiceSettings;
  /** The generation the caller read (its resourceVersion or etag stood for it); undefined = the current one. */
  basedOn?: number;
  /** Who changes it (IAM member), for serving.knative.dev/lastModifier. */
  modifier: string;
  /** Google's words when `basedOn` is stale (the v1 and v2 APIs word it differently). */
  conflictMessage: string;
}

/** Applies `change`, or refuses it with CONCURRENT_CHANGE when the service moved on since it was read. */
export async function changeService(platform: Platform, change: ServiceChange): Promise<ServiceState> {
  const settings = serviceSettingsFor(platform);
  await settings.sync();
  const before = settings.state(change.name);
  const expected = change.basedOn ?? before.generation;
  // A replace that changes nothing leaves the generation as it is (Knative does not bump it).
  if (expected === before.generation && canonical(change.settings) === canonical(settings.settings(change.name))) return before;
  const result = await settings.change(change.name, change.settings, expected, change.modifier);
  if (result.ok) return result.state;
  throw apiRefusal('CONCURRENT_CHANGE', {
    message: change.conflictMessage,
    resource: `service ${change.name}`,
    sent: `generation ${expected}`,
    current: `generation ${result.current.generation}`,
  });
}

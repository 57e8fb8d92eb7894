// Google resource names (projects/P/locations/L/COLLECTION/ID…) as the Cloud Tasks and Cloud Scheduler APIs
// read them: the shape, Google's words when it is wrong, and the one project this emulator hosts.

import { apiRefusal, invalidArgument } from './errors.js';

const PROJECT_ID = /^[A-Za-z0-9:.-]+$/;
const LOCATION_ID = /^[A-Za-z0-9-]+$/;

export interface LocationName {
  project: string;
  location: string;
}

export const locationName = (l: LocationName) => `projects/${l.project}/locations/${l.location}`;

/**
 * The segments of `name`, which must read `keys[0]/X/keys[1]/Y…` for exactly `n` pairs; `shape` is how Google
 * spells the form in its error.
 */
export function nameParts(name: unknown, field: string, shape: string, keys: readonly string[], n: number): string[] {
  if (typeof name !== 'string' || name === '') throw invalidArgument(`${field} is required and must be of the form ${shape}.`, field);
  const p = name.split('/');
  if (p.length !== n * 2 || p.some((s, i) => (i % 2 === 0 ? s !== keys[i / 2] : s === ''))) {
    throw invalidArgument(`Invalid resource field value in the request. ${field} "${name}" must be of the form ${shape}.`, field);
  }
  return p;
}

export function parseLocation(name: unknown, field = 'parent'): LocationName {
  const p = nameParts(name, field, 'projects/PROJECT_ID/locations/LOCATION_ID', ['projects', 'locations'], 2);
  const out = { project: p[1]!, location: p[3]! };
  if (!PROJECT_ID.test(out.project) || !LOCATION_ID.test(out.location)) throw invalidArgument(`Invalid resource field value in the request. ${field} "${String(name)}" is not a valid location name.`, field);
  return out;
}

/** The emulator hosts one project, known by its ID or number; other projects look like Google's "no access". */
export function checkProject(loc: { project: string }, projectId: string, projectNumber: string, service: string): void {
  if (loc.project === projectId || loc.project === projectNumber) return;
  throw apiRefusal('PROJECT_NOT_EMULATED', {
    project: loc.project,
    emulated: projectId,
    emulatedNumber: projectNumber,
    errorMetadata: { consumer: `projects/${loc.project}`, service },
  });
}

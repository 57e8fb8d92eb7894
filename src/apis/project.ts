// The emulated project as resource names spell it: its ID or its number. Any other project is one the
// caller cannot see, and Google answers that with 403 "Permission denied on resource project P."
// (Cloud Tasks has the same check for locations in tasks/names.ts; Pub/Sub names have no location.)

import { apiRefusal } from './errors.js';

/** Throws PROJECT_NOT_EMULATED unless `project` is the emulated project's ID or number. `api` is the refusing API. */
export function checkProject(project: string, emulated: { id: string; number: string }, api: string): void {
  if (project === emulated.id || project === emulated.number) return;
  throw apiRefusal('PROJECT_NOT_EMULATED', {
    project,
    emulated: emulated.id,
    emulatedNumber: emulated.number,
    errorMetadata: { consumer: `projects/${project}`, service: api },
  });
}

// Cloud Scheduler resource names: projects/P/locations/L/jobs/J, with Google's ID rules (job.proto).

import { invalidArgument } from '../apis/errors.js';
import { checkProject as checkProjectOf, locationName, nameParts, parseLocation, type LocationName } from '../apis/resource-names.js';

export { locationName, parseLocation, type LocationName };

const JOB_ID = /^[A-Za-z0-9_-]{1,500}$/;

export interface JobName extends LocationName {
  job: string;
}

export const jobName = (j: JobName) => `${locationName(j)}/jobs/${j.job}`;

export function parseJob(name: unknown, field = 'name'): JobName {
  const p = nameParts(name, field, 'projects/PROJECT_ID/locations/LOCATION_ID/jobs/JOB_ID', ['projects', 'locations', 'jobs'], 3);
  const loc = parseLocation(p.slice(0, 4).join('/'), field);
  const job = p[5]!;
  if (!JOB_ID.test(job)) {
    throw invalidArgument(
      `Invalid resource field value in the request. Job ID "${job.length > 60 ? job.slice(0, 60) + '…' : job}" is invalid: JOB_ID can contain only letters ([A-Za-z]), numbers ([0-9]), hyphens (-), or underscores (_). The maximum length is 500 characters.`,
      field,
    );
  }
  // Not `{ ...loc, job }`: on every call (docs/performance.md, "Object literals that begin with a spread").
  return { project: loc.project, location: loc.location, job };
}

/** The emulator hosts one project, known by its ID or number. */
export const checkProject = (loc: LocationName, projectId: string, projectNumber: string): void => checkProjectOf(loc, projectId, projectNumber, 'cloudscheduler.googleapis.com');

// OAuth scopes, enforced as Google's APIs do: an access token carries the scopes it was minted with, and an
// API refuses a token without one of the scopes it accepts with 403 ACCESS_TOKEN_SCOPE_INSUFFICIENT
// (REFERENCE §13). Every Google Cloud API accepts cloud-platform; some accept narrower scopes too (the
// "OAuth scopes" section of each API's reference, e.g. https://cloud.google.com/tasks/docs/reference/rest/v2/projects.locations.queues.tasks/create).

const AUTH = 'https://www.googleapis.com/auth/';
const CLOUD_PLATFORM = `${AUTH}cloud-platform`;
const READ_ONLY = `${AUTH}cloud-platform.read-only`;

/** Scopes each API accepts, besides cloud-platform; `read` ones only for GET (and List/Get RPCs). */
const API_SCOPES: Readonly<Record<string, { any?: readonly string[]; read?: readonly string[] }>> = {
  'iamcredentials.googleapis.com': { any: [`${AUTH}iam`] },
  'iam.googleapis.com': { any: [`${AUTH}iam`], read: [READ_ONLY] },
  'cloudtasks.googleapis.com': { any: [`${AUTH}cloud-tasks`] },
  'run.googleapis.com': { read: [READ_ONLY] },
  'cloudresourcemanager.googleapis.com': { read: [READ_ONLY] },
  'iap.googleapis.com': {},
  'logging.googleapis.com': { any: [`${AUTH}logging.admin`], read: [READ_ONLY, `${AUTH}logging.read`] },
  'cloudscheduler.googleapis.com': {},
  'pubsub.googleapis.com': { any: [`${AUTH}pubsub`] },
  // authplane's own admin API is a Google-style API of the project.
  'authplane.admin': { read: [READ_ONLY] },
};

/** The scopes `api` accepts for a read (GET, List/Get) or another call; undefined for APIs outside the table. */
export function acceptedScopes(api: string, read: boolean): string[] | undefined {
  const spec = API_SCOPES[api];
  if (spec === undefined) return undefined;
  return [CLOUD_PLATFORM, ...(spec.any ?? []), ...(read ? (spec.read ?? []) : [])];
}

/** Whether `granted` holds one of the scopes `api` accepts. */
export function hasScope(granted: readonly string[], api: string, read: boolean): { ok: true } | { ok: false; accepted: string[] } {
  const accepted = acceptedScopes(api, read);
  if (accepted === undefined || granted.some((s) => accepted.includes(s))) return { ok: true };
  return { ok: false, accepted };
}

// Roles → permissions: the subset of Google's catalog that the serverless auth plane touches.
// Permission names are Google's; a role grants exactly what it grants on Google for these services.

const RUN_INVOKE = ['run.routes.invoke'];
const RUN_READ = ['run.services.get', 'run.services.list', 'run.services.getIamPolicy', 'run.locations.list', 'run.revisions.get', 'run.revisions.list', 'run.operations.get'];
const RUN_WRITE = ['run.services.create', 'run.services.update', 'run.services.delete', 'run.services.setIamPolicy'];
const SA_TOKEN = [
  'iam.serviceAccounts.getAccessToken',
  'iam.serviceAccounts.getOpenIdToken',
  'iam.serviceAccounts.signJwt',
  'iam.serviceAccounts.signBlob',
  'iam.serviceAccounts.implicitDelegation',
  'iam.serviceAccounts.get',
  'iam.serviceAccounts.list',
];
const SA_USER = ['iam.serviceAccounts.actAs', 'iam.serviceAccounts.get', 'iam.serviceAccounts.list'];
const SA_READ = ['iam.serviceAccounts.get', 'iam.serviceAccounts.list', 'iam.serviceAccounts.getIamPolicy'];
const SA_ADMIN = [...SA_READ, 'iam.serviceAccounts.create', 'iam.serviceAccounts.update', 'iam.serviceAccounts.delete', 'iam.serviceAccounts.setIamPolicy'];
// Service-account keys (IAM API projects.serviceAccounts.keys): roles/editor holds them on Google.
const SA_KEYS = ['iam.serviceAccountKeys.create', 'iam.serviceAccountKeys.get', 'iam.serviceAccountKeys.list', 'iam.serviceAccountKeys.delete'];
const IAP_ACCESS = ['iap.webServiceVersions.accessViaIAP'];
const IAP_ADMIN = ['iap.web.getIamPolicy', 'iap.web.setIamPolicy', 'iap.webServices.getIamPolicy', 'iap.webServices.setIamPolicy'];
const TASKS_READ = ['cloudtasks.locations.get', 'cloudtasks.locations.list', 'cloudtasks.queues.get', 'cloudtasks.queues.list', 'cloudtasks.tasks.get', 'cloudtasks.tasks.list'];
const TASKS_ENQUEUE = ['cloudtasks.tasks.create'];
const TASKS_ADMIN = [
  ...TASKS_READ,
  ...TASKS_ENQUEUE,
  'cloudtasks.queues.create',
  'cloudtasks.queues.update',
  'cloudtasks.queues.delete',
  'cloudtasks.queues.purge',
  'cloudtasks.queues.pause',
  'cloudtasks.queues.resume',
  'cloudtasks.queues.getIamPolicy',
  'cloudtasks.queues.setIamPolicy',
  'cloudtasks.tasks.delete',
  'cloudtasks.tasks.run',
];
// Cloud Scheduler (https://cloud.google.com/iam/docs/roles-permissions/cloudscheduler): jobs have no IAM policy
// of their own; these are granted on the project.
const SCHEDULER_READ = ['cloudscheduler.jobs.get', 'cloudscheduler.jobs.list', 'cloudscheduler.locations.get', 'cloudscheduler.locations.list'];
const SCHEDULER_ADMIN = [
  ...SCHEDULER_READ,
  'cloudscheduler.jobs.create',
  'cloudscheduler.jobs.update',
  'cloudscheduler.jobs.delete',
  'cloudscheduler.jobs.pause',
  'cloudscheduler.jobs.enable',
  'cloudscheduler.jobs.run',
  'cloudscheduler.jobs.fullView',
];
// Pub/Sub (https://cloud.google.com/pubsub/docs/access-control): snapshots and schemas are not emulated,
// so only topic and subscription permissions are listed.
const PUBSUB_READ = ['pubsub.topics.get', 'pubsub.topics.list', 'pubsub.subscriptions.get', 'pubsub.subscriptions.list'];
const PUBSUB_PUBLISH = ['pubsub.topics.publish'];
const PUBSUB_CONSUME = ['pubsub.subscriptions.consume', 'pubsub.topics.attachSubscription'];
const PUBSUB_EDIT = [
  ...PUBSUB_READ,
  ...PUBSUB_PUBLISH,
  ...PUBSUB_CONSUME,
  'pubsub.topics.create',
  'pubsub.topics.update',
  'pubsub.topics.delete',
  'pubsub.topics.detachSubscription',
  'pubsub.subscriptions.create',
  'pubsub.subscriptions.update',
  'pubsub.subscriptions.delete',
];
const PUBSUB_IAM = ['pubsub.topics.getIamPolicy', 'pubsub.topics.setIamPolicy', 'pubsub.subscriptions.getIamPolicy', 'pubsub.subscriptions.setIamPolicy'];
const PROJECT_READ = ['resourcemanager.projects.get', 'resourcemanager.projects.getIamPolicy'];
// Cloud Logging reads (entries.list, and authplane's request log).
const LOGS_READ = ['logging.logEntries.list', 'logging.logs.list'];

const VIEWER = [...PROJECT_READ, ...RUN_READ, ...SA_READ, ...TASKS_READ, ...SCHEDULER_READ, ...LOGS_READ, ...PUBSUB_READ];
// Editor holds actAs and invoke on Google too: that is why "editor can do everything but IAM" surprises people.
const EDITOR = [
  ...VIEWER,
  ...RUN_INVOKE,
  'run.services.create',
  'run.services.update',
  'run.services.delete',
  'iam.serviceAccounts.actAs',
  'iam.serviceAccounts.create',
  'iam.serviceAccounts.update',
  'iam.serviceAccounts.delete',
  ...SA_KEYS,
  ...TASKS_ADMIN.filter((p) => !p.endsWith('IamPolicy')),
  ...SCHEDULER_ADMIN,
  ...PUBSUB_EDIT,
];
const OWNER = [
  ...EDITOR,
  'resourcemanager.projects.setIamPolicy',
  'run.services.setIamPolicy',
  'iam.serviceAccounts.setIamPolicy',
  'cloudtasks.queues.getIamPolicy',
  'cloudtasks.queues.setIamPolicy',
  ...IAP_ADMIN,
  ...PUBSUB_IAM,
];

export const ROLES: Readonly<Record<string, readonly string[]>> = {
  'roles/owner': OWNER,
  'roles/editor': EDITOR,
  'roles/viewer': VIEWER,
  'roles/run.invoker': RUN_INVOKE,
  'roles/run.admin': [...RUN_INVOKE, ...RUN_READ, ...RUN_WRITE],
  'roles/run.developer': [...RUN_READ, 'run.services.create', 'run.services.update', 'run.services.delete'],
  'roles/run.viewer': RUN_READ,
  'roles/iam.serviceAccountTokenCreator': SA_TOKEN,
  'roles/iam.serviceAccountUser': SA_USER,
  'roles/iam.workloadIdentityUser': ['iam.serviceAccounts.getAccessToken', 'iam.serviceAccounts.getOpenIdToken'],
  'roles/iam.serviceAccountAdmin': SA_ADMIN,
  'roles/iam.serviceAccountKeyAdmin': [...SA_KEYS, 'iam.serviceAccounts.get', 'iam.serviceAccounts.list'],
  'roles/iap.httpsResourceAccessor': IAP_ACCESS,
  'roles/iap.admin': IAP_ADMIN,
  'roles/logging.viewer': LOGS_READ,
  'roles/cloudtasks.enqueuer': TASKS_ENQUEUE,
  'roles/cloudtasks.viewer': TASKS_READ,
  'roles/cloudtasks.admin': TASKS_ADMIN,
  'roles/cloudtasks.taskRunner': ['cloudtasks.tasks.run'],
  'roles/cloudtasks.taskDeleter': ['cloudtasks.tasks.delete'],
  'roles/cloudscheduler.viewer': SCHEDULER_READ,
  'roles/cloudscheduler.admin': SCHEDULER_ADMIN,
  'roles/cloudscheduler.jobRunner': ['cloudscheduler.jobs.run', 'cloudscheduler.jobs.get', 'cloudscheduler.jobs.list'],
  // The service agent mints the tokens of jobs (authplane's model of it: REFERENCE §10, docs/scheduler.md).
  'roles/cloudscheduler.serviceAgent': ['iam.serviceAccounts.getOpenIdToken', 'iam.serviceAccounts.getAccessToken', 'iam.serviceAccounts.actAs'],
  'roles/pubsub.publisher': PUBSUB_PUBLISH,
  'roles/pubsub.subscriber': PUBSUB_CONSUME,
  'roles/pubsub.viewer': [...PUBSUB_READ, 'resourcemanager.projects.get'],
  'roles/pubsub.editor': [...PUBSUB_EDIT, 'resourcemanager.projects.get'],
  'roles/pubsub.admin': [...PUBSUB_EDIT, ...PUBSUB_IAM, 'resourcemanager.projects.get'],
  'roles/cloudtasks.queueAdmin': TASKS_ADMIN.filter((p) => !p.startsWith('cloudtasks.tasks.') || p === 'cloudtasks.tasks.list'),
};

const ROLE_SETS = new Map(Object.entries(ROLES).map(([role, perms]) => [role, new Set(perms)]));

export function isKnownRole(role: string): boolean {
  return ROLE_SETS.has(role);
}

export function roleGrants(role: string, permission: string): boolean {
  return ROLE_SETS.get(role)?.has(permission) ?? false;
}

const GRANTING = new Map<string, readonly string[]>();

/** Roles that grant `permission`, narrowest first: what a remedy should suggest. Memoized: every IAM check asks. */
export function rolesGranting(permission: string): readonly string[] {
  let roles = GRANTING.get(permission);
  if (roles === undefined) {
    roles = Object.freeze(
      [...ROLE_SETS.entries()]
        .filter(([, perms]) => perms.has(permission))
        .sort((a, b) => a[1].size - b[1].size)
        .map(([role]) => role),
    );
    GRANTING.set(permission, roles);
  }
  return roles;
}

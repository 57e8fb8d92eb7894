// IAM policies of the core's own resources: the project (Resource Manager v1/v3) and service
// accounts (IAM v1), at Google's paths; and service accounts' get and list.

import { projectResource, serviceAccountResource } from '../iam/resources.js';
import { isServiceAgent } from '../iam/service-agents.js';
import type { Platform } from '../platform.js';
import { alreadyExists, invalidArgument, notFound } from './errors.js';
import { decodeJson, descriptor } from './proto.js';
import { queryToJson } from './proto-json.js';
import { iamPolicyRoutes } from './iam-policy.js';
import type { ApiRequest, Router } from './router.js';

export function platformPolicyRoutes(router: Router, platform: Platform): void {
  const { project } = platform.config;
  const projectKey = (req: ApiRequest) => {
    const p = req.params.project;
    if (p !== project.id && p !== project.number) throw notFound(`Project ${p} not found or permission denied.`, `projects/${p}`);
    return projectResource(project.id);
  };
  const projectSpec = {
    resolve: projectKey,
    getPermission: 'resourcemanager.projects.getIamPolicy',
    setPermission: 'resourcemanager.projects.setIamPolicy',
    permissionPrefixes: ['resourcemanager.', 'run.', 'iam.', 'iap.', 'cloudtasks.', 'logging.'],
  };
  const crm = router.for('cloudresourcemanager.googleapis.com');
  iamPolicyRoutes(crm, platform, '/v1/projects/{project}', projectSpec, { getMethod: 'POST' });
  iamPolicyRoutes(crm, platform, '/v3/projects/{project}', projectSpec, { getMethod: 'POST' });

  // iam.googleapis.com: projects/P/serviceAccounts/EMAIL (P may be '-').
  const iam = router.for('iam.googleapis.com');
  const accountKey = async (req: ApiRequest) => {
    const sa = await platform.identity.findServiceAccount(req.params.account!);
    if (!sa) throw notFound(`Unknown service account`, `projects/${req.params.project}/serviceAccounts/${req.params.account}`);
    return serviceAccountResource(sa.email);
  };
  iamPolicyRoutes(
    iam,
    platform,
    '/v1/projects/{project}/serviceAccounts/{account}',
    { resolve: accountKey, getPermission: 'iam.serviceAccounts.getIamPolicy', setPermission: 'iam.serviceAccounts.setIamPolicy', permissionPrefixes: ['iam.serviceAccounts.'] },
    { getMethod: 'POST', getBody: 'none' },
  );

  const saJson = (sa: { email: string; uniqueId: string; projectId: string; displayName: string; description?: string; disabled: boolean }) => ({
    name: `projects/${sa.projectId}/serviceAccounts/${sa.email}`,
    projectId: sa.projectId,
    uniqueId: sa.uniqueId,
    email: sa.email,
    displayName: sa.displayName,
    ...(sa.description ? { description: sa.description } : {}),
    oauth2ClientId: sa.uniqueId,
    ...(sa.disabled ? { disabled: true } : {}),
  });
  // Query parameters bind the request message's fields (ListServiceAccountsRequest: pageSize, pageToken).
  const admin = (name: string) => descriptor('google-iam-admin-v1.json').lookupType(`google.iam.admin.v1.${name}`);
  const query = (req: ApiRequest, message: string, name: string) => decodeJson(admin(message), { ...queryToJson(admin(message), req.query), name });
  // Service agents (IAP's, Scheduler's, Pub/Sub's) exist and hold roles, but Google does not list them.
  iam.get('/v1/projects/{project}/serviceAccounts', { permission: 'iam.serviceAccounts.list', on: projectKey }, async (req) => {
    query(req, 'ListServiceAccountsRequest', `projects/${req.params.project}`);
    return { body: { accounts: (await platform.identity.listServiceAccounts()).filter((sa) => sa.projectId === project.id && !isServiceAgent(sa.email)).map(saJson) } };
  });
  // projects.serviceAccounts.create (https://cloud.google.com/iam/docs/reference/rest/v1/projects.serviceAccounts/create;
  // iam.proto CreateServiceAccountRequest): account_id 6-30 characters matching [a-z]([-a-z0-9]*[a-z0-9]);
  // of the ServiceAccount only display_name (at most 100 UTF-8 bytes) and description (at most 256) are
  // user-assignable. Kept in the store: it outlives a restart and other processes on PostgreSQL see it; keys,
  // tokens and IAM bindings work for it as for a declared account.
  iam.post('/v1/projects/{project}/serviceAccounts', { permission: 'iam.serviceAccounts.create', on: projectKey }, async (req) => {
    const body = await req.json();
    const r = decodeJson(admin('CreateServiceAccountRequest'), { ...(body !== null && typeof body === 'object' ? (body as Record<string, unknown>) : {}), name: `projects/${req.params.project}` }) as {
      accountId?: string;
      serviceAccount?: { displayName?: string; description?: string; [k: string]: unknown };
    };
    const accountId = r.accountId ?? '';
    if (accountId === '') throw invalidArgument('account_id is required.', 'account_id');
    // Google's words for a bad length (seen in gcloud's output: "The account ID "…" does not have a length between 6 and 30.").
    if (accountId.length < 6 || accountId.length > 30) throw invalidArgument(`The account ID "${accountId}" does not have a length between 6 and 30.`, 'account_id');
    if (!/^[a-z]([-a-z0-9]*[a-z0-9])$/.test(accountId)) throw invalidArgument(`The account ID "${accountId}" must match the regular expression [a-z]([-a-z0-9]*[a-z0-9]).`, 'account_id');
    const { displayName = '', description, ...rest } = r.serviceAccount ?? {};
    const assigned = Object.entries(rest).find(([, v]) => v !== undefined && v !== '' && v !== false);
    if (assigned) throw invalidArgument(`ServiceAccount.${assigned[0]} is not user-assignable: only display_name and description are.`, `service_account.${assigned[0]}`);
    if (Buffer.byteLength(displayName) > 100) throw invalidArgument('The display name must be at most 100 UTF-8 bytes.', 'service_account.display_name');
    if (description !== undefined && Buffer.byteLength(description) > 256) throw invalidArgument('The description must be at most 256 UTF-8 bytes.', 'service_account.description');
    const created = await platform.identity.addServiceAccount(accountId, displayName, description || undefined);
    // Google's 409 (as Terraform and gcloud print it).
    if (!created) throw alreadyExists(`projects/${project.id}/serviceAccounts/${accountId}@${project.id}.iam.gserviceaccount.com`, `Service account ${accountId} already exists within project projects/${project.id}.`);
    return { body: saJson(created) };
  });
  iam.get('/v1/projects/{project}/serviceAccounts/{account}', { permission: 'iam.serviceAccounts.get', on: accountKey }, async (req) => {
    query(req, 'GetServiceAccountRequest', `projects/${req.params.project}/serviceAccounts/${req.params.account}`);
    const sa = await platform.identity.findServiceAccount(req.params.account!);
    if (!sa) throw notFound(`Unknown service account`, `projects/${req.params.project}/serviceAccounts/${req.params.account}`);
    return { body: saJson(sa) };
  });
}

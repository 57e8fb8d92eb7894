// IAM policies of the core's own resources: the project (Resource Manager v1/v3) and service
// accounts (IAM v1), at Google's paths; and service accounts' get and list.

import { projectResource, serviceAccountResource } from '../iam/resources.js';
import { isServiceAgent } from '../iam/service-agents.js';
import type { Platform } from '../platform.js';
import { notFound } from './errors.js';
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

  const saJson = (sa: { email: string; uniqueId: string; projectId: string; displayName: string; disabled: boolean }) => ({
    name: `projects/${sa.projectId}/serviceAccounts/${sa.email}`,
    projectId: sa.projectId,
    uniqueId: sa.uniqueId,
    email: sa.email,
    displayName: sa.displayName,
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
  iam.get('/v1/projects/{project}/serviceAccounts/{account}', { permission: 'iam.serviceAccounts.get', on: accountKey }, async (req) => {
    query(req, 'GetServiceAccountRequest', `projects/${req.params.project}/serviceAccounts/${req.params.account}`);
    const sa = await platform.identity.findServiceAccount(req.params.account!);
    if (!sa) throw notFound(`Unknown service account`, `projects/${req.params.project}/serviceAccounts/${req.params.account}`);
    return { body: saJson(sa) };
  });
}

// IAP's IAM policy REST surface, at Google's resource names (iap.googleapis.com v1):
//   POST /v1/projects/PROJECT/iap_web/cloud_run-REGION/services/SERVICE:getIamPolicy | :setIamPolicy | :testIamPermissions
// PROJECT may be the project ID or number. The internal resource key is iap/SERVICE.

import { failedPrecondition, notFound } from '../apis/errors.js';
import { iamPolicyRoutes } from '../apis/iam-policy.js';
import type { Router } from '../apis/router.js';
import { iapResource } from '../iam/resources.js';
import type { Platform } from '../platform.js';

export function iapPolicyRoutes(router: Router, platform: Platform): void {
  const { id, number, region } = platform.config.project;
  iamPolicyRoutes(
    router.for('iap.googleapis.com'),
    platform,
    '/v1/projects/{project}/iap_web/{web}/services/{service}',
    {
      resolve(req) {
        const { project, web, service } = req.params as { project: string; web: string; service: string };
        if (project !== id && project !== number) throw notFound(`Project ${project} not found (this authplane runs ${id} / ${number}).`, `projects/${project}`);
        if (web !== `cloud_run-${region}`) throw notFound(`Resource iap_web/${web} not found; IAP for Cloud Run here is iap_web/cloud_run-${region}.`, `projects/${project}/iap_web/${web}`);
        const entry = platform.directory.get(service);
        if (!entry) throw notFound(`Service ${service} not found.`, `projects/${project}/iap_web/${web}/services/${service}`);
        if (!entry.config.iap.enabled) {
          throw failedPrecondition(`IAP is not enabled on service ${service}.`, `Set iap: { enabled: true, oauthClientId: … } on service ${service} in authplane.yaml.`);
        }
        return iapResource(service);
      },
      getPermission: 'iap.webServices.getIamPolicy',
      setPermission: 'iap.webServices.setIamPolicy',
      permissionPrefixes: ['iap.'],
    },
    { getMethod: 'POST' },
  );
}

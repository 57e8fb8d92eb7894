// IAP's IAM policy REST surface, at Google's resource names (iap.googleapis.com v1):
//   POST /v1/projects/PROJECT/iap_web/cloud_run-REGION/services/SERVICE:getIamPolicy | :setIamPolicy | :testIamPermissions
// PROJECT may be the project ID or number. The internal resource key is iap/SERVICE.

import { ApiError } from '../apis/errors.js';
import { iamPolicyRoutes } from '../apis/iam-policy.js';
import type { Router } from '../apis/router.js';
import { iapResource } from '../iam/resources.js';
import type { Platform } from '../platform.js';

export function iapPolicyRoutes(router: Router, platform: Platform): void {
  const { id, number, region } = platform.config.project;
  iamPolicyRoutes(
    router,
    platform,
    '/v1/projects/{project}/iap_web/{web}/services/{service}',
    {
      resolve(req) {
        const { project, web, service } = req.params as { project: string; web: string; service: string };
        if (project !== id && project !== number) throw new ApiError('NOT_FOUND', `Project ${project} not found (this authplane runs ${id} / ${number}).`);
        if (web !== `cloud_run-${region}`) throw new ApiError('NOT_FOUND', `Resource iap_web/${web} not found; IAP for Cloud Run here is iap_web/cloud_run-${region}.`);
        const entry = platform.directory.get(service);
        if (!entry) throw new ApiError('NOT_FOUND', `Service ${service} not found.`);
        if (!entry.config.iap.enabled) {
          throw new ApiError('FAILED_PRECONDITION', `IAP is not enabled on service ${service}. Set iap: { enabled: true, oauthClientId: … } on it in authplane.yaml.`);
        }
        return iapResource(service);
      },
      getPermission: 'iap.webServices.getIamPolicy',
      setPermission: 'iap.webServices.setIamPolicy',
      permissionPrefixes: ['iap.'],
      domain: 'iap.googleapis.com',
    },
    { getMethod: 'POST' },
  );
}

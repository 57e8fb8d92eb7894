// authplane's own view of its Cloud Run services (not Google's API), for the dashboard: each service's URLs
// and accepted audiences, ingress, IAP, invoker check, who may invoke it (the members run.routes.invoke is
// granted to by the newest policies), its runtime service account, and its supervised command's state and
// recent output. GET /admin/v1/services.

import type { Router } from '../apis/router.js';
import { projectResource, serviceResource } from '../iam/resources.js';
import type { Platform } from '../platform.js';
import { serviceSettingsFor } from '../services/settings.js';
import type { ProcessStatus } from './supervisor.js';

/** Something that reports a supervised command's state (a Supervisor). */
export interface SupervisedProcess {
  status(): ProcessStatus;
}

// The supervisors of each platform's services, registered as the product starts them.
const processes = new WeakMap<Platform, Map<string, SupervisedProcess>>();

/** Records `proc` as service `name`'s supervised command. */
export function registerProcess(platform: Platform, name: string, proc: SupervisedProcess): void {
  let m = processes.get(platform);
  if (!m) processes.set(platform, (m = new Map()));
  m.set(name, proc);
}

export function serviceStatusRoutes(router: Router, platform: Platform): void {
  const api = router.for('run.googleapis.com');
  api.get('/admin/v1/services', { permission: 'run.services.list', on: () => projectResource(platform.config.project.id), quiet: true }, async () => {
    // Settings changed through the Admin API by any process (ingress, invoker check, audiences), and IAM.
    await Promise.all([platform.iam.sync(), serviceSettingsFor(platform).sync()]);
    const running = processes.get(platform);
    return {
      body: {
        services: platform.directory.all().map((s) => {
          const c = s.config;
          const proc = running?.get(c.name);
          return {
            name: c.name,
            urls: s.urls,
            audiences: s.audiences,
            ingress: c.ingress,
            invokerIamCheck: c.invokerIamCheck,
            iap: c.iap.enabled ? { enabled: true, oauthClientId: c.iap.oauthClientId ?? null } : { enabled: false },
            serviceAccount: c.serviceAccount,
            invokers: c.invokerIamCheck ? platform.iam.membersWith('run.routes.invoke', serviceResource(c.name)) : [{ member: 'allUsers', role: '(invoker check disabled)', resource: serviceResource(c.name) }],
            ...(c.upstream !== undefined ? { upstream: c.upstream } : {}),
            process: proc ? proc.status() : null,
          };
        }),
      },
    };
  });
}

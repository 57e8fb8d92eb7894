// Resource Manager projects.get for the emulated project, v1 and v3 (their IAM methods are in
// platform-policies.ts). `gcloud config set project P` reads v1 (notes: gcloud-wire.md §7) and warns when
// it cannot; client libraries that resolve a project number read v3.
//
//   GET /v1/projects/{projectId}  → {projectNumber, projectId, lifecycleState, name, createTime}
//   GET /v3/projects/{project}    → {name: projects/NUMBER, projectId, state, displayName, createTime, updateTime, etag}
//
// Shapes: https://cloud.google.com/resource-manager/reference/rest/v1/projects and …/v3/projects.
// Another project is one the caller cannot see: Google answers 403 (PROJECT_NOT_EMULATED says why).

import { createHash } from 'node:crypto';
import { projectResource } from '../iam/resources.js';
import type { Platform } from '../platform.js';
import { apiRefusal } from './errors.js';
import type { ApiRequest, Router } from './router.js';

const DOMAIN = 'cloudresourcemanager.googleapis.com';

export function resourceManagerRoutes(router: Router, platform: Platform): void {
  const crm = router.for(DOMAIN);
  const { project } = platform.config;
  const onProject = (req: ApiRequest) => {
    const p = req.params.project!;
    if (p !== project.id && p !== project.number) {
      throw apiRefusal('PROJECT_NOT_EMULATED', { project: p, emulated: project.id, emulatedNumber: project.number, errorMetadata: { consumer: `projects/${p}`, service: DOMAIN } });
    }
    return projectResource(project.id);
  };
  // The project's creation time: the first time this data directory (or database) served it, kept.
  let created: Promise<string> | undefined;
  const createTime = () => (created ??= platform.store.getOrCreateSetting('project-create-time', new Date(platform.clock()).toISOString()));
  const access = { permission: 'resourcemanager.projects.get', on: onProject } as const;

  crm.get('/v1/projects/{project}', access, async () => ({
    body: { projectNumber: project.number, projectId: project.id, lifecycleState: 'ACTIVE', name: project.id, createTime: await createTime() },
  }));

  crm.get('/v3/projects/{project}', access, async () => {
    const time = await createTime();
    return {
      body: {
        name: `projects/${project.number}`,
        projectId: project.id,
        state: 'ACTIVE',
        displayName: project.id,
        createTime: time,
        updateTime: time,
        etag: `W/"${createHash('sha256').update(`${project.id}/${time}`).digest('hex').slice(0, 16)}"`,
      },
    };
  });
}

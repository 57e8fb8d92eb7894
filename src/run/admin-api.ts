// Cloud Run Admin API v2 on the API port, as far as callers of the invoker check need it:
//   GET  /v2/projects/P/locations/L/services            (run.services.list)
//   GET  /v2/projects/P/locations/L/services/S          (run.services.get)
//   S:getIamPolicy / S:setIamPolicy / S:testIamPermissions (resource key services/S)
// P may be the project id or number, as on Google. Services come from the config; they are read-only.

import { createHash } from 'node:crypto';
import { apiRefusal, notFound } from '../apis/errors.js';
import { iamPolicyRoutes } from '../apis/iam-policy.js';
import { decodeJson, descriptor, type Obj } from '../apis/proto.js';
import { queryToJson } from '../apis/proto-json.js';
import type { ApiRequest, Router } from '../apis/router.js';
import type { Platform } from '../platform.js';
import { revisionName, type ServiceEntry } from '../services/directory.js';
import { INGRESS_ENUM } from '../admission/ingress.js';
import { serviceResource } from '../iam/resources.js';

const DOMAIN = 'run.googleapis.com';

export function cloudRunAdminRoutes(router: Router, platform: Platform): void {
  const { config } = platform;
  const started = new Date().toISOString();

  const api = router.for(DOMAIN);
  /** The project's key when the path names this project and region; Google's answers otherwise. */
  const checkLocation = (req: ApiRequest, what: string): string => {
    const { project, location } = req.params;
    if (project !== config.project.id && project !== config.project.number) {
      throw apiRefusal('PROJECT_NOT_EMULATED', { project, emulated: config.project.id, emulatedNumber: config.project.number, permission: what, errorMetadata: { consumer: `projects/${project}`, service: DOMAIN } });
    }
    if (location !== config.project.region && location !== '-') {
      throw notFound(`Location ${location} is not available for project ${config.project.id}; this emulator's services are in ${config.project.region}.`, `projects/${project}/locations/${location}`);
    }
    return `projects/${config.project.id}`;
  };

  const find = (req: ApiRequest, permission: string): ServiceEntry => {
    checkLocation(req, permission);
    const entry = platform.directory.get(req.params.service!);
    if (!entry) {
      throw notFound(
        `Resource '${req.params.service}' of kind 'SERVICE' in region '${config.project.region}' in project '${config.project.id}' does not exist.`,
        `projects/${config.project.id}/locations/${config.project.region}/services/${req.params.service}`,
      );
    }
    return entry;
  };

  const base = '/v2/projects/{project}/locations/{location}/services';

  // Query parameters bind the request message's fields (ListServicesRequest: pageSize, pageToken, showDeleted).
  const run = (name: string) => descriptor('google-cloud-run-v2.json').lookupType(`google.cloud.run.v2.${name}`);
  const query = (req: ApiRequest, message: string, resource: Obj) => decodeJson(run(message), { ...queryToJson(run(message), req.query), ...resource });
  const { id: project, region } = config.project;

  api.get(base, { permission: 'run.services.list', on: (req) => checkLocation(req, 'run.services.list') }, async (req) => {
    query(req, 'ListServicesRequest', { parent: `projects/${project}/locations/${region}` });
    return { body: { services: platform.directory.all().map((e) => serviceJson(platform, e, started)) } };
  });

  api.get(`${base}/{service}`, { permission: 'run.services.get', on: (req) => serviceResource(find(req, 'run.services.get').config.name) }, async (req) => {
    query(req, 'GetServiceRequest', { name: `projects/${project}/locations/${region}/services/${req.params.service}` });
    return { body: serviceJson(platform, find(req, 'run.services.get'), started) };
  });

  iamPolicyRoutes(api, platform, `${base}/{service}`, {
    resolve: (req) => serviceResource(find(req, 'run.services.getIamPolicy').config.name),
    getPermission: 'run.services.getIamPolicy',
    setPermission: 'run.services.setIamPolicy',
    permissionPrefixes: ['run.'],
  });
}

/** Google's v2 Service resource for a configured service. */
export function serviceJson(platform: Platform, e: ServiceEntry, createTime: string): Record<string, unknown> {
  const { config } = platform;
  const name = `projects/${config.project.id}/locations/${config.project.region}/services/${e.config.name}`;
  const digest = createHash('sha256').update(name).digest('hex');
  const uid = `${digest.slice(0, 8)}-${digest.slice(8, 12)}-4${digest.slice(13, 16)}-a${digest.slice(17, 20)}-${digest.slice(20, 32)}`;
  const revision = revisionName(config, e.config.name);
  const sa = e.config.serviceAccount.includes('@') ? e.config.serviceAccount : `${e.config.serviceAccount}@${config.project.id}.iam.gserviceaccount.com`;
  const urls = [e.urls.deterministic, e.urls.hashed].filter((u): u is string => !!u);
  const ready = { type: 'Ready', state: 'CONDITION_SUCCEEDED', lastTransitionTime: createTime };
  return {
    name,
    uid,
    generation: '1',
    labels: {},
    annotations: {
      // authplane's own: where the front door listens, and the functions-style URL when declared.
      ...(e.urls.local ? { 'authplane.dev/local-url': e.urls.local } : {}),
      ...(e.urls.functions ? { 'authplane.dev/functions-url': e.urls.functions } : {}),
    },
    createTime,
    updateTime: createTime,
    creator: config.defaultPrincipal?.replace(/^user:/, '') ?? 'authplane',
    lastModifier: config.defaultPrincipal?.replace(/^user:/, '') ?? 'authplane',
    ingress: INGRESS_ENUM[e.config.ingress],
    launchStage: 'GA',
    invokerIamDisabled: !e.config.invokerIamCheck,
    customAudiences: e.config.customAudiences,
    template: {
      revision,
      serviceAccount: sa,
      containers: [{ image: e.config.command ? `authplane/command:${e.config.command}` : `authplane/upstream:${e.config.upstream ?? ''}`, ports: [{ name: 'http1', containerPort: 8080 }] }],
      maxInstanceRequestConcurrency: 80,
      timeout: '300s',
      executionEnvironment: 'EXECUTION_ENVIRONMENT_GEN2',
    },
    traffic: [{ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 100 }],
    observedGeneration: '1',
    terminalCondition: ready,
    conditions: [
      { type: 'RoutesReady', state: 'CONDITION_SUCCEEDED', lastTransitionTime: createTime },
      { type: 'ConfigurationsReady', state: 'CONDITION_SUCCEEDED', lastTransitionTime: createTime },
    ],
    latestReadyRevision: `${name}/revisions/${revision}`,
    latestCreatedRevision: `${name}/revisions/${revision}`,
    trafficStatuses: [{ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 100 }],
    uri: e.urls.hashed,
    urls,
    reconciling: false,
    etag: `"${digest.slice(0, 16)}"`,
  };
}

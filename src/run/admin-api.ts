// Cloud Run Admin API v2 on the API port:
//   GET   /v2/projects/P/locations/L/services            (run.services.list)
//   GET   /v2/projects/P/locations/L/services/S          (run.services.get)
//   PATCH /v2/projects/P/locations/L/services/S?updateMask=ingress,invokerIamDisabled,customAudiences
//                                                        (run.services.update → a done google.longrunning.Operation)
//   GET   /v2/projects/P/locations/L/operations/O        (the operation a PATCH returned)
//   S:getIamPolicy / S:setIamPolicy / S:testIamPermissions (resource key services/S)
// P may be the project id or number, as on Google. Services come from the config; ingress, the invoker IAM
// check and custom audiences may change through PATCH (services/settings.ts keeps the change); the v1 and
// Knative surfaces gcloud uses are in admin-v1.ts.

import { createHash } from 'node:crypto';
import { apiRefusal, failedPrecondition, invalidArgument, notFound } from '../apis/errors.js';
import { iamPolicyRoutes } from '../apis/iam-policy.js';
import { decodeJson, descriptor, snakeToCamel, type Obj } from '../apis/proto.js';
import { queryToJson } from '../apis/proto-json.js';
import type { ApiRequest, Router } from '../apis/router.js';
import type { Ingress } from '../config/types.js';
import type { Platform } from '../platform.js';
import { INGRESS_ENUM } from '../admission/ingress.js';
import { serviceResource } from '../iam/resources.js';
import { adminLookup, RUN_DOMAIN } from './admin-lookup.js';
import { canonical } from './knative.js';
import { changeService } from './service-changes.js';
import type { ServiceView } from './service-view.js';

/** The fields UpdateService may change here, by their JSON names. */
const CHANGEABLE = new Set(['ingress', 'invokerIamDisabled', 'customAudiences']);
/** Service fields the server sets (OUTPUT_ONLY in google/cloud/run/v2/service.proto, and the identifier): ignored in an update. */
const OUTPUT_ONLY = new Set([
  'name', 'uid', 'generation', 'createTime', 'updateTime', 'deleteTime', 'expireTime', 'creator', 'lastModifier', 'observedGeneration',
  'terminalCondition', 'conditions', 'latestReadyRevision', 'latestCreatedRevision', 'trafficStatuses', 'uri', 'urls', 'satisfiesPzs', 'reconciling', 'etag',
]);
const INGRESS_BY_ENUM = Object.fromEntries(Object.entries(INGRESS_ENUM).map(([k, v]) => [v, k])) as Record<string, Ingress>;

// google.cloud.run.v2.Service, from the prebuilt descriptor (protos/descriptors.json).
const runService = () => descriptor('google-cloud-run-v2.json').lookupType('google.cloud.run.v2.Service');

export function cloudRunAdminRoutes(router: Router, platform: Platform): void {
  const { config } = platform;
  const lookup = adminLookup(platform);
  const api = router.for(RUN_DOMAIN);
  const checkLocation = (req: ApiRequest) => {
    lookup.location(req.params.project!, req.params.location!, false);
    return `projects/${config.project.id}`;
  };
  const find = (req: ApiRequest) => {
    checkLocation(req);
    return lookup.service(req.params.service!);
  };
  const base = '/v2/projects/{project}/locations/{location}/services';

  // Query parameters bind the request message's fields (ListServicesRequest: pageSize, pageToken, showDeleted).
  const run = (name: string) => descriptor('google-cloud-run-v2.json').lookupType(`google.cloud.run.v2.${name}`);
  const query = (req: ApiRequest, message: string, resource: Obj) => decodeJson(run(message), { ...queryToJson(run(message), req.query), ...resource });
  const { id: project, region } = config.project;

  api.get(base, { permission: 'run.services.list', on: checkLocation }, async (req) => {
    query(req, 'ListServicesRequest', { parent: `projects/${project}/locations/${region}` });
    return { body: { services: await Promise.all(platform.directory.all().map(async (e) => serviceJson(await lookup.view(e)))) } };
  });

  api.get(`${base}/{service}`, { permission: 'run.services.get', on: (req) => serviceResource(find(req).config.name) }, async (req) => {
    query(req, 'GetServiceRequest', { name: `projects/${project}/locations/${region}/services/${req.params.service}` });
    return { body: serviceJson(await lookup.view(find(req))) };
  });

  api.patch(`${base}/{service}`, { permission: 'run.services.update', on: (req) => serviceResource(find(req).config.name) }, async (req) => {
    const entry = find(req);
    const before = await lookup.view(entry);
    const raw = await req.json<Obj>();
    // The body is the Service (UpdateServiceRequest's `service`, body: "service"), read through its descriptor.
    const service = decodeJson(runService(), raw, 'service');
    if (service.name !== undefined && service.name !== '' && service.name !== before.resourceName) {
      throw invalidArgument(`service.name ${String(service.name)} does not match the service in the URL, ${before.resourceName}.`, 'service.name');
    }
    const rendered = serviceJson(before);
    const mask = updateMask(req.query.get('updateMask'));
    const fields = mask ?? Object.keys(raw).map(snakeToCamel).filter((f) => !OUTPUT_ONLY.has(f));
    for (const f of fields) {
      if (CHANGEABLE.has(f)) continue;
      // Without a mask, a field sent back as it was read is no change.
      if (mask === undefined && canonical(raw[f] ?? raw[camelToSnake(f)]) === canonical(rendered[f])) continue;
      throw failedPrecondition(
        `authplane cannot change ${f} of a service: it comes from authplane.yaml. Through the Admin API it changes only ingress, invokerIamDisabled and customAudiences.`,
        `Change the service in authplane.yaml (services[]) and restart authplane, or send updateMask=ingress,invokerIamDisabled,customAudiences.`,
      );
    }
    if (typeof service.etag === 'string' && service.etag !== '' && service.etag !== rendered.etag) {
      throw changeRefused(before, 'The etag of the service does not match: it changed since it was read.');
    }
    const has = (f: string) => fields.includes(f);
    const settings = {
      ingress: has('ingress') ? (service.ingress === undefined || service.ingress === 'INGRESS_TRAFFIC_UNSPECIFIED' ? 'all' : ingressOf(service.ingress)) : before.ingress,
      invokerIamCheck: has('invokerIamDisabled') ? service.invokerIamDisabled !== true : before.invokerIamCheck,
      customAudiences: has('customAudiences') ? [...new Set((service.customAudiences as string[] | undefined) ?? [])] : before.customAudiences,
      timeoutMs: before.timeoutMs,
    };
    if (req.query.get('validateOnly') !== 'true') {
      await changeService(platform, { name: entry.config.name, settings, modifier: req.caller, conflictMessage: 'The service changed since it was read.' });
    }
    return { body: operationJson(await lookup.view(entry)) };
  });

  // Operations: an update is done when it answers, so an operation is the service at the generation it made.
  api.get('/v2/projects/{project}/locations/{location}/operations/{operation}', { permission: 'run.operations.get', on: checkLocation }, async (req) => {
    const m = /^service\.(.+)\.(\d+)$/.exec(req.params.operation!);
    const entry = m ? platform.directory.get(m[1]!) : undefined;
    if (!m || !entry) throw notFound(`Operation ${req.params.operation} does not exist.`, `projects/${config.project.id}/locations/${config.project.region}/operations/${req.params.operation}`);
    return { body: operationJson(await lookup.view(entry), Number(m[2])) };
  });

  iamPolicyRoutes(api, platform, `${base}/{service}`, {
    resolve: (req) => serviceResource(find(req).config.name),
    getPermission: 'run.services.getIamPolicy',
    setPermission: 'run.services.setIamPolicy',
    permissionPrefixes: ['run.'],
  });
}

/** `updateMask=ingress,invoker_iam_disabled` → JSON field names; undefined without one. */
function updateMask(raw: string | null): string[] | undefined {
  if (raw === null || raw.trim() === '') return undefined;
  return raw.split(',').map((p) => snakeToCamel(p.trim())).filter(Boolean);
}

const camelToSnake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

function ingressOf(value: unknown): Ingress {
  const ingress = INGRESS_BY_ENUM[String(value)];
  if (!ingress) throw invalidArgument(`Ingress ${String(value)} is not one authplane serves: use ${Object.keys(INGRESS_BY_ENUM).join(', ')}.`, 'service.ingress');
  return ingress;
}

/** CONCURRENT_CHANGE for an update made against an etag that is no longer the service's. */
function changeRefused(v: ServiceView, message: string) {
  return apiRefusal('CONCURRENT_CHANGE', { message, resource: `service ${v.name}`, sent: 'an older etag', current: `generation ${v.generation}` });
}

/** A done google.longrunning.Operation of UpdateService (metadata and response: the Service). */
function operationJson(v: ServiceView, generation = v.generation): Record<string, unknown> {
  const service = { '@type': 'type.googleapis.com/google.cloud.run.v2.Service', ...serviceJson(v) };
  return { name: `projects/${v.project.id}/locations/${v.region}/operations/service.${v.name}.${generation}`, metadata: service, done: true, response: service };
}

/** Google's v2 Service resource for a configured service. */
export function serviceJson(v: ServiceView): Record<string, unknown> {
  const ready = { type: 'Ready', state: 'CONDITION_SUCCEEDED', lastTransitionTime: v.updateTime };
  return {
    name: v.resourceName,
    uid: v.uid,
    generation: String(v.generation),
    labels: {},
    annotations: {
      // authplane's own: where the front door listens, and the functions-style URL when declared.
      ...(v.localUrl ? { 'authplane.dev/local-url': v.localUrl } : {}),
      ...(v.functionsUrl ? { 'authplane.dev/functions-url': v.functionsUrl } : {}),
    },
    createTime: v.createTime,
    updateTime: v.updateTime,
    creator: v.creator,
    lastModifier: v.lastModifier,
    ingress: INGRESS_ENUM[v.ingress],
    launchStage: 'GA',
    invokerIamDisabled: !v.invokerIamCheck,
    customAudiences: v.customAudiences,
    template: {
      revision: v.revision,
      serviceAccount: v.serviceAccount,
      containers: [{ image: v.image, ...(v.env.length ? { env: v.env } : {}), ports: [{ name: 'http1', containerPort: 8080 }] }],
      maxInstanceRequestConcurrency: 80,
      timeout: `${v.timeoutMs / 1000}s`,
      executionEnvironment: 'EXECUTION_ENVIRONMENT_GEN2',
    },
    traffic: [{ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 100 }],
    observedGeneration: String(v.generation),
    terminalCondition: ready,
    conditions: [
      { type: 'RoutesReady', state: 'CONDITION_SUCCEEDED', lastTransitionTime: v.updateTime },
      { type: 'ConfigurationsReady', state: 'CONDITION_SUCCEEDED', lastTransitionTime: v.updateTime },
    ],
    latestReadyRevision: `${v.resourceName}/revisions/${v.revision}`,
    latestCreatedRevision: `${v.resourceName}/revisions/${v.revision}`,
    trafficStatuses: [{ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 100 }],
    uri: v.url,
    urls: v.urls,
    reconciling: false,
    etag: `"${createHash('sha256').update(`${v.uid}/${v.generation}`).digest('hex').slice(0, 16)}"`,
  };
}

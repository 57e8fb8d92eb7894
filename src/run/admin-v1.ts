// Cloud Run Admin API v1, as gcloud 528 calls it for every `gcloud run services` command (notes:
// gcloud-wire.md §4; resource shapes in knative.ts):
//
//   regional host (REGION-run.googleapis.com, or REGION-127.0.0.1:PORT through the API port's proxy step):
//     GET /apis/serving.knative.dev/v1/namespaces/P/services[/S]      list / get (namespace = project ID or number)
//     PUT /apis/serving.knative.dev/v1/namespaces/P/services/S        replaceService
//     GET /apis/serving.knative.dev/v1/namespaces/P/revisions[/R]     gcloud pins an image digest from it
//   global host (run.googleapis.com):
//     GET /v1/projects/P/locations                                    regions list
//     GET /v1/projects/P/locations/L/services[/S], PUT …/services/S   (L may be '-' for the list)
//     S:getIamPolicy (GET, ?options.requestedPolicyVersion=3, and POST), S:setIamPolicy, S:testIamPermissions
//
// The region of a namespaced call is the one its Host names (REGION-…); a host without one means the
// emulated region. A replace changes what authplane can change (ingress, the invoker IAM check, custom
// audiences) and refuses the rest naming the field; the answer is the service at its new generation, already
// reconciled (observedGeneration == generation, Ready "True"), so gcloud's poll ends at its first GET.

import { notFound } from '../apis/errors.js';
import { iamPolicyRoutes } from '../apis/iam-policy.js';
import { refuseUnemulated } from '../apis/unemulated-methods.js';
import type { ApiRequest, Router } from '../apis/router.js';
import { serviceResource, projectResource } from '../iam/resources.js';
import { regionOfHost } from '../lib/regional-host.js';
import type { Platform } from '../platform.js';
import { adminLookup, RUN_DOMAIN } from './admin-lookup.js';
import { knativeRevision, knativeService, readReplacement, resourceVersion } from './knative.js';
import { parseLabelSelector } from './label-selector.js';
import { changeService } from './service-changes.js';
import type { ServiceView } from './service-view.js';

/** Kubernetes' words for a stale resourceVersion (the Knative API answers as its API server does). */
const conflictMessage = (name: string) => `Operation cannot be fulfilled on services.serving.knative.dev "${name}": the object has been modified; please apply your changes to the latest version and try again`;

export function cloudRunV1Routes(router: Router, platform: Platform): void {
  const api = router.for(RUN_DOMAIN);
  const lookup = adminLookup(platform);
  const { config } = platform;
  const project = () => projectResource(config.project.id);
  const regionOf = (req: ApiRequest) => regionOfHost(req.headers.host) ?? config.project.region;
  const list = (items: unknown[], kind: 'ServiceList' | 'RevisionList') => ({ apiVersion: 'serving.knative.dev/v1', kind, metadata: {}, items });
  const views = () => Promise.all(platform.directory.all().map((e) => lookup.view(e)));
  /** The objects of a list the request's labelSelector selects (parsed first: a malformed one is refused even for an empty list). */
  const selected = (req: ApiRequest, items: Record<string, unknown>[]) => {
    const select = parseLabelSelector(req.query.get('labelSelector'));
    return items.filter((o) => select(((o.metadata as { labels?: Record<string, string> }).labels) ?? {}));
  };

  /** The generation a replace body was read at, if it says. */
  const basedOn = (view: ServiceView, b: ReturnType<typeof readReplacement>['basedOn']): number | undefined => {
    if (b === undefined) return undefined;
    if ('generation' in b) return b.generation;
    // The resourceVersion of the current generation, or an older one (then: a conflict).
    return b.resourceVersion === resourceVersion(view) ? view.generation : -1;
  };
  const replace = async (req: ApiRequest, region: string) => {
    const entry = lookup.service(req.params.service!, region);
    const before = await lookup.view(entry);
    const replacement = readReplacement(await req.json(), knativeService(before), entry.config.name);
    const from = basedOn(before, replacement.basedOn);
    await changeService(platform, {
      name: entry.config.name,
      settings: replacement.settings,
      ...(from !== undefined ? { basedOn: from } : {}),
      modifier: req.caller,
      conflictMessage: conflictMessage(entry.config.name),
    });
    return { body: knativeService(await lookup.view(entry)) };
  };

  // --- namespaced (regional host) -------------------------------------------------------------------
  const ns = '/apis/serving.knative.dev/v1/namespaces/{namespace}';
  const inNamespace = (req: ApiRequest) => lookup.project(req.params.namespace!);
  /** Project-wide permissions (list, revisions) are checked on the project the namespace names. */
  const namespaceProject = (req: ApiRequest) => {
    inNamespace(req);
    return project();
  };
  const namespacedService = (req: ApiRequest) => {
    inNamespace(req);
    return serviceResource(lookup.service(req.params.service!, regionOf(req)).config.name);
  };

  api.get(`${ns}/services`, { permission: 'run.services.list', on: namespaceProject }, async (req) => ({
    body: list(selected(req, regionOf(req) === config.project.region ? (await views()).map(knativeService) : []), 'ServiceList'),
  }));
  api.get(`${ns}/services/{service}`, { permission: 'run.services.get', on: namespacedService }, async (req) => ({
    body: knativeService(await lookup.view(lookup.service(req.params.service!, regionOf(req)))),
  }));
  api.put(`${ns}/services/{service}`, { permission: 'run.services.update', on: namespacedService }, (req) => replace(req, regionOf(req)));

  api.get(`${ns}/revisions`, { permission: 'run.revisions.list', on: namespaceProject }, async (req) => {
    // gcloud run revisions list --service S sends labelSelector=serving.knative.dev/service = S.
    const all = regionOf(req) === config.project.region ? await views() : [];
    return { body: list(selected(req, all.map(knativeRevision)), 'RevisionList') };
  });
  api.get(`${ns}/revisions/{revision}`, { permission: 'run.revisions.get', on: namespaceProject }, async (req) => {
    const revision = req.params.revision!;
    const view = regionOf(req) === config.project.region ? (await views()).find((v) => v.revision === revision) : undefined;
    // In the words Google uses for a missing service, naming the kind.
    if (!view) throw notFound(`Resource '${revision}' of kind 'REVISION' in region '${regionOf(req)}' in project '${config.project.id}' does not exist.`, `namespaces/${req.params.namespace}/revisions/${revision}`);
    return { body: knativeRevision(view) };
  });

  // --- global host ------------------------------------------------------------------------------------
  const v1 = '/v1/projects/{project}/locations';
  const inProject = (req: ApiRequest) => {
    lookup.project(req.params.project!);
    return project();
  };
  const inLocation = (req: ApiRequest) => {
    lookup.location(req.params.project!, req.params.location!, true);
    return project();
  };
  api.get(v1, { permission: 'run.locations.list', on: inProject }, (req) => ({
    body: { locations: [{ name: `projects/${req.params.project}/locations/${config.project.region}`, locationId: config.project.region, displayName: config.project.region }] },
  }));
  const globalService = (req: ApiRequest) => {
    lookup.location(req.params.project!, req.params.location!, false);
    return serviceResource(lookup.service(req.params.service!).config.name);
  };
  api.get(`${v1}/{location}/services`, { permission: 'run.services.list', on: inLocation }, async (req) => ({
    body: { ...list(selected(req, (await views()).map(knativeService)), 'ServiceList'), unreachable: [] },
  }));
  api.get(`${v1}/{location}/services/{service}`, { permission: 'run.services.get', on: globalService }, async (req) => ({
    body: knativeService(await lookup.view(lookup.service(req.params.service!))),
  }));
  api.put(`${v1}/{location}/services/{service}`, { permission: 'run.services.update', on: globalService }, (req) => replace(req, config.project.region));

  // What `gcloud run deploy` (of a new service), `services delete` and `revisions delete` call: services come
  // from authplane.yaml (https://cloud.google.com/run/docs/reference/rest/v1/namespaces.services).
  const because = 'Cloud Run services come from authplane.yaml';
  const servicesFix = 'Declare or remove the service in authplane.yaml under services: (name, command or upstream, serviceAccount) and restart authplane. Through the Admin API authplane changes only ingress, the invoker IAM check, custom audiences and the request timeout.';
  refuseUnemulated(router, RUN_DOMAIN, [
    { verb: 'post', pattern: `${ns}/services`, what: 'Creating Cloud Run services (namespaces.services.create)', because, fix: servicesFix },
    { verb: 'delete', pattern: `${ns}/services/{service}`, what: 'Deleting Cloud Run services (namespaces.services.delete)', because, fix: servicesFix },
    { verb: 'post', pattern: `${v1}/{location}/services`, what: 'Creating Cloud Run services (projects.locations.services.create)', because, fix: servicesFix },
    { verb: 'delete', pattern: `${v1}/{location}/services/{service}`, what: 'Deleting Cloud Run services (projects.locations.services.delete)', because, fix: servicesFix },
    {
      verb: 'delete',
      pattern: `${ns}/revisions/{revision}`,
      what: 'Deleting Cloud Run revisions (namespaces.revisions.delete)',
      because: 'each service has the one revision authplane runs',
      fix: 'The revision goes away with its service: remove the service from authplane.yaml (services:) and restart authplane.',
    },
  ]);

  iamPolicyRoutes(api, platform, `${v1}/{location}/services/{service}`, {
    resolve: globalService,
    getPermission: 'run.services.getIamPolicy',
    setPermission: 'run.services.setIamPolicy',
    permissionPrefixes: ['run.'],
  });
}

// Cloud Run Admin API v1 resources in their Knative shape (serving.knative.dev/v1 Service and Revision), as
// every `gcloud run services` command reads them (gcloud 528 uses v1 only; notes: gcloud-wire.md §4), and
// what a replaceService (PUT) may change.
//
// gcloud reads: status.url (describe --format='value(status.url)'); annotation run.googleapis.com/urls
// (first entry = the human view's URL); label cloud.googleapis.com/location (REGION column, "in region R");
// annotation serving.knative.dev/lastModifier and the Ready condition's lastTransitionTime (LAST DEPLOYED);
// and, to tell that an update is done, status.observedGeneration == metadata.generation with Ready "True"
// (api_lib/run/condition.py, command_lib/run/op_pollers.py). Settings travel as annotations:
// run.googleapis.com/ingress, run.googleapis.com/invoker-iam-disabled ("True", written by gcloud as
// str(bool): command_lib/run/config_changes.py InvokerIamChange) and run.googleapis.com/custom-audiences (a
// JSON list; gcloud deletes the annotation to clear it, config_changes.py CustomAudiencesChanges).
// Field names and annotation keys: generated_clients/apis/run/v1/run_v1_messages.py (ObjectMeta.annotations).

import type { Ingress } from '../config/types.js';
import { failedPrecondition, invalidArgument } from '../apis/errors.js';
import type { ServiceSettings } from '../store/store.js';
import type { ServiceView } from './service-view.js';

export const INGRESS_ANNOTATION = 'run.googleapis.com/ingress';
export const INVOKER_IAM_DISABLED_ANNOTATION = 'run.googleapis.com/invoker-iam-disabled';
export const CUSTOM_AUDIENCES_ANNOTATION = 'run.googleapis.com/custom-audiences';
const INGRESS_VALUES: readonly Ingress[] = ['all', 'internal', 'internal-and-cloud-load-balancing'];

/** Annotations a client may send back as it read them: informational, never changed through a PUT. */
const ECHOED_ANNOTATIONS = new Set([
  'run.googleapis.com/client-name',
  'run.googleapis.com/client-version',
  'run.googleapis.com/ingress-status',
  'run.googleapis.com/urls',
  'run.googleapis.com/operation-id',
  'serving.knative.dev/creator',
  'serving.knative.dev/lastModifier',
]);
/** Template metadata gcloud adds on every deploy-like update. */
const TEMPLATE_CLIENT_ANNOTATIONS = new Set(['run.googleapis.com/client-name', 'run.googleapis.com/client-version']);
const TEMPLATE_CLIENT_LABELS = new Set(['client.knative.dev/nonce']);

type Obj = Record<string, unknown>;

/** The opaque metadata.resourceVersion of a service at `generation` (compared on replace). */
export function resourceVersion(v: ServiceView): string {
  return Buffer.from(`${v.uid}/${v.generation}`).toString('base64').replace(/=+$/, '');
}

function authplaneAnnotations(v: ServiceView): Record<string, string> {
  return {
    'authplane.dev/front-door': v.localUrl ?? '',
    ...('command' in v.source ? { 'authplane.dev/command': v.source.command } : { 'authplane.dev/upstream': v.source.upstream }),
    ...(v.functionsUrl ? { 'authplane.dev/functions-url': v.functionsUrl } : {}),
  };
}

function templateSpec(v: ServiceView): Obj {
  return {
    containerConcurrency: 80,
    timeoutSeconds: v.timeoutMs / 1000,
    serviceAccountName: v.serviceAccount,
    containers: [
      {
        image: v.image,
        ...(v.env.length ? { env: v.env } : {}),
        ports: [{ name: 'http1', containerPort: 8080 }],
        resources: { limits: { cpu: '1000m', memory: '512Mi' } },
      },
    ],
  };
}

const TEMPLATE_ANNOTATIONS = { 'autoscaling.knative.dev/maxScale': '100' };

/** The serving.knative.dev/v1 Service. */
export function knativeService(v: ServiceView): Obj {
  const selfLink = `/apis/serving.knative.dev/v1/namespaces/${v.project.number}/services/${v.name}`;
  const ready = (type: string) => ({ type, status: 'True', lastTransitionTime: v.updateTime });
  return {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata: {
      name: v.name,
      namespace: v.project.number,
      selfLink,
      uid: v.uid,
      resourceVersion: resourceVersion(v),
      generation: v.generation,
      creationTimestamp: v.createTime,
      labels: { 'cloud.googleapis.com/location': v.region },
      annotations: {
        'serving.knative.dev/creator': v.creator,
        'serving.knative.dev/lastModifier': v.lastModifier,
        [INGRESS_ANNOTATION]: v.ingress,
        'run.googleapis.com/ingress-status': v.ingress,
        ...(v.invokerIamCheck ? {} : { [INVOKER_IAM_DISABLED_ANNOTATION]: 'True' }),
        ...(v.customAudiences.length ? { [CUSTOM_AUDIENCES_ANNOTATION]: JSON.stringify(v.customAudiences) } : {}),
        'run.googleapis.com/urls': JSON.stringify(v.urls),
        ...authplaneAnnotations(v),
      },
    },
    spec: {
      template: {
        metadata: { annotations: { ...TEMPLATE_ANNOTATIONS } },
        spec: templateSpec(v),
      },
      traffic: [{ percent: 100, latestRevision: true }],
    },
    status: {
      observedGeneration: v.generation,
      conditions: [ready('Ready'), ready('ConfigurationsReady'), ready('RoutesReady')],
      latestReadyRevisionName: v.revision,
      latestCreatedRevisionName: v.revision,
      traffic: [{ revisionName: v.revision, percent: 100, latestRevision: true }],
      url: v.url,
      address: { url: v.url },
    },
  };
}

/**
 * The serving.knative.dev/v1 Revision behind the service (gcloud reads it to pin an image digest, and lists
 * it). `gcloud run revisions list` shows ACTIVE from the "Active" condition (api_lib/run/revision.py
 * Revision.active: True while the revision serves traffic, as this one, the service's only revision, does)
 * and DEPLOYED BY from the serving.knative.dev/creator annotation (api_lib/run/k8s_object.py author).
 */
export function knativeRevision(v: ServiceView): Obj {
  const ready = (type: string) => ({ type, status: 'True', lastTransitionTime: v.createTime });
  return {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Revision',
    metadata: {
      name: v.revision,
      namespace: v.project.number,
      selfLink: `/apis/serving.knative.dev/v1/namespaces/${v.project.number}/revisions/${v.revision}`,
      uid: v.uid,
      generation: 1,
      creationTimestamp: v.createTime,
      labels: {
        'serving.knative.dev/service': v.name,
        'serving.knative.dev/configuration': v.name,
        'serving.knative.dev/route': v.name,
        'cloud.googleapis.com/location': v.region,
      },
      annotations: { ...TEMPLATE_ANNOTATIONS, 'serving.knative.dev/creator': v.creator, ...authplaneAnnotations(v) },
    },
    spec: templateSpec(v),
    status: {
      observedGeneration: 1,
      conditions: [ready('Ready'), ready('Active'), ready('ContainerHealthy'), ready('ResourcesAvailable')],
      imageDigest: v.image,
    },
  };
}

export interface Replacement {
  settings: ServiceSettings;
  /** The generation the body was read at, when it says (metadata.resourceVersion, else metadata.generation). */
  basedOn?: { resourceVersion: string } | { generation: number };
}

/**
 * Reads a replaceService body against the service as it is: the settings it asks for (absent annotations
 * are the defaults, as a replace means), and a refusal naming the field for anything else it changes,
 * which authplane takes from authplane.yaml only.
 */
export function readReplacement(body: unknown, current: Obj, name: string): Replacement {
  if (!isObj(body)) throw invalidArgument('Invalid JSON payload received. Expected a Service object.', 'service');
  if (body.apiVersion !== undefined && body.apiVersion !== 'serving.knative.dev/v1') throw invalidArgument(`apiVersion must be serving.knative.dev/v1, not ${JSON.stringify(body.apiVersion)}.`, 'apiVersion');
  if (body.kind !== undefined && body.kind !== 'Service') throw invalidArgument(`kind must be Service, not ${JSON.stringify(body.kind)}.`, 'kind');
  const metadata = body.metadata ?? {};
  if (!isObj(metadata)) throw invalidArgument('metadata must be an ObjectMeta object.', 'metadata');
  if (metadata.name !== undefined && metadata.name !== name) throw invalidArgument(`metadata.name ${JSON.stringify(metadata.name)} does not match the service in the URL, ${name}.`, 'metadata.name');
  const annotations = metadata.annotations ?? {};
  if (!isObj(annotations)) throw invalidArgument('metadata.annotations must be a map of strings.', 'metadata.annotations');
  for (const [k, value] of Object.entries(annotations)) if (typeof value !== 'string') throw invalidArgument(`Annotation ${k} must be a string.`, `metadata.annotations[${k}]`);

  const curMeta = current.metadata as Obj;
  for (const key of Object.keys(annotations)) {
    const settable = key === INGRESS_ANNOTATION || key === INVOKER_IAM_DISABLED_ANNOTATION || key === CUSTOM_AUDIENCES_ANNOTATION;
    if (settable || ECHOED_ANNOTATIONS.has(key) || key.startsWith('authplane.dev/')) continue;
    unchangeable(`metadata.annotations[${key}]`, 'the annotation');
  }
  if (metadata.labels !== undefined && canonical(metadata.labels) !== canonical(curMeta.labels)) unchangeable('metadata.labels', 'labels');

  const spec = body.spec;
  let timeoutMs: number | undefined;
  if (spec !== undefined) {
    if (!isObj(spec)) throw invalidArgument('spec must be a ServiceSpec object.', 'spec');
    const curSpec = current.spec as Obj;
    const curTemplate = curSpec.template as Obj;
    const template = spec.template;
    if (template !== undefined) {
      if (!isObj(template)) throw invalidArgument('spec.template must be a RevisionTemplate object.', 'spec.template');
      const tm = template.metadata;
      const curTm = curTemplate.metadata as Obj;
      if (tm !== undefined) {
        if (!isObj(tm)) throw invalidArgument('spec.template.metadata must be an ObjectMeta object.', 'spec.template.metadata');
        if (tm.name !== undefined) unchangeable('spec.template.metadata.name', 'revision names');
        if (tm.annotations !== undefined && canonical(withoutKeys(tm.annotations, TEMPLATE_CLIENT_ANNOTATIONS)) !== canonical(curTm.annotations)) unchangeable('spec.template.metadata.annotations', 'revision settings (scaling, CPU, VPC access…)');
        if (tm.labels !== undefined && canonical(withoutKeys(tm.labels, TEMPLATE_CLIENT_LABELS)) !== canonical(curTm.labels ?? {})) unchangeable('spec.template.metadata.labels', 'revision labels');
      }
      if (template.spec !== undefined) {
        if (!isObj(template.spec)) throw invalidArgument('spec.template.spec must be a RevisionSpec object.', 'spec.template.spec');
        // The request timeout may change (gcloud run services update --timeout); the rest comes from authplane.yaml.
        const { timeoutSeconds, ...rest } = template.spec;
        const { timeoutSeconds: _current, ...curRest } = curTemplate.spec as Obj;
        if (canonical(rest) !== canonical(curRest)) unchangeable('spec.template.spec', 'the container, its environment, service account and concurrency');
        if (timeoutSeconds !== undefined) timeoutMs = readTimeoutSeconds(timeoutSeconds);
      }
    }
    if (spec.traffic !== undefined && canonical(spec.traffic) !== canonical(curSpec.traffic)) unchangeable('spec.traffic', 'traffic splits');
  }

  // A body without timeoutSeconds keeps the current one.
  timeoutMs ??= Number((((current.spec as Obj).template as Obj).spec as Obj).timeoutSeconds) * 1000;
  const ingress = annotations[INGRESS_ANNOTATION] ?? 'all';
  if (!(INGRESS_VALUES as readonly unknown[]).includes(ingress)) {
    throw invalidArgument(`Annotation ${INGRESS_ANNOTATION} must be one of ${INGRESS_VALUES.join(', ')}, not ${JSON.stringify(ingress)}.`, `metadata.annotations[${INGRESS_ANNOTATION}]`);
  }
  const disabled = String(annotations[INVOKER_IAM_DISABLED_ANNOTATION] ?? 'false').toLowerCase();
  if (disabled !== 'true' && disabled !== 'false') {
    throw invalidArgument(`Annotation ${INVOKER_IAM_DISABLED_ANNOTATION} must be "true" or "false", not ${JSON.stringify(annotations[INVOKER_IAM_DISABLED_ANNOTATION])}.`, `metadata.annotations[${INVOKER_IAM_DISABLED_ANNOTATION}]`);
  }
  const customAudiences = readAudiences(annotations[CUSTOM_AUDIENCES_ANNOTATION] as string | undefined);
  const basedOn =
    typeof metadata.resourceVersion === 'string' && metadata.resourceVersion !== ''
      ? { resourceVersion: metadata.resourceVersion }
      : typeof metadata.generation === 'number'
        ? { generation: metadata.generation }
        : undefined;
  return { settings: { ingress: ingress as Ingress, invokerIamCheck: disabled !== 'true', customAudiences, ...(timeoutMs !== undefined ? { timeoutMs } : {}) }, ...(basedOn ? { basedOn } : {}) };
}

/** spec.template.spec.timeoutSeconds: whole seconds, 1 to 3600 (https://cloud.google.com/run/docs/configuring/request-timeout). */
function readTimeoutSeconds(v: unknown): number {
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 3600) {
    throw invalidArgument(`spec.template.spec.timeoutSeconds must be a whole number of seconds from 1 to 3600, not ${JSON.stringify(v)}.`, 'spec.template.spec.timeoutSeconds');
  }
  return n * 1000;
}

/** run.googleapis.com/custom-audiences: a JSON list of non-empty strings. */
function readAudiences(raw: string | undefined): string[] {
  if (raw === undefined || raw === '') return [];
  const field = `metadata.annotations[${CUSTOM_AUDIENCES_ANNOTATION}]`;
  let list: unknown;
  try {
    list = JSON.parse(raw);
  } catch {
    throw invalidArgument(`Annotation ${CUSTOM_AUDIENCES_ANNOTATION} must be a JSON list of strings, not ${JSON.stringify(raw)}.`, field);
  }
  if (!Array.isArray(list) || list.some((a) => typeof a !== 'string' || a === '')) throw invalidArgument(`Annotation ${CUSTOM_AUDIENCES_ANNOTATION} must be a JSON list of non-empty strings.`, field);
  return [...new Set(list as string[])];
}

/** A 400, not UNIMPLEMENTED's 501: gcloud retries 5xx answers as if the server were failing. */
function unchangeable(field: string, what: string): never {
  throw failedPrecondition(
    `authplane cannot change ${field} of a service: ${what} come from authplane.yaml. Through the Admin API it changes only ingress, the invoker IAM check, custom audiences and the request timeout.`,
    `Change the service in authplane.yaml (services[]) and restart authplane; send ${field} back as it was read.`,
  );
}

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

function withoutKeys(v: unknown, drop: ReadonlySet<string>): unknown {
  if (!isObj(v)) return v;
  return Object.fromEntries(Object.entries(v).filter(([k]) => !drop.has(k)));
}

/** JSON with object keys sorted: equal values, equal text. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (isObj(v)) return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

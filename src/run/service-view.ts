// A configured service as the Cloud Run Admin API describes it, whichever version of the API asks: its
// names, URLs, revision, container, settings and generation. The v2 resource (admin-api.ts) and the Knative
// v1 resource (knative.ts) are two renderings of this one view.

import { createHash } from 'node:crypto';
import type { Platform } from '../platform.js';
import { revisionName, type ServiceEntry } from '../services/directory.js';
import type { ServiceState } from '../services/settings.js';

export interface ServiceView {
  name: string;
  project: { id: string; number: string };
  region: string;
  /** projects/P/locations/R/services/S */
  resourceName: string;
  uid: string;
  /** The one revision authplane runs: NAME-00001-xyz (K_REVISION and the request logs' revision_name too). */
  revision: string;
  /** A pinned image reference standing for the command or upstream (Google's revisions pin a digest). */
  image: string;
  serviceAccount: string;
  env: { name: string; value: string }[];
  /** The run.app URLs, deterministic first (as `run.googleapis.com/urls` lists them). */
  urls: string[];
  /** The hash-style URL, status.url / uri. */
  url: string;
  localUrl?: string;
  functionsUrl?: string;
  ingress: ServiceEntry['config']['ingress'];
  invokerIamCheck: boolean;
  customAudiences: string[];
  /** The request timeout, ms. */
  timeoutMs: number;
  generation: number;
  creator: string;
  lastModifier: string;
  /** RFC 3339. */
  createTime: string;
  updateTime: string;
  /** Where the container's work comes from, for people: the command or the upstream URL. */
  source: { command: string } | { upstream: string };
}

/** The view of `entry` at `state` (services/settings.ts); `createTime` is when this emulator started serving it. */
export function serviceView(platform: Platform, entry: ServiceEntry, state: ServiceState, createTime: string): ServiceView {
  const { config } = platform;
  const svc = entry.config;
  const resourceName = `projects/${config.project.id}/locations/${config.project.region}/services/${svc.name}`;
  const digest = createHash('sha256').update(resourceName).digest('hex');
  const source = svc.command ? { command: svc.command } : { upstream: svc.upstream ?? '' };
  const imageDigest = createHash('sha256').update(JSON.stringify(source)).digest('hex');
  const creator = config.defaultPrincipal?.replace(/^user:/, '') ?? 'authplane';
  const applied = state.applied;
  return {
    name: svc.name,
    project: { id: config.project.id, number: config.project.number },
    region: config.project.region,
    resourceName,
    uid: `${digest.slice(0, 8)}-${digest.slice(8, 12)}-4${digest.slice(13, 16)}-a${digest.slice(17, 20)}-${digest.slice(20, 32)}`,
    revision: revisionName(config, svc.name),
    image: `authplane.local/services/${svc.name}@sha256:${imageDigest}`,
    serviceAccount: svc.serviceAccount.includes('@') ? svc.serviceAccount : `${svc.serviceAccount}@${config.project.id}.iam.gserviceaccount.com`,
    env: Object.entries(svc.env).map(([name, value]) => ({ name, value })),
    urls: [entry.urls.deterministic, entry.urls.hashed].filter((u): u is string => !!u),
    url: entry.urls.hashed,
    ...(entry.urls.local ? { localUrl: entry.urls.local } : {}),
    ...(entry.urls.functions ? { functionsUrl: entry.urls.functions } : {}),
    ingress: svc.ingress,
    invokerIamCheck: svc.invokerIamCheck,
    customAudiences: [...svc.customAudiences],
    timeoutMs: svc.timeout,
    generation: state.generation,
    creator,
    lastModifier: applied ? applied.modifier.replace(/^(user|serviceAccount):/, '') : creator,
    createTime,
    updateTime: applied ? new Date(applied.createdAt).toISOString() : createTime,
    source,
  };
}

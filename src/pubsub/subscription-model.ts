// Subscription ⇄ Google's Subscription message: validation of CreateSubscription, UpdateSubscription and
// ModifyPushConfig (pubsub.proto's documented ranges and defaults, REFERENCE §9), and the message
// GetSubscription returns, defaults materialised as Google shows them.

import { invalidArgument, notSupported } from '../apis/errors.js';
import { fromMs, toMs, type Obj, type ProtoTime } from '../apis/proto.js';
import type { PubsubSubscriptionConfig } from '../config/types.js';
import type { DeadLetterRecord, PushConfigRecord, SubscriptionRecord } from '../store/pubsub-store.js';
import { checkLabels, maskPaths } from './fields.js';
import { DELETED_TOPIC, parseTopic, subscriptionName, topicName } from './names.js';
import { checkRetention } from './topic-model.js';

const DEFAULT_ACK_DEADLINE_S = 10;
const DEFAULT_RETENTION_MS = 7 * 24 * 3_600_000;
/** Google's default expiration policy: 31 days of inactivity. */
export const DEFAULT_EXPIRATION_TTL_MS = 31 * 24 * 3_600_000;
const MIN_EXPIRATION_TTL_MS = 24 * 3_600_000;
const DEFAULT_MIN_BACKOFF_MS = 10_000;
const DEFAULT_MAX_BACKOFF_MS = 600_000;
const MAX_BACKOFF_LIMIT_MS = 600_000;
const DEFAULT_MAX_DELIVERY_ATTEMPTS = 5;
const MAX_URL_LENGTH = 2083;

/** Subscription fields authplane does not emulate: refused by name rather than silently dropped. */
const UNSUPPORTED = ['bigqueryConfig', 'cloudStorageConfig', 'bigtableConfig', 'messageTransforms'] as const;

/** Google's default `x-goog-version` (pushConfig.attributes): the API version used at creation, v1. */
const PUSH_VERSION = 'x-goog-version';

export function checkAckDeadline(v: unknown, field: string): number {
  const s = v === undefined || v === null ? 0 : Number(v);
  if (s === 0) return DEFAULT_ACK_DEADLINE_S;
  if (!Number.isInteger(s) || s < 10 || s > 600) {
    // Modelled on Google's recorded ModifyAckDeadline refusal ("Invalid ack deadline given (ack_deadline=715). The ack deadline must be between 0 and 600 seconds.").
    throw invalidArgument(`Invalid ack deadline given (ack_deadline=${String(v)}). The ack deadline must be between 10 and 600 seconds.`, field);
  }
  return s;
}

/** PushConfig: null for an empty one (a pull subscription, or ModifyPushConfig's "stop pushing"). */
export function checkPushConfig(v: unknown, field: string, previous?: PushConfigRecord | null): PushConfigRecord | null {
  const pc = (v ?? {}) as Obj;
  const endpoint = (pc.pushEndpoint as string | undefined) ?? '';
  if (endpoint === '') {
    if (pc.oidcToken || pc.noWrapper) throw invalidArgument('A push config with oidc_token or no_wrapper needs a push_endpoint.', `${field}.push_endpoint`);
    return null;
  }
  let url: URL | undefined;
  try {
    url = new URL(endpoint);
  } catch {
    url = undefined;
  }
  if (!url || !/^https?:$/.test(url.protocol) || endpoint.length > MAX_URL_LENGTH || /\s/.test(endpoint)) {
    throw invalidArgument(`Invalid push_endpoint given (endpoint=${endpoint}). It must be an absolute https:// URL (authplane also takes http:// for local endpoints).`, `${field}.push_endpoint`);
  }
  const attributes: Record<string, string> = { ...((pc.attributes as Record<string, string> | undefined) ?? {}) };
  // "If not present in a ModifyPushConfig call, its value will not be changed" (pubsub.proto PushConfig.attributes).
  attributes[PUSH_VERSION] ??= previous?.attributes[PUSH_VERSION] ?? 'v1';
  const version = attributes[PUSH_VERSION];
  if (version === 'v1beta1') throw notSupported('The v1beta1 push format (x-goog-version: v1beta1) is not emulated by authplane.', 'Use x-goog-version v1 (the default), the format every current push endpoint expects.');
  if (version !== 'v1' && version !== 'v1beta2') throw invalidArgument(`Invalid x-goog-version push attribute "${version}": the supported values are v1beta1, v1 and v1beta2.`, `${field}.attributes`);
  const out: PushConfigRecord = { pushEndpoint: endpoint, attributes };
  const oidc = pc.oidcToken as Obj | undefined;
  if (oidc) {
    const email = oidc.serviceAccountEmail;
    if (typeof email !== 'string' || email === '') throw invalidArgument('OidcToken.service_account_email is required when oidc_token is set.', `${field}.oidc_token.service_account_email`);
    out.oidcToken = { serviceAccountEmail: email, audience: typeof oidc.audience === 'string' ? oidc.audience : '' };
  }
  if (pc.noWrapper) out.noWrapper = { writeMetadata: Boolean((pc.noWrapper as Obj).writeMetadata) };
  return out;
}

function checkRetryPolicy(v: unknown, field: string): SubscriptionRecord['retryPolicy'] {
  if (v === undefined || v === null) return null;
  const rp = v as Obj;
  const check = (x: unknown, name: string, def: number) => {
    const ms = toMs(x as ProtoTime | undefined) ?? def;
    if (ms < 0 || ms > MAX_BACKOFF_LIMIT_MS) throw invalidArgument(`Invalid ${name}: it must be between 0 and 600 seconds (got ${ms / 1000}s).`, `${field}.${name}`);
    return ms;
  };
  const minBackoffMs = check(rp.minimumBackoff, 'minimum_backoff', DEFAULT_MIN_BACKOFF_MS);
  const maxBackoffMs = check(rp.maximumBackoff, 'maximum_backoff', DEFAULT_MAX_BACKOFF_MS);
  if (maxBackoffMs < minBackoffMs) throw invalidArgument(`Invalid retry_policy: maximum_backoff (${maxBackoffMs / 1000}s) is less than minimum_backoff (${minBackoffMs / 1000}s).`, `${field}.maximum_backoff`);
  return { minBackoffMs, maxBackoffMs };
}

function checkDeadLetter(v: unknown, field: string, project: string): DeadLetterRecord | null {
  if (v === undefined || v === null) return null;
  const dl = v as Obj;
  if (!dl.deadLetterTopic) return null;
  const topic = parseTopic(dl.deadLetterTopic, `${field}.dead_letter_topic`);
  if (topic.project !== project) throw invalidArgument(`The dead letter topic ${String(dl.deadLetterTopic)} must be in the subscription's project ${project}.`, `${field}.dead_letter_topic`);
  const n = dl.maxDeliveryAttempts === undefined ? 0 : Number(dl.maxDeliveryAttempts);
  if (n !== 0 && (!Number.isInteger(n) || n < 5 || n > 100)) throw invalidArgument(`Invalid max_delivery_attempts given (max_delivery_attempts=${n}). It must be between 5 and 100.`, `${field}.max_delivery_attempts`);
  return { topic: topic.id, maxDeliveryAttempts: n === 0 ? DEFAULT_MAX_DELIVERY_ATTEMPTS : n };
}

/** expirationPolicy: absent = Google's default 31 days; present without ttl = never expires. */
function checkExpiration(v: unknown, field: string): number | null {
  if (v === undefined || v === null) return DEFAULT_EXPIRATION_TTL_MS;
  const ms = toMs((v as Obj).ttl as ProtoTime | undefined);
  if (ms === undefined) return null;
  if (ms < MIN_EXPIRATION_TTL_MS) throw invalidArgument(`Invalid expiration_policy.ttl: the minimum is 1 day (got ${ms / 1000}s).`, `${field}.ttl`);
  return ms;
}

function refuseUnsupported(msg: Obj): void {
  for (const f of UNSUPPORTED) {
    const v = msg[f];
    if (v === undefined || (Array.isArray(v) && v.length === 0)) continue;
    throw notSupported(`Subscription.${f} is not emulated by authplane.`, 'authplane emulates pull and push subscriptions; leave export subscriptions (BigQuery, Cloud Storage, Bigtable) and transforms out.');
  }
  if (typeof msg.filter === 'string' && msg.filter !== '') {
    throw notSupported('Subscription filters are not emulated by authplane.', 'Leave filter empty and filter in the subscriber, or use one topic per kind of message.');
  }
}

/** A new subscription from CreateSubscription's Subscription message (name parsed, topic checked by the caller). */
export function newSubscriptionRecord(id: string, topic: string, project: string, msg: Obj, now: number): SubscriptionRecord {
  refuseUnsupported(msg);
  return {
    id,
    topic,
    pushConfig: checkPushConfig(msg.pushConfig, 'push_config'),
    ackDeadlineSeconds: checkAckDeadline(msg.ackDeadlineSeconds, 'ack_deadline_seconds'),
    retainAckedMessages: Boolean(msg.retainAckedMessages),
    messageRetentionMs: checkRetention(msg.messageRetentionDuration, 'message_retention_duration') ?? DEFAULT_RETENTION_MS,
    labels: checkLabels(msg.labels, 'labels'),
    enableMessageOrdering: Boolean(msg.enableMessageOrdering),
    enableExactlyOnceDelivery: Boolean(msg.enableExactlyOnceDelivery),
    expirationTtlMs: checkExpiration(msg.expirationPolicy, 'expiration_policy'),
    filter: '',
    deadLetter: checkDeadLetter(msg.deadLetterPolicy, 'dead_letter_policy', project),
    retryPolicy: checkRetryPolicy(msg.retryPolicy, 'retry_policy'),
    detached: false,
    fromConfig: false,
    createdAt: now,
    lastActiveAt: now,
  };
}

/** A subscription declared in authplane.yaml (validated by config/load.ts). */
export function subscriptionFromConfig(c: PubsubSubscriptionConfig, now: number): SubscriptionRecord {
  const push = c.pushConfig;
  return {
    id: c.name,
    topic: c.topic,
    pushConfig: push ? { pushEndpoint: push.pushEndpoint, attributes: { [PUSH_VERSION]: 'v1', ...push.attributes }, ...(push.oidcToken ? { oidcToken: push.oidcToken } : {}), ...(push.noWrapper ? { noWrapper: push.noWrapper } : {}) } : null,
    ackDeadlineSeconds: c.ackDeadlineSeconds,
    retainAckedMessages: false,
    messageRetentionMs: c.messageRetentionMs,
    labels: c.labels,
    enableMessageOrdering: false,
    enableExactlyOnceDelivery: false,
    expirationTtlMs: c.expirationTtlMs,
    filter: '',
    deadLetter: c.deadLetterPolicy ? { topic: c.deadLetterPolicy.deadLetterTopic, maxDeliveryAttempts: c.deadLetterPolicy.maxDeliveryAttempts } : null,
    retryPolicy: c.retryPolicy ? { minBackoffMs: c.retryPolicy.minimumBackoffMs, maxBackoffMs: c.retryPolicy.maximumBackoffMs } : null,
    detached: false,
    fromConfig: true,
    createdAt: now,
    lastActiveAt: now,
  };
}

/** UpdateSubscription: the fields named by the mask, from `msg`. */
export function applySubscriptionUpdate(cur: SubscriptionRecord, msg: Obj, mask: unknown, project: string): SubscriptionRecord {
  const out = { ...cur };
  for (const p of maskPaths(mask)) {
    const field = `subscription.${p}`;
    switch (p) {
      case 'push_config':
        out.pushConfig = checkPushConfig(msg.pushConfig, field, cur.pushConfig);
        break;
      case 'ack_deadline_seconds':
        out.ackDeadlineSeconds = checkAckDeadline(msg.ackDeadlineSeconds, field);
        break;
      case 'retain_acked_messages':
        out.retainAckedMessages = Boolean(msg.retainAckedMessages);
        break;
      case 'message_retention_duration':
        out.messageRetentionMs = checkRetention(msg.messageRetentionDuration, field) ?? DEFAULT_RETENTION_MS;
        break;
      case 'labels':
        out.labels = checkLabels(msg.labels, field);
        break;
      case 'enable_exactly_once_delivery':
        out.enableExactlyOnceDelivery = Boolean(msg.enableExactlyOnceDelivery);
        break;
      case 'expiration_policy':
        out.expirationTtlMs = checkExpiration(msg.expirationPolicy, field);
        break;
      case 'dead_letter_policy':
        out.deadLetter = checkDeadLetter(msg.deadLetterPolicy, field, project);
        break;
      case 'retry_policy':
        out.retryPolicy = checkRetryPolicy(msg.retryPolicy, field);
        break;
      case 'filter':
      case 'bigquery_config':
      case 'cloud_storage_config':
      case 'bigtable_config':
      case 'message_transforms':
        refuseUnsupported(msg);
        break;
      default:
        throw invalidArgument(`Invalid update_mask provided in the UpdateSubscriptionRequest: the field "${p}" cannot be updated.`, 'update_mask');
    }
  }
  return out;
}

function pushConfigMessage(pc: PushConfigRecord | null): Obj {
  if (!pc) return {};
  return {
    pushEndpoint: pc.pushEndpoint,
    attributes: pc.attributes,
    ...(pc.oidcToken ? { oidcToken: { serviceAccountEmail: pc.oidcToken.serviceAccountEmail, ...(pc.oidcToken.audience ? { audience: pc.oidcToken.audience } : {}) } } : {}),
    ...(pc.noWrapper ? { noWrapper: pc.noWrapper.writeMetadata ? { writeMetadata: true } : {} } : {}),
  };
}

export function toSubscriptionMessage(s: SubscriptionRecord, project: string): Obj {
  return {
    name: subscriptionName(project, s.id),
    topic: s.topic === '' ? DELETED_TOPIC : topicName(project, s.topic),
    pushConfig: pushConfigMessage(s.pushConfig),
    ackDeadlineSeconds: s.ackDeadlineSeconds,
    ...(s.retainAckedMessages ? { retainAckedMessages: true } : {}),
    messageRetentionDuration: fromMs(s.messageRetentionMs),
    ...(Object.keys(s.labels).length ? { labels: s.labels } : {}),
    ...(s.enableMessageOrdering ? { enableMessageOrdering: true } : {}),
    expirationPolicy: s.expirationTtlMs === null ? {} : { ttl: fromMs(s.expirationTtlMs) },
    ...(s.deadLetter ? { deadLetterPolicy: { deadLetterTopic: topicName(project, s.deadLetter.topic), maxDeliveryAttempts: s.deadLetter.maxDeliveryAttempts } } : {}),
    ...(s.retryPolicy ? { retryPolicy: { minimumBackoff: fromMs(s.retryPolicy.minBackoffMs), maximumBackoff: fromMs(s.retryPolicy.maxBackoffMs) } } : {}),
    ...(s.detached ? { detached: true } : {}),
    ...(s.enableExactlyOnceDelivery ? { enableExactlyOnceDelivery: true } : {}),
    state: 'ACTIVE',
  };
}

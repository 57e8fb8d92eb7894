// Row ⇄ record mapping and the arithmetic both Pub/Sub stores share, so SQLite and PostgreSQL compute
// exactly the same thing: when a message is due again, and what a dead-lettered copy carries.

import { json, numOrNull, type Row } from './core-rows.js';
import type { DeadLetterContext, MessageRecord, NewMessage, RedeliveryPolicy, SubscriptionRecord, TopicRecord } from './pubsub-store.js';

export function topicFromRow(r: Row): TopicRecord {
  return {
    id: r.id as string,
    labels: json(r.labels),
    messageRetentionMs: numOrNull(r.message_retention_ms),
    fromConfig: Boolean(r.from_config),
    createdAt: Number(r.created_at),
  };
}

/** The settings column holds the record but its row-level fields (kept in columns for queries). */
type Settings = Omit<SubscriptionRecord, 'id' | 'topic' | 'detached' | 'fromConfig' | 'createdAt' | 'lastActiveAt'>;

export function subscriptionSettings(s: SubscriptionRecord): string {
  const { id: _id, topic: _topic, detached: _detached, fromConfig: _fromConfig, createdAt: _createdAt, lastActiveAt: _lastActiveAt, ...settings } = s;
  return JSON.stringify(settings satisfies Settings);
}

export function subscriptionFromRow(r: Row): SubscriptionRecord {
  return {
    ...json<Settings>(r.settings),
    id: r.id as string,
    topic: r.topic as string,
    detached: Boolean(r.detached),
    fromConfig: Boolean(r.from_config),
    createdAt: Number(r.created_at),
    lastActiveAt: Number(r.last_active_at),
  };
}

export function messageFromRow(r: Row): MessageRecord {
  return {
    seq: Number(r.seq),
    subscription: r.subscription as string,
    messageId: r.message_id as string,
    data: r.data as string,
    attributes: json(r.attributes),
    orderingKey: r.ordering_key as string,
    publishTime: Number(r.publish_time),
    attempts: Number(r.attempts),
    leaseId: (r.lease_id as string | null) ?? null,
    ackDeadline: numOrNull(r.ack_deadline),
    nextAt: Number(r.next_at),
    firstAttemptAt: numOrNull(r.first_attempt_at),
  };
}

/**
 * The wait before redelivering a message that failed its `attempts`-th delivery (a NACK, an expired
 * ack deadline, a failed push): retryPolicy's exponential backoff, minimumBackoff × multiplier^(n−1),
 * capped at maximumBackoff (pubsub.proto RetryPolicy: "Retry delay will be exponential based on
 * provided minimum and maximum backoffs"). No policy: at once.
 */
export function redeliveryDelayMs(policy: RedeliveryPolicy | null, attempts: number): number {
  if (!policy) return 0;
  const n = Math.max(1, attempts);
  const delay = policy.minBackoffMs * policy.multiplier ** (n - 1);
  return Math.min(policy.maxBackoffMs, Math.max(policy.minBackoffMs, Number.isFinite(delay) ? delay : policy.maxBackoffMs));
}

/** A message at `attempts` deliveries is dead-lettered instead of delivered again (REFERENCE §9, pubsub.proto DeadLetterPolicy). */
export const dueForDeadLetter = (s: SubscriptionRecord, attempts: number): boolean => s.deadLetter !== null && attempts >= s.deadLetter.maxDeliveryAttempts;

/**
 * The copy forwarded to the dead-letter topic: the message's data and attributes plus the attributes Pub/Sub
 * adds (names confirmed only through independent codebases, REFERENCE §9 PS11; the publish-time format is
 * authplane's choice: RFC 3339 with milliseconds).
 */
export function deadLetterCopy(m: MessageRecord, source: SubscriptionRecord, dl: DeadLetterContext): NewMessage {
  return {
    data: m.data,
    orderingKey: m.orderingKey,
    attributes: {
      ...m.attributes,
      CloudPubSubDeadLetterSourceDeliveryCount: String(m.attempts),
      CloudPubSubDeadLetterSourceSubscription: source.id,
      CloudPubSubDeadLetterSourceSubscriptionProject: dl.project,
      CloudPubSubDeadLetterSourceTopicPublishTime: new Date(m.publishTime).toISOString(),
    },
  };
}

/** The row values a new copy of `m` for `subscription` is inserted with (MESSAGE_INSERT_COLUMNS order). */
export const MESSAGE_INSERT_COLUMNS = ['subscription', 'message_id', 'data', 'attributes', 'ordering_key', 'publish_time', 'next_at'] as const;

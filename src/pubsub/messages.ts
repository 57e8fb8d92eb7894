// Messages on the wire: Publish's validation (Google's resource limits), ack IDs, ReceivedMessage, and
// the redelivery policy a subscription's retryPolicy stands for.

import { invalidArgument } from '../apis/errors.js';
import { fromMs, type Obj } from '../apis/proto.js';
import type { PubsubConfig } from '../config/types.js';
import type { AckRef, MessageRecord, NewMessage, RedeliveryPolicy, SubscriptionRecord } from '../store/pubsub-store.js';

// https://cloud.google.com/pubsub/quotas#resource_limits
const MAX_MESSAGES_PER_PUBLISH = 1000;
const MAX_PUBLISH_BYTES = 10 * 1000 * 1000;
const MAX_ATTRIBUTES = 100;
const MAX_ATTRIBUTE_KEY_BYTES = 256;
const MAX_ATTRIBUTE_VALUE_BYTES = 1024;
const MAX_ORDERING_KEY_BYTES = 1024;

/** Publish's messages, checked; data as base64. */
export function checkPublish(messages: unknown): NewMessage[] {
  const list = (messages ?? []) as Obj[];
  if (list.length === 0) throw invalidArgument('The request must contain at least one message.', 'messages');
  if (list.length > MAX_MESSAGES_PER_PUBLISH) throw invalidArgument(`The value for ${list.length} is too large. You passed message_count in the request, but the maximum value is ${MAX_MESSAGES_PER_PUBLISH}.`, 'messages');
  let bytes = 0;
  const orderingKeys = new Set<string>();
  const out = list.map((m, i): NewMessage => {
    const field = `messages[${i}]`;
    const data = (m.data as Buffer | undefined) ?? Buffer.alloc(0);
    const attributes = { ...((m.attributes as Record<string, string> | undefined) ?? {}) };
    const keys = Object.keys(attributes);
    if (data.length === 0 && keys.length === 0) {
      throw invalidArgument('One or more messages in the publish request is empty. Each message must contain either non-empty data, or at least one attribute.', field);
    }
    if (m.messageId || m.publishTime) throw invalidArgument('message_id and publish_time are set by the server: leave them out of Publish.', field);
    if (keys.length > MAX_ATTRIBUTES) throw invalidArgument(`Too many attributes: a message may carry at most ${MAX_ATTRIBUTES} (got ${keys.length}).`, `${field}.attributes`);
    for (const k of keys) {
      if (k.startsWith('goog')) throw invalidArgument(`The attribute key "${k}" is reserved: keys must not start with "goog".`, `${field}.attributes`);
      if (Buffer.byteLength(k) > MAX_ATTRIBUTE_KEY_BYTES || Buffer.byteLength(attributes[k]!) > MAX_ATTRIBUTE_VALUE_BYTES) {
        throw invalidArgument(`The attribute "${k.slice(0, 40)}" is too large: keys may hold ${MAX_ATTRIBUTE_KEY_BYTES} bytes, values ${MAX_ATTRIBUTE_VALUE_BYTES}.`, `${field}.attributes`);
      }
      bytes += Buffer.byteLength(k) + Buffer.byteLength(attributes[k]!);
    }
    const orderingKey = (m.orderingKey as string | undefined) ?? '';
    if (Buffer.byteLength(orderingKey) > MAX_ORDERING_KEY_BYTES) throw invalidArgument(`The ordering key is too large: at most ${MAX_ORDERING_KEY_BYTES} bytes.`, `${field}.ordering_key`);
    orderingKeys.add(orderingKey);
    bytes += data.length + orderingKey.length;
    return { data: data.toString('base64'), attributes, orderingKey };
  });
  if (bytes > MAX_PUBLISH_BYTES) throw invalidArgument(`The request is too large: publish requests may hold at most ${MAX_PUBLISH_BYTES} bytes.`, 'messages');
  // pubsub.proto PubsubMessage.ordering_key: "All PubsubMessages published in a given PublishRequest must specify the same ordering_key value."
  if (orderingKeys.size > 1) throw invalidArgument('All messages in a publish request must specify the same ordering_key.', 'messages');
  return out;
}

// Ack IDs: the message row and the delivery's lease, so only the latest delivery's acknowledgement counts.
const ACK_ID = /^(\d{1,18})\.([A-Za-z0-9_-]{12})$/;

export const ackId = (m: Pick<MessageRecord, 'seq' | 'leaseId'>): string => `${m.seq}.${m.leaseId}`;

/** Parses ack IDs; a malformed one is Google's INVALID_ARGUMENT. */
export function parseAckIds(ids: unknown, field: string): AckRef[] {
  return ((ids ?? []) as string[]).map((id) => {
    const m = ACK_ID.exec(id);
    if (!m) throw invalidArgument(`Invalid ack ID given (ack_id=${id.slice(0, 60)}): it is not an ack ID this emulator handed out.`, field);
    return { seq: Number(m[1]), leaseId: m[2]! };
  });
}

/** The PubsubMessage part of a delivery. */
export function pubsubMessage(m: MessageRecord): Obj {
  return {
    data: Buffer.from(m.data, 'base64'),
    ...(Object.keys(m.attributes).length ? { attributes: m.attributes } : {}),
    messageId: m.messageId,
    publishTime: fromMs(m.publishTime),
    ...(m.orderingKey ? { orderingKey: m.orderingKey } : {}),
  };
}

/** ReceivedMessage: `deliveryAttempt` only with a dead-letter policy (pubsub.proto: "If a DeadLetterPolicy is not set on the subscription, this will be 0"). */
export function receivedMessage(m: MessageRecord, s: SubscriptionRecord): Obj {
  return { ackId: ackId(m), message: pubsubMessage(m), ...(s.deadLetter ? { deliveryAttempt: m.attempts } : {}) };
}

/** The redelivery backoff of a pull subscription: its retryPolicy, or Google's default (as soon as possible). */
export function pullRedelivery(s: SubscriptionRecord, config: PubsubConfig): RedeliveryPolicy | null {
  return s.retryPolicy ? { ...s.retryPolicy, multiplier: config.backoffMultiplier } : null;
}

/** The redelivery backoff of a push subscription: its retryPolicy, or authplane's `pubsub.defaultPushBackoff`. */
export function pushRedelivery(s: SubscriptionRecord, config: PubsubConfig): RedeliveryPolicy {
  const p = s.retryPolicy ?? { minBackoffMs: config.defaultPushBackoff.minMs, maxBackoffMs: config.defaultPushBackoff.maxMs };
  return { ...p, multiplier: config.backoffMultiplier };
}

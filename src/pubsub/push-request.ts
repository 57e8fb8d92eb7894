// What a Pub/Sub push delivery sends (REFERENCE §9): a POST to pushConfig.pushEndpoint with the headers
// Google's push requests carry, and either the JSON envelope (the default "wrapped" form) or the message
// data itself (noWrapper). Pure: no I/O, so the wire format is tested apart from delivery.

import type { PushConfigRecord, MessageRecord, SubscriptionRecord } from '../store/pubsub-store.js';
import { subscriptionName } from './names.js';

/**
 * Headers recorded on push requests at Cloud Run and on Gmail → Pub/Sub pushes (REFERENCE §9 PS5, PS13);
 * Google's pages list none of them, but document APIs-Google as "the user agent used by Google APIs to
 * deliver push notification messages" (PS12).
 */
export const PUSH_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'application/json',
  accept: 'application/json',
  from: 'noreply@google.com',
  'user-agent': 'APIs-Google; (+https://developers.google.com/webmasters/APIs-Google.html)',
  'accept-encoding': 'gzip,deflate,br',
};

/** The same three headers on unwrapped deliveries; their Content-Type is not documented, so none is sent. */
const UNWRAPPED_HEADERS: Readonly<Record<string, string>> = {
  from: PUSH_HEADERS.from!,
  'user-agent': PUSH_HEADERS['user-agent']!,
  'accept-encoding': PUSH_HEADERS['accept-encoding']!,
};

/** RFC 3339 with milliseconds, as recorded push envelopes show publishTime (PS4). */
const publishTime = (ms: number): string => new Date(ms).toISOString();

/**
 * The wrapped body: both camelCase and snake_case copies of messageId and publishTime (recorded, PS3/PS4),
 * data in standard padded base64, attributes only when there are some, deliveryAttempt only with a
 * dead-letter policy (the proto's attempt count is 0 without one, and proto3 JSON omits zeros — PS1, PS3).
 * Whether Google adds orderingKey is unverified: authplane adds it when the message has one.
 */
export function pushEnvelope(m: MessageRecord, s: SubscriptionRecord, project: string): Record<string, unknown> {
  const time = publishTime(m.publishTime);
  return {
    ...(s.deadLetter ? { deliveryAttempt: m.attempts } : {}),
    message: {
      ...(Object.keys(m.attributes).length ? { attributes: m.attributes } : {}),
      data: m.data,
      messageId: m.messageId,
      message_id: m.messageId,
      ...(m.orderingKey ? { orderingKey: m.orderingKey } : {}),
      publishTime: time,
      publish_time: time,
    },
    subscription: subscriptionName(project, s.id),
  };
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
/** Headers the HTTP exchange itself owns: an attribute of that name is not sent. */
const RESERVED = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'authorization', 'x-authplane-internal']);

/**
 * An unwrapped delivery's headers. Only with writeMetadata do the message's attributes go out as `KEY: VAL`
 * headers and its metadata as `x-goog-pubsub-<KEY>: <VAL>`: pubsub.proto NoWrapper.write_metadata "When
 * true, writes the Pub/Sub message metadata to x-goog-pubsub-<KEY>:<VAL> headers of the HTTP request. Writes
 * the Pub/Sub message attributes to <KEY>:<VAL> headers of the HTTP request." (PS1); false or unset sends the
 * raw data only (payload-unwrapping page, PS6). The metadata key names below are authplane's reading of that
 * sentence — Google's exact header names are unverified. Attributes whose key or value cannot be an HTTP
 * header, or that name one the exchange owns (Host, Authorization, …), are left out.
 */
export function unwrappedHeaders(m: MessageRecord, s: SubscriptionRecord, project: string, writeMetadata: boolean): Record<string, string> {
  const headers: Record<string, string> = { ...UNWRAPPED_HEADERS };
  if (!writeMetadata) return headers;
  for (const [k, v] of Object.entries(m.attributes)) if (HEADER_NAME.test(k) && HEADER_VALUE.test(v) && !RESERVED.has(k.toLowerCase())) headers[k] = v;
  headers['x-goog-pubsub-message-id'] = m.messageId;
  headers['x-goog-pubsub-publish-time'] = publishTime(m.publishTime);
  headers['x-goog-pubsub-subscription-name'] = subscriptionName(project, s.id);
  if (m.orderingKey && HEADER_VALUE.test(m.orderingKey)) headers['x-goog-pubsub-ordering-key'] = m.orderingKey;
  if (s.deadLetter) headers['x-goog-pubsub-delivery-attempt'] = String(m.attempts);
  return headers;
}

export interface PushRequest {
  headers: Record<string, string>;
  body: Buffer;
}

/** The headers and body of one push delivery of `m` for subscription `s`. */
export function pushRequest(m: MessageRecord, s: SubscriptionRecord, pc: PushConfigRecord, project: string): PushRequest {
  if (pc.noWrapper) return { headers: unwrappedHeaders(m, s, project, pc.noWrapper.writeMetadata), body: Buffer.from(m.data, 'base64') };
  return { headers: { ...PUSH_HEADERS }, body: Buffer.from(JSON.stringify(pushEnvelope(m, s, project))) };
}

/** "Any of the following HTTP status codes is interpreted as success: 200, 201, 202, 204, or 102" (PS2). */
export const PUSH_ACK_STATUSES: readonly number[] = [102, 200, 201, 202, 204];

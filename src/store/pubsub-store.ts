// The Pub/Sub part of the store: topics, subscriptions, and each subscription's copy of every message
// published to its topic. SQLite (sqlite-pubsub.ts) and PostgreSQL (postgres-pubsub.ts) implement it and
// run the shared conformance suite; all times are epoch milliseconds.
//
// Lock state lives in the message row, as for tasks: a delivery (a pull, or a push attempt) gives the row
// a fresh `leaseId` and moves `nextAt` to when it may be delivered again if nobody acknowledges it (the
// ack deadline, plus the retry policy's backoff). Acknowledging deletes the row; a NACK or an expired
// deadline simply lets `nextAt` come due. A process that dies mid-delivery leaves a lease that expires:
// nothing is lost.

/** How long to wait before redelivering a message after its n-th failed delivery (retryPolicy). */
export interface RedeliveryPolicy {
  minBackoffMs: number;
  maxBackoffMs: number;
  /** Growth per failed delivery (Google does not publish it; authplane's `pubsub.backoffMultiplier`, default 2). */
  multiplier: number;
}

export interface PushConfigRecord {
  pushEndpoint: string;
  /** pushConfig.attributes (x-goog-version). */
  attributes: Record<string, string>;
  oidcToken?: { serviceAccountEmail: string; audience: string };
  /** Unwrapped delivery: the body is the message data. */
  noWrapper?: { writeMetadata: boolean };
}

export interface DeadLetterRecord {
  /** The dead-letter topic's ID. */
  topic: string;
  maxDeliveryAttempts: number;
}

export interface TopicRecord {
  /** The topic ID (last segment of projects/P/topics/ID). */
  id: string;
  labels: Record<string, string>;
  /** Topic.messageRetentionDuration; null = unset. */
  messageRetentionMs: number | null;
  /** Declared in authplane.yaml. */
  fromConfig: boolean;
  createdAt: number;
}

export interface SubscriptionRecord {
  id: string;
  /** The topic's ID; '' once the topic is deleted (shown as `_deleted-topic_`). */
  topic: string;
  /** null = a pull subscription. */
  pushConfig: PushConfigRecord | null;
  /** 10–600. */
  ackDeadlineSeconds: number;
  retainAckedMessages: boolean;
  messageRetentionMs: number;
  labels: Record<string, string>;
  enableMessageOrdering: boolean;
  enableExactlyOnceDelivery: boolean;
  /** expirationPolicy.ttl; null = never expires. */
  expirationTtlMs: number | null;
  filter: string;
  deadLetter: DeadLetterRecord | null;
  /** retryPolicy as given (null = Google's default policy). */
  retryPolicy: { minBackoffMs: number; maxBackoffMs: number } | null;
  detached: boolean;
  fromConfig: boolean;
  createdAt: number;
  /** Last pull, acknowledgement or successful push: expirationPolicy counts inactivity from it. */
  lastActiveAt: number;
}

export interface NewMessage {
  /** base64 of the data (may be ''). */
  data: string;
  attributes: Record<string, string>;
  orderingKey: string;
}

/** One subscription's copy of one message. */
export interface MessageRecord extends NewMessage {
  /** Store-wide sequence: the row's identity. */
  seq: number;
  subscription: string;
  messageId: string;
  publishTime: number;
  /** Deliveries so far (pulls handed out, push attempts made). */
  attempts: number;
  /** Set by each delivery; an acknowledgement must carry the current one. */
  leaseId: string | null;
  /** When the current delivery's ack deadline (or push attempt) expires. */
  ackDeadline: number | null;
  /** When the message may be delivered (again). */
  nextAt: number;
  firstAttemptAt: number | null;
}

/** One acknowledgement handle: the message row and the lease of the delivery being acknowledged. */
export interface AckRef {
  seq: number;
  leaseId: string;
}

export type CreateSubscriptionResult = 'created' | 'exists' | 'topic-missing' | 'dead-letter-topic-missing';

export interface PublishResult {
  messageIds: string[];
  /** Subscriptions that received a copy (to wake their consumers). */
  subscriptions: string[];
}

/** A message as a claim hands it out: under its new lease, with the time it had been due. */
export interface LeasedMessage extends MessageRecord {
  leaseId: string;
  dueAt: number;
}

/** How a claim leases a subscription's messages (decided from the subscription, which the claim reads). */
export interface ClaimTerms {
  /** The lease: the ack deadline (pull) or the push attempt's timeout plus a grace. */
  leaseMs: number;
  /** The backoff after the lease runs out unacknowledged; null = due again at once. */
  redelivery: RedeliveryPolicy | null;
}

/** What a delivery claim hands out. */
export interface Delivery {
  subscription: SubscriptionRecord;
  messages: LeasedMessage[];
  /** Messages forwarded to the dead-letter topic instead of delivered: the subscriptions that got them. */
  deadLettered: { count: number; subscriptions: string[] };
  /** When this subscription next has something due (epoch ms), or null. */
  wakeAt: number | null;
}

/** A push attempt's outcome, written back under the lease it was claimed with. */
export interface PushCompletion extends AckRef {
  subscription: string;
  /** acked = 102/200/201/202/204; retry = due again at nextAt; dead-letter = forward now. */
  outcome: 'acked' | 'retry' | 'dead-letter';
  nextAt: number;
}

/** Values of the CloudPubSubDeadLetterSource* attributes, and where forwarded copies go. */
export interface DeadLetterContext {
  /** The project the dead-letter attributes name (CloudPubSubDeadLetterSourceSubscriptionProject). */
  project: string;
}

export interface PubsubStore {
  // Topics ------------------------------------------------------------------
  createTopic(t: TopicRecord): Promise<'created' | 'exists'>;
  /** Inserts or refreshes a topic declared in config. */
  upsertConfigTopic(t: TopicRecord): Promise<void>;
  getTopic(id: string): Promise<TopicRecord | null>;
  listTopics(): Promise<TopicRecord[]>;
  updateTopic(t: TopicRecord): Promise<TopicRecord | null>;
  /** Deletes the topic; its subscriptions stay, detached from it (topic ''). */
  deleteTopic(id: string): Promise<boolean>;

  // Subscriptions -----------------------------------------------------------
  /** Inserts unless the ID is taken or the topic (or dead-letter topic) does not exist. */
  createSubscription(s: SubscriptionRecord): Promise<CreateSubscriptionResult>;
  /** Inserts or refreshes a subscription declared in config (the topic must exist). */
  upsertConfigSubscription(s: SubscriptionRecord): Promise<void>;
  getSubscription(id: string): Promise<SubscriptionRecord | null>;
  /** Every subscription, or those of one topic; by ID. */
  listSubscriptions(topic?: string): Promise<SubscriptionRecord[]>;
  /** Replaces a subscription's settings; null when it does not exist or its dead-letter topic does not. */
  updateSubscription(s: SubscriptionRecord): Promise<SubscriptionRecord | null | 'dead-letter-topic-missing'>;
  /** Deletes the subscription and its messages. */
  deleteSubscription(id: string): Promise<boolean>;
  /** Detaches it from its topic and drops its backlog (DetachSubscription). */
  detachSubscription(id: string): Promise<boolean>;

  // Messages ----------------------------------------------------------------
  /** Atomically: one copy of each message for every attached subscription of the topic; null if no such topic. */
  publish(topic: string, messages: NewMessage[], now: number): Promise<PublishResult | null>;
  /**
   * Atomically hands out up to `max` due messages of a subscription, each under a new lease until
   * now + `terms(subscription).leaseMs` (then due again after the redelivery backoff). Messages that
   * already had `deadLetter.maxDeliveryAttempts` deliveries go to the dead-letter topic instead. Terms
   * null: the subscription is not consumed this way (a pull subscription for the push dispatcher): nothing is leased.
   * Refreshes the subscription's activity time when `active`.
   */
  claim(subscription: string, now: number, max: number, terms: (s: SubscriptionRecord) => ClaimTerms | null, dl: DeadLetterContext, active: boolean): Promise<Delivery | null>;
  /** Acknowledges: deletes rows whose lease is current. Returns the refs that matched. */
  acknowledge(subscription: string, refs: AckRef[], now: number): Promise<AckRef[]>;
  /**
   * ModifyAckDeadline: a new deadline `seconds` from now (then due again after the backoff), or with 0
   * a NACK: due again after the backoff. Returns the refs that matched a current lease.
   */
  modifyAckDeadline(subscription: string, refs: AckRef[], seconds: number, now: number, redelivery: RedeliveryPolicy | null): Promise<AckRef[]>;
  /** Push outcomes (one transaction); completions whose lease was lost are ignored. Returns subscriptions that got dead-lettered copies. */
  completePush(results: PushCompletion[], now: number, dl: DeadLetterContext): Promise<string[]>;
  /** Messages waiting in a subscription (for the dashboard, tests and the bench); with `messageId`, copies of that message (0 or 1). */
  countMessages(subscription: string, messageId?: string): Promise<number>;
  /** Every subscription with something due at or before `now` (the dispatcher's safety sweep). */
  dueSubscriptions(now: number): Promise<string[]>;
  /**
   * Other processes' news (PostgreSQL LISTEN/NOTIFY): a subscription has messages due at `at`.
   * Absent on SQLite, where one process owns the file.
   */
  subscribe?(fn: (subscription: string, at: number) => void): Promise<() => Promise<void>>;
  /**
   * SQLite only: at start, every lease left behind by a push attempt of a dead process is due again now.
   * (Pull leases keep their ack deadlines: the client may still acknowledge them.)
   */
  releaseOrphanedPushLeases?(now: number): Promise<number>;
  /** Drops messages past their subscription's retention and subscriptions past their expiration TTL. Returns expired subscription IDs. */
  sweep(now: number): Promise<string[]>;
}

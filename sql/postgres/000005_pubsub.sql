-- Pub/Sub: topics, subscriptions, and each subscription's copy of every message (lock state in the row).
CREATE TABLE pubsub_topics (
  id TEXT PRIMARY KEY,
  labels JSONB NOT NULL,
  message_retention_ms BIGINT,
  from_config BOOLEAN NOT NULL DEFAULT false,
  created_at BIGINT NOT NULL
);

CREATE TABLE pubsub_subscriptions (
  id TEXT PRIMARY KEY,
  -- the topic ID, '' once the topic is deleted
  topic TEXT NOT NULL,
  push BOOLEAN NOT NULL,
  -- every other setting, as the SubscriptionRecord (JSON)
  settings JSONB NOT NULL,
  detached BOOLEAN NOT NULL DEFAULT false,
  from_config BOOLEAN NOT NULL DEFAULT false,
  created_at BIGINT NOT NULL,
  last_active_at BIGINT NOT NULL
);
CREATE INDEX pubsub_subscriptions_topic ON pubsub_subscriptions (topic);

-- Message IDs: one sequence for the emulator, so IDs are unique across topics.
CREATE SEQUENCE pubsub_message_ids;

CREATE TABLE pubsub_messages (
  seq BIGSERIAL PRIMARY KEY,
  subscription TEXT NOT NULL,
  message_id TEXT NOT NULL,
  data TEXT NOT NULL,
  attributes JSONB NOT NULL,
  ordering_key TEXT NOT NULL,
  publish_time BIGINT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  lease_id TEXT,
  ack_deadline BIGINT,
  next_at BIGINT NOT NULL,
  first_attempt_at BIGINT
);
CREATE INDEX pubsub_messages_due ON pubsub_messages (subscription, next_at);
CREATE INDEX pubsub_messages_published ON pubsub_messages (subscription, publish_time);

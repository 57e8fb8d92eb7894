-- Pub/Sub: topics, subscriptions, and each subscription's copy of every message (lock state in the row).
CREATE TABLE pubsub_topics (
  id TEXT PRIMARY KEY,
  labels TEXT NOT NULL,
  message_retention_ms INTEGER,
  from_config INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
);

CREATE TABLE pubsub_subscriptions (
  id TEXT PRIMARY KEY,
  -- the topic ID, '' once the topic is deleted
  topic TEXT NOT NULL,
  push INTEGER NOT NULL,
  -- every other setting, as the SubscriptionRecord (JSON)
  settings TEXT NOT NULL,
  detached INTEGER NOT NULL DEFAULT 0,
  from_config INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  last_active_at INTEGER NOT NULL
);
CREATE INDEX pubsub_subscriptions_topic ON pubsub_subscriptions (topic);

-- Message IDs: one counter for the emulator, so IDs are unique across topics.
CREATE TABLE pubsub_message_ids (id INTEGER PRIMARY KEY CHECK (id = 1), last INTEGER NOT NULL);
INSERT INTO pubsub_message_ids (id, last) VALUES (1, 0);

CREATE TABLE pubsub_messages (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  subscription TEXT NOT NULL,
  message_id TEXT NOT NULL,
  data TEXT NOT NULL,
  attributes TEXT NOT NULL,
  ordering_key TEXT NOT NULL,
  publish_time INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  lease_id TEXT,
  ack_deadline INTEGER,
  next_at INTEGER NOT NULL,
  first_attempt_at INTEGER
);
CREATE INDEX pubsub_messages_due ON pubsub_messages (subscription, next_at);
CREATE INDEX pubsub_messages_published ON pubsub_messages (subscription, publish_time);

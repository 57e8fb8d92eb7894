-- Cloud Scheduler: jobs (settings, and the execution's lock state in the row), and the attempts of Google's
-- callers other than Cloud Tasks (Scheduler jobs, Pub/Sub pushes) in one shared table.
CREATE TABLE scheduler_jobs (
  id TEXT PRIMARY KEY,
  project TEXT NOT NULL,
  location TEXT NOT NULL,
  description TEXT NOT NULL,
  http_target JSONB NOT NULL,
  schedule TEXT NOT NULL,
  time_zone TEXT NOT NULL,
  retry_count BIGINT NOT NULL,
  max_retry_duration_ms BIGINT NOT NULL,
  min_backoff_ms BIGINT NOT NULL,
  max_backoff_ms BIGINT NOT NULL,
  max_doublings BIGINT NOT NULL,
  attempt_deadline_ms BIGINT NOT NULL,
  -- ENABLED | PAUSED | DISABLED | UPDATE_FAILED
  state TEXT NOT NULL,
  from_config BOOLEAN NOT NULL DEFAULT FALSE,
  created_at BIGINT NOT NULL,
  user_update_time BIGINT NOT NULL,
  -- Bumped by every user change: an attempt claimed before one writes no schedule back.
  version BIGINT NOT NULL DEFAULT 1,
  -- The next run by the schedule; a pending retry of the current execution; the execution itself (JSON).
  schedule_time BIGINT NOT NULL,
  retry_at BIGINT,
  execution JSONB,
  lease_id TEXT,
  -- When the row is next due for a claim: min(retry_at, schedule_time), or the lease's expiry while leased.
  next_at BIGINT NOT NULL,
  last_attempt_time BIGINT,
  status JSONB
);
CREATE INDEX scheduler_jobs_due ON scheduler_jobs (next_at) WHERE state = 'ENABLED';

CREATE TABLE dispatch_attempts (
  seq BIGSERIAL PRIMARY KEY,
  -- cloudscheduler | pubsub
  product TEXT NOT NULL,
  -- The job ID, the subscription ID.
  resource TEXT NOT NULL,
  -- What within the resource: the execution's schedule time for a job, the message ID for a push.
  item TEXT NOT NULL,
  attempt BIGINT NOT NULL,
  schedule_time BIGINT NOT NULL,
  dispatch_time BIGINT NOT NULL,
  response_time BIGINT,
  http_status BIGINT,
  latency_ms DOUBLE PRECISION NOT NULL,
  denial TEXT,
  request_id TEXT,
  error TEXT,
  worker TEXT NOT NULL
);
CREATE INDEX dispatch_attempts_resource ON dispatch_attempts (product, resource, seq);
CREATE INDEX dispatch_attempts_time ON dispatch_attempts (dispatch_time);

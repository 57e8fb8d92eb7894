-- Cloud Tasks: queues (with their shared token bucket), tasks (lock state in the row), attempts.
CREATE TABLE task_queues (
  id TEXT PRIMARY KEY,
  project TEXT NOT NULL,
  location TEXT NOT NULL,
  state TEXT NOT NULL,
  max_dispatches_per_second DOUBLE PRECISION NOT NULL,
  max_burst_size BIGINT NOT NULL,
  max_concurrent_dispatches BIGINT NOT NULL,
  max_attempts BIGINT NOT NULL,
  max_retry_duration_ms BIGINT NOT NULL,
  min_backoff_ms BIGINT NOT NULL,
  max_backoff_ms BIGINT NOT NULL,
  max_doublings BIGINT NOT NULL,
  purge_time BIGINT,
  logging_sampling_ratio DOUBLE PRECISION,
  from_config BOOLEAN NOT NULL DEFAULT FALSE,
  created_at BIGINT NOT NULL,
  deleted_at BIGINT,
  -- The token bucket every process draws from: tokens as of tokens_at.
  tokens DOUBLE PRECISION NOT NULL,
  tokens_at BIGINT NOT NULL
);

CREATE TABLE tasks (
  seq BIGSERIAL PRIMARY KEY,
  queue TEXT NOT NULL,
  id TEXT NOT NULL,
  named BOOLEAN NOT NULL,
  http_request JSONB NOT NULL,
  schedule_time BIGINT NOT NULL,
  create_time BIGINT NOT NULL,
  dispatch_deadline_ms BIGINT NOT NULL,
  dispatch_count BIGINT NOT NULL DEFAULT 0,
  response_count BIGINT NOT NULL DEFAULT 0,
  execution_count BIGINT NOT NULL DEFAULT 0,
  first_attempt_at BIGINT,
  last_attempt JSONB,
  -- queued | done | failed | deleted (the last three are tombstones that keep the name reserved)
  state TEXT NOT NULL,
  lease_id TEXT,
  next_at BIGINT NOT NULL,
  finished_at BIGINT
);
CREATE UNIQUE INDEX tasks_name ON tasks (queue, id);
CREATE INDEX tasks_due ON tasks (queue, next_at) WHERE state = 'queued';
CREATE INDEX tasks_tombstones ON tasks (finished_at) WHERE state <> 'queued';

CREATE TABLE task_attempts (
  seq BIGSERIAL PRIMARY KEY,
  task_seq BIGINT NOT NULL,
  queue TEXT NOT NULL,
  task_id TEXT NOT NULL,
  attempt BIGINT NOT NULL,
  schedule_time BIGINT NOT NULL,
  dispatch_time BIGINT NOT NULL,
  response_time BIGINT,
  http_status BIGINT,
  latency_ms DOUBLE PRECISION NOT NULL,
  denial TEXT,
  error TEXT,
  worker TEXT NOT NULL
);
CREATE INDEX task_attempts_task ON task_attempts (queue, task_id, seq);
CREATE INDEX task_attempts_time ON task_attempts (dispatch_time);

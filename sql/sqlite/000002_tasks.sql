-- Cloud Tasks: queues (with their shared token bucket), tasks (lock state in the row), attempts.
CREATE TABLE task_queues (
  id TEXT PRIMARY KEY,
  project TEXT NOT NULL,
  location TEXT NOT NULL,
  state TEXT NOT NULL,
  max_dispatches_per_second REAL NOT NULL,
  max_burst_size INTEGER NOT NULL,
  max_concurrent_dispatches INTEGER NOT NULL,
  max_attempts INTEGER NOT NULL,
  max_retry_duration_ms INTEGER NOT NULL,
  min_backoff_ms INTEGER NOT NULL,
  max_backoff_ms INTEGER NOT NULL,
  max_doublings INTEGER NOT NULL,
  purge_time INTEGER,
  logging_sampling_ratio REAL,
  from_config INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  deleted_at INTEGER,
  -- The token bucket every process draws from: tokens as of tokens_at.
  tokens REAL NOT NULL,
  tokens_at INTEGER NOT NULL
);

CREATE TABLE tasks (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  queue TEXT NOT NULL,
  id TEXT NOT NULL,
  named INTEGER NOT NULL,
  http_request TEXT NOT NULL,
  schedule_time INTEGER NOT NULL,
  create_time INTEGER NOT NULL,
  dispatch_deadline_ms INTEGER NOT NULL,
  dispatch_count INTEGER NOT NULL DEFAULT 0,
  response_count INTEGER NOT NULL DEFAULT 0,
  execution_count INTEGER NOT NULL DEFAULT 0,
  first_attempt_at INTEGER,
  last_attempt TEXT,
  -- queued | done | failed | deleted (the last three are tombstones that keep the name reserved)
  state TEXT NOT NULL,
  lease_id TEXT,
  next_at INTEGER NOT NULL,
  finished_at INTEGER
);
CREATE UNIQUE INDEX tasks_name ON tasks (queue, id);
CREATE INDEX tasks_due ON tasks (queue, next_at) WHERE state = 'queued';
CREATE INDEX tasks_tombstones ON tasks (finished_at) WHERE state <> 'queued';

CREATE TABLE task_attempts (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  task_seq INTEGER NOT NULL,
  queue TEXT NOT NULL,
  task_id TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  schedule_time INTEGER NOT NULL,
  dispatch_time INTEGER NOT NULL,
  response_time INTEGER,
  http_status INTEGER,
  latency_ms REAL NOT NULL,
  denial TEXT,
  error TEXT,
  worker TEXT NOT NULL
);
CREATE INDEX task_attempts_task ON task_attempts (queue, task_id, seq);
CREATE INDEX task_attempts_time ON task_attempts (dispatch_time);

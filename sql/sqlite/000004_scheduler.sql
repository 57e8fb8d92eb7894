-- Cloud Scheduler: jobs (settings, and the execution's lock state in the row), and the attempts of Google's
-- callers other than Cloud Tasks (Scheduler jobs, Pub/Sub pushes) in one shared table.
CREATE TABLE scheduler_jobs (
  id TEXT PRIMARY KEY,
  project TEXT NOT NULL,
  location TEXT NOT NULL,
  description TEXT NOT NULL,
  http_target TEXT NOT NULL,
  schedule TEXT NOT NULL,
  time_zone TEXT NOT NULL,
  retry_count INTEGER NOT NULL,
  max_retry_duration_ms INTEGER NOT NULL,
  min_backoff_ms INTEGER NOT NULL,
  max_backoff_ms INTEGER NOT NULL,
  max_doublings INTEGER NOT NULL,
  attempt_deadline_ms INTEGER NOT NULL,
  -- ENABLED | PAUSED | DISABLED | UPDATE_FAILED
  state TEXT NOT NULL,
  from_config INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  user_update_time INTEGER NOT NULL,
  -- Bumped by every user change: an attempt claimed before one writes no schedule back.
  version INTEGER NOT NULL DEFAULT 1,
  -- The next run by the schedule; a pending retry of the current execution; the execution itself (JSON).
  schedule_time INTEGER NOT NULL,
  retry_at INTEGER,
  execution TEXT,
  lease_id TEXT,
  -- When the row is next due for a claim: min(retry_at, schedule_time), or the lease's expiry while leased.
  next_at INTEGER NOT NULL,
  last_attempt_time INTEGER,
  status TEXT
);
CREATE INDEX scheduler_jobs_due ON scheduler_jobs (next_at) WHERE state = 'ENABLED';

CREATE TABLE dispatch_attempts (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  -- cloudscheduler | pubsub
  product TEXT NOT NULL,
  -- The job ID, the subscription ID.
  resource TEXT NOT NULL,
  -- What within the resource: the execution's schedule time for a job, the message ID for a push.
  item TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  schedule_time INTEGER NOT NULL,
  dispatch_time INTEGER NOT NULL,
  response_time INTEGER,
  http_status INTEGER,
  latency_ms REAL NOT NULL,
  denial TEXT,
  request_id TEXT,
  error TEXT,
  worker TEXT NOT NULL
);
CREATE INDEX dispatch_attempts_resource ON dispatch_attempts (product, resource, seq);
CREATE INDEX dispatch_attempts_time ON dispatch_attempts (dispatch_time);

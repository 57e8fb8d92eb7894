-- Each attempt of a task keeps the front door's request id: its request-log entry explains the refusal.
ALTER TABLE task_attempts ADD COLUMN request_id TEXT;

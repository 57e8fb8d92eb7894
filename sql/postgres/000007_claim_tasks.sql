-- Cloud Tasks' claim (TaskStore.claim) as one server-side call: lock the queue row, refill its token bucket,
-- count the leases in flight, lease the due tasks, spend the tokens, and find when the queue is next due.
-- Sent from the client this took six round trips (BEGIN, four statements, COMMIT), and the queue row stayed
-- locked across all of them, so two processes claiming one queue waited on each other's network time; here
-- the lock lasts only the statements' own time. Each statement still takes a fresh snapshot (READ COMMITTED,
-- a VOLATILE function), so a claim that waited for the lock counts the leases the other one just took.
-- The bucket arithmetic is openBucket / claimable in src/store/task-rows.ts, operation for operation; the
-- queue row comes back as it was before the refill, and the caller computes the same bucket from it.
-- Measured numbers: src/store/postgres-tasks.ts, claim().
CREATE OR REPLACE FUNCTION authplane_claim_tasks(p_queue TEXT, p_now BIGINT, p_max INTEGER, p_lease TEXT, p_grace BIGINT)
RETURNS TABLE (queue_row JSONB, in_flight BIGINT, leased JSONB, next_due BIGINT)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  q task_queues;
  v_at BIGINT;
  v_tokens DOUBLE PRECISION;
  v_in_flight BIGINT;
  v_n BIGINT;
  v_leased JSONB;
  v_taken BIGINT;
  v_next BIGINT;
BEGIN
  SELECT * INTO q FROM task_queues WHERE id = p_queue FOR UPDATE;
  IF NOT FOUND THEN
    RETURN QUERY SELECT NULL::JSONB, 0::BIGINT, '[]'::JSONB, NULL::BIGINT;
    RETURN;
  END IF;
  IF q.deleted_at IS NOT NULL OR q.state <> 'RUNNING' THEN
    RETURN QUERY SELECT to_jsonb(q), 0::BIGINT, '[]'::JSONB, NULL::BIGINT;
    RETURN;
  END IF;
  -- openBucket: the bucket's clock never runs backwards.
  v_at := greatest(p_now, q.tokens_at);
  v_tokens := least(q.max_burst_size::DOUBLE PRECISION, q.tokens + (greatest(0, v_at - q.tokens_at) * q.max_dispatches_per_second) / 1000);
  SELECT count(*) INTO v_in_flight FROM tasks t WHERE t.queue = p_queue AND t.state = 'queued' AND t.lease_id IS NOT NULL AND t.next_at > p_now;
  -- claimable
  v_n := greatest(0, least(floor(v_tokens)::BIGINT, q.max_concurrent_dispatches - v_in_flight, p_max));
  WITH due AS (
    SELECT t.seq FROM tasks t WHERE t.queue = p_queue AND t.state = 'queued' AND t.next_at <= p_now ORDER BY t.next_at LIMIT v_n FOR UPDATE SKIP LOCKED
  ), upd AS (
    UPDATE tasks t SET lease_id = p_lease, next_at = p_now + t.dispatch_deadline_ms + p_grace, dispatch_count = t.dispatch_count + 1,
           first_attempt_at = coalesce(t.first_attempt_at, p_now)
    FROM due WHERE t.seq = due.seq
    RETURNING t.*
  )
  SELECT coalesce(jsonb_agg(to_jsonb(upd) ORDER BY upd.schedule_time), '[]'::JSONB), count(*) INTO v_leased, v_taken FROM upd;
  UPDATE task_queues SET tokens = v_tokens - v_taken, tokens_at = v_at WHERE id = p_queue;
  SELECT min(t.next_at) INTO v_next FROM tasks t WHERE t.queue = p_queue AND t.state = 'queued';
  RETURN QUERY SELECT to_jsonb(q), v_in_flight, v_leased, v_next;
END
$$;

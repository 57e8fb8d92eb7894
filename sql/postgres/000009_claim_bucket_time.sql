-- authplane_claim_tasks (000007) stamps a task's first attempt with the bucket's time, v_at, instead of the
-- caller's p_now. p_now is read before the call waits for the queue row's lock; when another process claimed
-- meanwhile, its tokens_at is later, and the tokens this claim spends are those of v_at = greatest(p_now,
-- tokens_at). Stamped with v_at, firstAttempt.dispatchTime is no earlier than the moment the tokens existed, so
-- the recorded dispatch times show the queue's rate limit exactly however long a claim waited for the lock
-- (test/tasks-postgres.test.ts checks the limit on them). Everything else is 000007's function unchanged.
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
           first_attempt_at = coalesce(t.first_attempt_at, v_at)
    FROM due WHERE t.seq = due.seq
    RETURNING t.*
  )
  SELECT coalesce(jsonb_agg(to_jsonb(upd) ORDER BY upd.schedule_time), '[]'::JSONB), count(*) INTO v_leased, v_taken FROM upd;
  UPDATE task_queues SET tokens = v_tokens - v_taken, tokens_at = v_at WHERE id = p_queue;
  SELECT min(t.next_at) INTO v_next FROM tasks t WHERE t.queue = p_queue AND t.state = 'queued';
  RETURN QUERY SELECT to_jsonb(q), v_in_flight, v_leased, v_next;
END
$$;

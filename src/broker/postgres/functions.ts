/**
 * The server-side functions of the Postgres broker (part of migration 1; a change to one is a new
 * migration with CREATE OR REPLACE). They exist to make the hot paths one round trip: a claim
 * promotes due jobs and claims queue by queue, a settle records a batch of outcomes, a heartbeat
 * reaps dead workers, each in one call whose statements run inside the server.
 *
 * Anything that ends a job others wait for (a workflow step with `next`) is left to the client,
 * which runs the shared rules of ../workflow.ts in one transaction (./workflow-steps.ts): the
 * fast paths here skip those jobs and report them as `deferred`.
 *
 * ASYNC. claim, the fast settle and heartbeat commit with synchronous_commit off: they return
 * without waiting for the WAL flush (about 1.5 ms per commit on these machines' disks, which would
 * otherwise bound a worker at a few hundred batches a second). Only a crash of the database server
 * (not a restart, whose shutdown checkpoint writes everything) can lose such a commit, within
 * wal_writer_delay: a lost claim leaves the job queued, a lost settle leaves it active until its
 * lease lapses; either way the job runs again, which at-least-once delivery already allows. An
 * enqueue is never asynchronous: a producer told "enqueued" keeps its job whatever happens.
 *
 * Channel: every change that makes work available or ends a job calls pg_notify on the broker's
 * channel (CHANNEL), which idle workers and result waiters LISTEN on (./change-listener.ts).
 */
/**
 * What a claim function returns (S.claim, and S.claim_or_park around it): a claimed job's fields,
 * whether it expired or is deferred to the client, and on a last row of its own (id NULL) the next
 * run time of the queues' delayed jobs. With the header every such function starts with.
 */
export const CLAIM_RETURNS = `RETURNS TABLE (id text, task text, queue text, payload text, attempt integer, max_attempts integer, token bigint,
                 priority integer, run_at bigint, created_at bigint, parent_id text, workflow_id text, headers text,
                 expired boolean, deferred boolean, next_run_at bigint)
  LANGUAGE plpgsql AS $fn$
  #variable_conflict use_column`

export const FUNCTIONS = `
  -- Promotes due jobs, then claims up to p_limit ready jobs queue by queue (in the order given,
  -- paused queues skipped) under a lease. Rows claimed past their deadline end 'expired' instead
  -- (flag expired), except workflow steps others wait for, which stay queued and come back with
  -- deferred = true for the client to expire with their cascade. When fewer jobs than asked were
  -- claimed, one last row with id NULL carries the earliest run time of the queues' delayed jobs.
  CREATE FUNCTION S.claim(p_worker text, p_queues text[], p_limit integer, p_lease_ms bigint)
  ${CLAIM_RETURNS}
  DECLARE
    v_now bigint := NOW_MS;
    v_left integer := p_limit;
    v_queue text;
    v_n integer;
    v_next bigint;
  BEGIN
    PERFORM set_config('synchronous_commit', 'off', true); -- see ASYNC above
    FOREACH v_queue IN ARRAY p_queues LOOP
      EXIT WHEN v_left <= 0;
      CONTINUE WHEN EXISTS (SELECT 1 FROM S.queues q WHERE q.name = v_queue AND q.paused);
      -- SKIP LOCKED: workers promoting the same queue at once split the due jobs between them.
      UPDATE S.jobs j SET state = 'queued'
      WHERE j.id IN (SELECT d.id FROM S.jobs d WHERE d.state = 'scheduled' AND d.queue = v_queue AND d.run_at <= v_now
                     ORDER BY d.run_at LIMIT 10000 FOR UPDATE SKIP LOCKED);
      RETURN QUERY
        WITH picked AS (
          SELECT r.id, (r.expires_at IS NOT NULL AND r.expires_at <= v_now) AS late, r.next IS NOT NULL AS has_next
          FROM S.jobs r WHERE r.state = 'queued' AND r.queue = v_queue
          ORDER BY r.priority DESC, r.run_at, r.seq LIMIT v_left FOR UPDATE SKIP LOCKED
        ), claimed AS (
          UPDATE S.jobs j SET
            state = CASE WHEN p.late THEN 'expired' ELSE 'active' END,
            attempt = CASE WHEN p.late THEN j.attempt ELSE j.attempt + 1 END,
            token = j.token + 1,
            started_at = CASE WHEN p.late THEN NULL ELSE v_now END,
            finished_at = CASE WHEN p.late THEN v_now ELSE NULL END,
            lease_until = CASE WHEN p.late THEN NULL ELSE v_now + p_lease_ms END,
            worker_id = p_worker
          FROM picked p WHERE j.id = p.id AND NOT (p.late AND p.has_next)
          RETURNING j.id, j.task, j.queue, j.payload, j.attempt, j.max_attempts, j.token, j.priority, j.run_at,
                    j.created_at, j.parent_id, j.workflow_id, j.headers, p.late, false, NULL::bigint
        )
        SELECT * FROM claimed
        UNION ALL
        SELECT p.id, NULL, v_queue, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, true, true, NULL
        FROM picked p WHERE p.late AND p.has_next;
      GET DIAGNOSTICS v_n = ROW_COUNT;
      v_left := v_left - v_n;
    END LOOP;
    IF v_left > 0 THEN
      SELECT min(n.at) INTO v_next FROM unnest(p_queues) AS q(name),
        LATERAL (SELECT d.run_at AS at FROM S.jobs d WHERE d.state = 'scheduled' AND d.queue = q.name ORDER BY d.run_at LIMIT 1) n;
      RETURN QUERY SELECT NULL::text, NULL::text, NULL::text, NULL::text, NULL::integer, NULL::integer, NULL::bigint, NULL::integer,
                          NULL::bigint, NULL::bigint, NULL::text, NULL::text, NULL::text, false, false, v_next;
    END IF;
  END
  $fn$;

  -- Records a batch of outcomes (parallel arrays, one entry per outcome). Each is applied only
  -- while its token is the job's current lease (state active, same token): that is the fencing.
  -- Returns one row per accepted outcome, and with p_fast one row flagged deferred per outcome
  -- that would end a workflow step others wait for (left untouched for the client's transaction).
  CREATE FUNCTION S.settle(p_ids text[], p_tokens bigint[], p_kinds text[], p_results text[], p_errors text[],
                           p_run_ats bigint[], p_result_expires bigint[], p_fast boolean)
  RETURNS TABLE (ord bigint, id text, queue text, state text, deferred boolean)
  LANGUAGE plpgsql AS $fn$
  #variable_conflict use_column
  DECLARE
    v_now bigint := NOW_MS;
    v_changed integer;
  BEGIN
    -- Asynchronous commit for the fast path only (see ASYNC above); the slow path ends workflow
    -- steps and starts others, and waits for its commit to be durable.
    IF p_fast THEN PERFORM set_config('synchronous_commit', 'off', true); END IF;
    RETURN QUERY
      WITH o AS (
        SELECT u.*, (u.kind IN ('succeeded', 'cancelled') OR (u.kind = 'failed' AND u.run_at IS NULL)) AS ends
        FROM unnest(p_ids, p_tokens, p_kinds, p_results, p_errors, p_run_ats, p_result_expires)
             WITH ORDINALITY AS u(id, token, kind, result, error, run_at, result_expires_at, ord)
      )
      UPDATE S.jobs j SET
        state = CASE o.kind
                  WHEN 'succeeded' THEN 'succeeded'
                  WHEN 'failed' THEN CASE WHEN o.run_at IS NULL THEN 'failed' ELSE 'scheduled' END
                  WHEN 'retry' THEN 'scheduled'
                  WHEN 'released' THEN CASE WHEN coalesce(o.run_at, 0) > v_now THEN 'scheduled' ELSE 'queued' END
                  ELSE 'cancelled' END,
        result = CASE WHEN o.kind = 'succeeded' THEN o.result ELSE j.result END,
        result_expires_at = CASE WHEN o.kind = 'succeeded' THEN o.result_expires_at ELSE j.result_expires_at END,
        error = CASE WHEN o.kind IN ('failed', 'cancelled') THEN o.error ELSE j.error END,
        errors = CASE WHEN o.kind = 'failed' THEN (coalesce(j.errors, '[]')::jsonb || jsonb_build_array(o.error::jsonb))::text ELSE j.errors END,
        finished_at = CASE WHEN o.ends THEN v_now ELSE j.finished_at END,
        run_at = CASE WHEN o.kind IN ('failed', 'retry') AND o.run_at IS NOT NULL THEN o.run_at
                      WHEN o.kind = 'released' THEN greatest(j.run_at, coalesce(o.run_at, 0)) ELSE j.run_at END,
        attempt = CASE WHEN o.kind = 'released' THEN j.attempt - 1 ELSE j.attempt END,
        started_at = CASE WHEN o.kind = 'released' THEN NULL ELSE j.started_at END,
        lease_until = NULL
      FROM o
      WHERE j.id = o.id AND j.token = o.token AND j.state = 'active' AND NOT (p_fast AND o.ends AND j.next IS NOT NULL)
      RETURNING o.ord, j.id, j.queue, j.state, false;
    GET DIAGNOSTICS v_changed = ROW_COUNT;
    IF v_changed > 0 THEN PERFORM pg_notify('CHANNEL', ''); END IF;
    -- Some outcomes not applied: stale leases, or workflow steps left for the client's
    -- transaction. Only the second kind is still active under the token given: report those.
    IF p_fast AND v_changed < coalesce(array_length(p_ids, 1), 0) THEN
      RETURN QUERY
        SELECT u.ord, u.id, j.queue, j.state, true
        FROM unnest(p_ids, p_tokens, p_kinds, p_run_ats) WITH ORDINALITY AS u(id, token, kind, run_at, ord)
        JOIN S.jobs j ON j.id = u.id
        WHERE (u.kind IN ('succeeded', 'cancelled') OR (u.kind = 'failed' AND u.run_at IS NULL))
          AND j.next IS NOT NULL AND j.token = u.token AND j.state = 'active';
    END IF;
  END
  $fn$;

  -- Records a heartbeat (upsert). With p_reap_ms, in the same transaction, workers not heard
  -- from for that long by the database's clock are dead: their running jobs go back to the queue
  -- without counting the attempt (the token stays, so a worker that was only paused cannot
  -- complete them), and their records go. Returns those reaped.
  CREATE FUNCTION S.heartbeat(p_id text, p_info text, p_reap_ms bigint)
  RETURNS TABLE (info text, requeued integer)
  LANGUAGE plpgsql AS $fn$
  #variable_conflict use_column
  DECLARE
    v_now bigint := NOW_MS;
    v_dead record;
    v_n integer;
    v_any boolean := false;
  BEGIN
    PERFORM set_config('synchronous_commit', 'off', true); -- see ASYNC above
    INSERT INTO S.workers (id, info, beat_at) VALUES (p_id, p_info, v_now)
    ON CONFLICT (id) DO UPDATE SET info = excluded.info, beat_at = excluded.beat_at;
    IF p_reap_ms IS NULL OR p_reap_ms <= 0 THEN RETURN; END IF;
    -- SKIP LOCKED: two live workers reaping at once take different dead ones.
    FOR v_dead IN SELECT w.id, w.info FROM S.workers w WHERE w.beat_at < v_now - p_reap_ms AND w.id <> p_id FOR UPDATE SKIP LOCKED LOOP
      UPDATE S.jobs j SET state = 'queued', attempt = j.attempt - 1, lease_until = NULL, started_at = NULL
      WHERE j.state = 'active' AND j.worker_id = v_dead.id;
      GET DIAGNOSTICS v_n = ROW_COUNT;
      DELETE FROM S.workers w WHERE w.id = v_dead.id;
      IF v_n > 0 THEN v_any := true; END IF;
      info := v_dead.info;
      requeued := v_n;
      RETURN NEXT;
    END LOOP;
    IF v_any THEN PERFORM pg_notify('CHANNEL', ''); END IF;
  END
  $fn$;

  -- Rate limiting (GCRA, strict spacing): grants one start when the key's theoretical arrival
  -- time has come, and moves it one interval on. The row lock serialises takers of one key.
  CREATE FUNCTION S.take_rate_tokens(p_key text, p_interval bigint, p_n integer)
  RETURNS TABLE (granted integer, next_at bigint)
  LANGUAGE plpgsql AS $fn$
  #variable_conflict use_column
  DECLARE
    v_now bigint := NOW_MS;
    v_tat bigint;
  BEGIN
    INSERT INTO S.rate_limits (key, tat) VALUES (p_key, 0) ON CONFLICT (key) DO NOTHING;
    SELECT greatest(r.tat, v_now) INTO v_tat FROM S.rate_limits r WHERE r.key = p_key FOR UPDATE;
    IF p_n > 0 AND v_tat <= v_now THEN
      UPDATE S.rate_limits r SET tat = v_tat + p_interval WHERE r.key = p_key;
      RETURN QUERY SELECT 1, v_tat + p_interval;
    ELSE
      RETURN QUERY SELECT 0, v_tat;
    END IF;
  END
  $fn$;
`

import { CLAIM_RETURNS } from './functions.js'

/**
 * Migration 2: the claim function (./functions.ts) planned once per connection, not at every call.
 *
 * PL/pgSQL caches a plan per statement, but re-plans at every call while the plan for the actual
 * values looks cheaper than the generic one, and with `LIMIT p_limit` it always does: planning
 * the claim's statements cost about 0.3 ms of every call (an empty claim: 0.64 ms, against
 * 0.33 ms planned once, and SELECT 1 is 0.30 ms here), a third of an idle worker's
 * enqueue-to-start. So the function runs with plan_cache_mode = force_generic_plan, and its
 * statements are written so that the generic plan (made without the values, with estimates that
 * may say a LIMIT takes a tenth of the queue) can only be the index lookups they are meant to be:
 * the rows to update are found by `id = ANY (ARRAY(...))` of the ids picked, a probe of the
 * primary key per id whatever the estimate (joined to the picked rows instead, the generic plan
 * for a table of 200,000 queued jobs hashed the whole table: 136 ms for a claim of 250). Whether
 * a job is past its deadline is read from the locked row itself, as `picked` read it.
 */
export const CLAIM_PLANNED_ONCE = claimFunction('j.token + 1')

/**
 * Migration 4: a claim's fencing token is never issued twice, even across a crash of the database
 * server. A claim commits asynchronously (ASYNC in ./functions.ts), so a crash may lose it: the
 * job is queued again with its old token t, while the worker that claimed it runs it holding t + 1.
 * Were the next claim to issue t + 1 again, that worker's completion would be taken as the new
 * holder's. So a claim's token is also at least the database's clock in ms: recovery takes far
 * longer than a millisecond, so every token issued after a crash is above every token issued
 * before it (a job claimed more than once a millisecond only runs its token a few ahead).
 */
export const CLAIM_TOKEN_PAST_CRASHES = claimFunction('greatest(j.token + 1, v_now)')

/** The claim function, with `token` the expression that makes a claim's fencing token. */
function claimFunction(token: string): string {
  return `
  -- Promotes due jobs, then claims up to p_limit ready jobs queue by queue (in the order given,
  -- paused queues skipped) under a lease. Rows claimed past their deadline end 'expired' instead
  -- (flag expired), except workflow steps others wait for, which stay queued and come back with
  -- deferred = true for the client to expire with their cascade. When fewer jobs than asked were
  -- claimed, one last row with id NULL carries the earliest run time of the queues' delayed jobs.
  CREATE OR REPLACE FUNCTION S.claim(p_worker text, p_queues text[], p_limit integer, p_lease_ms bigint)
  ${CLAIM_RETURNS}
  DECLARE
    v_now bigint := NOW_MS;
    v_left integer := p_limit;
    v_queue text;
    v_n integer;
    v_next bigint;
  BEGIN
    PERFORM set_config('synchronous_commit', 'off', true); -- see ASYNC in ./functions.ts
    FOREACH v_queue IN ARRAY p_queues LOOP
      EXIT WHEN v_left <= 0;
      CONTINUE WHEN EXISTS (SELECT 1 FROM S.queues q WHERE q.name = v_queue AND q.paused);
      -- SKIP LOCKED: workers promoting the same queue at once split the due jobs between them.
      UPDATE S.jobs j SET state = 'queued'
      WHERE j.id = ANY (ARRAY(SELECT d.id FROM S.jobs d WHERE d.state = 'scheduled' AND d.queue = v_queue AND d.run_at <= v_now
                              ORDER BY d.run_at LIMIT 10000 FOR UPDATE SKIP LOCKED));
      RETURN QUERY
        WITH picked AS (
          SELECT r.id, (r.expires_at IS NOT NULL AND r.expires_at <= v_now) AS late, r.next IS NOT NULL AS has_next
          FROM S.jobs r WHERE r.state = 'queued' AND r.queue = v_queue
          ORDER BY r.priority DESC, r.run_at, r.seq LIMIT v_left FOR UPDATE SKIP LOCKED
        ), claimed AS (
          UPDATE S.jobs j SET
            state = CASE WHEN (j.expires_at IS NOT NULL AND j.expires_at <= v_now) THEN 'expired' ELSE 'active' END,
            attempt = CASE WHEN (j.expires_at IS NOT NULL AND j.expires_at <= v_now) THEN j.attempt ELSE j.attempt + 1 END,
            token = ${token},
            started_at = CASE WHEN (j.expires_at IS NOT NULL AND j.expires_at <= v_now) THEN NULL ELSE v_now END,
            finished_at = CASE WHEN (j.expires_at IS NOT NULL AND j.expires_at <= v_now) THEN v_now ELSE NULL END,
            lease_until = CASE WHEN (j.expires_at IS NOT NULL AND j.expires_at <= v_now) THEN NULL ELSE v_now + p_lease_ms END,
            worker_id = p_worker
          WHERE j.id = ANY (ARRAY(SELECT p.id FROM picked p WHERE NOT (p.late AND p.has_next)))
          RETURNING j.id, j.task, j.queue, j.payload, j.attempt, j.max_attempts, j.token, j.priority, j.run_at,
                    j.created_at, j.parent_id, j.workflow_id, j.headers, j.state = 'expired', false, NULL::bigint
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
  ALTER FUNCTION S.claim(text, text[], integer, bigint) SET plan_cache_mode = force_generic_plan;
`
}

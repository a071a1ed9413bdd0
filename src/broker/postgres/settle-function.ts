/**
 * Migration 2: the settle function (./functions.ts) finds the jobs it settles by primary key.
 *
 * Its UPDATE joined the batch to jobs on `id = o.id AND state = 'active'`, and the planner could
 * read that second test as "scan jobs_active": with statistics that say few jobs are active (they
 * are few, concurrency x workers) it chose a bitmap scan of the whole jobs_active index and a hash
 * join. But a partial index keeps an entry for every job that was ever active until VACUUM removes
 * it, so mid-drain that scan visited tens of thousands of dead entries and their heap pages to find
 * the 250 jobs of one batch (EXPLAIN ANALYZE after 25,000 jobs: 26,000 entries, 1,251 heap pages,
 * 5.3 ms for the statement; by primary key: 250 probes, 3.6 ms, and not growing with the drain).
 * Written `state COLLATE "C" = 'active'` (the same test: equality of text is byte equality under
 * any deterministic collation) the condition no longer implies the index's predicate, so the only
 * index left for the join is the primary key, one probe per outcome.
 */
export const SETTLE_BY_ID = `
  -- Records a batch of outcomes (parallel arrays, one entry per outcome). Each is applied only
  -- while its token is the job's current lease (state active, same token): that is the fencing.
  -- Returns one row per accepted outcome, and with p_fast one row flagged deferred per outcome
  -- that would end a workflow step others wait for (left untouched for the client's transaction).
  CREATE OR REPLACE FUNCTION S.settle(p_ids text[], p_tokens bigint[], p_kinds text[], p_results text[], p_errors text[],
                           p_run_ats bigint[], p_result_expires bigint[], p_fast boolean)
  RETURNS TABLE (ord bigint, id text, queue text, state text, deferred boolean)
  LANGUAGE plpgsql AS $fn$
  #variable_conflict use_column
  DECLARE
    v_now bigint := NOW_MS;
    v_changed integer;
  BEGIN
    -- Asynchronous commit for the fast path only (see ASYNC in ./functions.ts); the slow path ends workflow
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
      -- state COLLATE "C": the same test, which the planner cannot match to jobs_active's predicate
      -- (see ./settle-function.ts).
      WHERE j.id = o.id AND j.token = o.token AND j.state COLLATE "C" = 'active' AND NOT (p_fast AND o.ends AND j.next IS NOT NULL)
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
          AND j.next IS NOT NULL AND j.token = u.token AND j.state COLLATE "C" = 'active';
    END IF;
  END
  $fn$;
  -- Planned once per connection (see ./claim-function.ts): its generic plan is the same probe of the
  -- primary key per outcome (unnest's length unknown, the join is estimated at ten rows).
  ALTER FUNCTION S.settle(text[], bigint[], text[], text[], text[], bigint[], bigint[], boolean) SET plan_cache_mode = force_generic_plan;
`

import { CLAIM_RETURNS } from './functions.js'

/**
 * Migration 3: enqueue-to-start without a claim round trip (the Postgres twin of the Redis
 * broker's hand-off, ../redis/scripts/handoff-lib.lua.ts).
 *
 * Measured on an idle worker (docs/benchmarks.md, "Postgres hand-off"): of 3.4 ms from the
 * enqueue call to the task's start, 1.3 ms were the enqueue's own durable commit and 1.1 ms the
 * claim the worker sent once NOTIFY woke it. So a claim that leaves slots free PARKS its worker
 * (S.parked: its queues, slots left, lease), and an enqueue of one job into a queue with nothing
 * ready before it takes a parked worker and inserts the job already leased to it (state active,
 * attempt 1, token 1, a lease, worker_id), in the enqueue's own transaction, whose commit is
 * durable as every enqueue's is. Its NOTIFY carries the job, in the claim's format, addressed to
 * that worker (`h` U+001F worker U+001F job), so the worker starts it with no statement at all.
 *
 * Nothing is lost and fencing is the claim's: a handed job is an active job with a lease and a
 * token like any claimed one (settle and renew check the token). S.handed records each hand-off
 * in the same transaction, and is the worker's inbox should the notification never arrive (the
 * LISTEN connection dropped): the worker's next claim returns the handed jobs it was not given
 * yet (p_delivered names those it was) and forgets them. A worker that dies leaves its handed
 * jobs to lease recovery or to the reaper, like its claimed ones; a parking not renewed for 15 s,
 * or whose worker's heartbeat is 3 s old, gets nothing more (an idle worker claims every 5 s).
 *
 * Slots stay exact: a claim locks its worker's parking first, so a hand-off racing it either
 * committed before (the claim sees its S.handed row and counts it) or skips this worker (SKIP
 * LOCKED) and leaves its job queued for a claim.
 */
export const HAND_OFF = `
  CREATE TABLE S.parked (
    worker_id text PRIMARY KEY,
    queues    text[] NOT NULL,
    slots     integer NOT NULL,
    lease_ms  bigint NOT NULL,
    at        bigint NOT NULL
  );
  CREATE TABLE S.handed (
    worker_id text NOT NULL,
    job_id    text NOT NULL,
    token     bigint NOT NULL,
    PRIMARY KEY (worker_id, job_id)
  );
  -- A worker's record removed (it stopped, or was reaped): its parking and inbox go with it.
  CREATE FUNCTION S.forget_parking() RETURNS trigger LANGUAGE plpgsql AS $fn$
  BEGIN
    DELETE FROM S.parked WHERE worker_id = OLD.id;
    DELETE FROM S.handed WHERE worker_id = OLD.id;
    RETURN NULL;
  END
  $fn$;
  CREATE TRIGGER workers_forget_parking AFTER DELETE ON S.workers FOR EACH ROW EXECUTE FUNCTION S.forget_parking();

  -- S.claim (./claim-function.ts) with the hand-off around it: first the handed jobs this worker
  -- was not given yet (flagged next_run_at = -1), then the claim for the slots left, then the
  -- parking: with slots left and p_park (the worker listens), parked with that many; else unparked.
  CREATE FUNCTION S.claim_or_park(p_worker text, p_queues text[], p_limit integer, p_lease_ms bigint, p_park boolean, p_delivered text[])
  ${CLAIM_RETURNS}
  DECLARE
    v_left integer := p_limit;
    v_n integer;
    v_parked boolean;
  BEGIN
    PERFORM set_config('synchronous_commit', 'off', true); -- as S.claim (ASYNC in ./functions.ts)
    -- Waits for a hand-off to this worker in flight; later ones skip it until this commits.
    PERFORM 1 FROM S.parked p WHERE p.worker_id = p_worker FOR UPDATE;
    v_parked := FOUND;
    IF v_parked OR p_delivered IS NOT NULL THEN
      RETURN QUERY
        WITH h AS (DELETE FROM S.handed h WHERE h.worker_id = p_worker RETURNING h.job_id, h.token)
        SELECT j.id, j.task, j.queue, j.payload, j.attempt, j.max_attempts, j.token, j.priority, j.run_at,
               j.created_at, j.parent_id, j.workflow_id, j.headers, false, false, -1::bigint
        FROM h JOIN S.jobs j ON j.id = h.job_id
        WHERE j.token = h.token AND j.state COLLATE "C" = 'active' AND h.job_id <> ALL (coalesce(p_delivered, '{}'));
      GET DIAGNOSTICS v_n = ROW_COUNT;
      v_left := v_left - v_n;
    END IF;
    IF v_left > 0 THEN
      RETURN QUERY SELECT * FROM S.claim(p_worker, p_queues, v_left, p_lease_ms);
      -- S.claim's last row (id NULL) comes only when it got fewer jobs than asked.
      GET DIAGNOSTICS v_n = ROW_COUNT;
      IF v_n < v_left THEN v_left := v_left - (v_n - 1); ELSE v_left := 0; END IF;
    END IF;
    IF p_park AND v_left > 0 THEN
      INSERT INTO S.parked AS p (worker_id, queues, slots, lease_ms, at) VALUES (p_worker, p_queues, v_left, p_lease_ms, NOW_MS)
      ON CONFLICT (worker_id) DO UPDATE SET queues = excluded.queues, slots = excluded.slots, lease_ms = excluded.lease_ms, at = excluded.at;
    ELSIF v_parked THEN
      DELETE FROM S.parked p WHERE p.worker_id = p_worker;
    END IF;
  END
  $fn$;
  ALTER FUNCTION S.claim_or_park(text, text[], integer, bigint, boolean, text[]) SET plan_cache_mode = force_generic_plan;

  -- The worker claims no more: unparked (waiting for a hand-off in flight), and the jobs handed to
  -- it that it was not given (all but p_delivered) go back to the queue, the attempt not counted.
  CREATE FUNCTION S.unpark(p_worker text, p_delivered text[]) RETURNS integer LANGUAGE plpgsql AS $fn$
  DECLARE
    v_n integer;
  BEGIN
    DELETE FROM S.parked p WHERE p.worker_id = p_worker;
    WITH h AS (DELETE FROM S.handed h WHERE h.worker_id = p_worker RETURNING h.job_id, h.token)
    UPDATE S.jobs j SET state = 'queued', attempt = j.attempt - 1, lease_until = NULL, started_at = NULL
    FROM h WHERE j.id = h.job_id AND j.token = h.token AND j.state = 'active' AND h.job_id <> ALL (coalesce(p_delivered, '{}'));
    GET DIAGNOSTICS v_n = ROW_COUNT;
    IF v_n > 0 THEN PERFORM pg_notify('CHANNEL', ''); END IF;
    RETURN v_n;
  END
  $fn$;
`

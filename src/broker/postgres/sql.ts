import { FUNCTIONS } from './functions.js'
import { MIGRATIONS } from './migrations.js'

/**
 * Every SQL statement the Postgres broker sends, in one place (the server-side functions are in
 * ./functions.ts, the tables in ./migrations.ts). `S` is the schema, NOW_MS the database clock
 * in epoch ms, CHANNEL the LISTEN/NOTIFY channel; sqlFor() substitutes them once per broker.
 * Writes that touch a lease check `token` and `state = 'active'`: that is the fencing.
 *
 * Batches travel as parallel arrays expanded by unnest(): one statement (and one round trip)
 * however many jobs, with a fixed text the server plans once per connection.
 */
const NOW_MS = `(extract(epoch from statement_timestamp()) * 1000)::bigint`
/** A job that did not end because a workflow step before it failed (see ../workflow.ts). */
const NOT_DEP_FAILED = `coalesce(error::jsonb ->> 'name', '') <> 'DependencyFailed'`

/** Retention's guard: not a step of a workflow whose join still waits (a waiting step needs their results). */
const KEEP_RUNNING_WORKFLOWS = `(j.workflow_id IS NULL OR j.workflow_id = j.id
  OR (SELECT w.state FROM S.jobs w WHERE w.id = j.workflow_id) IS DISTINCT FROM 'waiting')`

/** Columns a listing or getJob reads (what ../job-json.ts's StoredJob needs). */
export const JOB_COLUMNS = `id, task, queue, state, payload, priority, attempt, max_attempts, created_at, run_at, started_at,
  finished_at, result, error, errors, progress, parent_id, key, workflow_id, depends_on, headers`

/**
 * The INSERT of a batch of jobs from parallel arrays, one per column ($1 ids … $19 headers, see
 * ./job-params.ts). An array passed as NULL (a column no job of the batch sets) is read as all
 * NULLs: unnest() pads it. `conflict`: the ON CONFLICT clause, or nothing.
 */
function insertJobs(conflict: string): string {
  return `
      INSERT INTO S.jobs (id, task, queue, state, payload, priority, max_attempts, created_at, run_at, key, parent_id, expires_at,
                          workflow_id, depends_on, next, input, on_dep_failure, is_join, delay_ms, pending, headers)
      SELECT u.id, u.task, u.queue,
             CASE WHEN u.pending > 0 THEN 'waiting' WHEN u.run_at > ${NOW_MS} THEN 'scheduled' ELSE 'queued' END,
             u.payload, u.priority, u.max_attempts, ${NOW_MS}, u.run_at, u.key, u.parent_id, u.expires_at,
             u.workflow_id, u.depends_on, CASE WHEN u.next <> '' THEN string_to_array(u.next, chr(31)) END,
             u.input, u.on_dep_failure, coalesce(u.is_join, false), u.delay_ms, coalesce(u.pending, 0), u.headers
      FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::integer[], $6::integer[], $7::bigint[], $8::text[],
                  $9::text[], $10::bigint[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::boolean[],
                  $17::bigint[], $18::integer[], $19::text[])
           WITH ORDINALITY AS u(id, task, queue, payload, priority, max_attempts, run_at, key, parent_id, expires_at,
                                workflow_id, depends_on, next, input, on_dep_failure, is_join, delay_ms, pending, headers, ord)
      ORDER BY u.ord
      ${conflict}
      RETURNING id`
}

/**
 * One text column per claimed job, its fields joined by U+001F (CLAIM_FIELDS in ./claim-rows.ts),
 * the payload last: node-postgres then reads one value per row instead of sixteen (with a name
 * and a type parser each). Only the payload can hold the separator (ids, task and queue names
 * never hold control characters; headers are JSON, which escapes them), and a payload is
 * everything after the last field before it. The row of a drained claim (id NULL) is its next
 * run time alone, without a separator; a job handed by an enqueue comes with next_run_at -1.
 */
function claimRows(call: string): string {
  return `
    SELECT CASE WHEN c.id IS NULL THEN coalesce(c.next_run_at::text, '') ELSE ${claimText('c', `CASE WHEN c.deferred THEN 'd' WHEN c.expired THEN 'x' WHEN c.next_run_at = -1 THEN 'h' END`)} END
    FROM ${call} c`
}

/** A claimed job's fields as ./claim-rows.ts reads them, from row `r` and a flag expression. */
function claimText(r: string, flag: string): string {
  return `concat(${r}.id, chr(31), ${r}.task, chr(31), ${r}.queue, chr(31), ${r}.attempt, chr(31), ${r}.max_attempts, chr(31), ${r}.token, chr(31),
             ${r}.priority, chr(31), ${r}.run_at, chr(31), ${r}.created_at, chr(31), ${r}.parent_id, chr(31), ${r}.workflow_id, chr(31),
             ${r}.headers, chr(31), ${flag}, chr(31), ${r}.payload)`
}

export const STATEMENTS = {
  // A batch of jobs (./job-params.ts's parallel arrays). Rows are inserted in the order given, so
  // seq (FIFO) follows the batch. Two forms of one INSERT:
  //   enqueue: jobs with random ids and no unique key, sent for the first time, cannot conflict:
  //     a plain INSERT (a conflict would be a random id drawn twice: the statement fails with
  //     unique_violation, and the batch goes again as enqueueOrSkip). ON CONFLICT costs every row
  //     a speculative insertion (a check of each unique index first, and a second WAL record).
  //   enqueueOrSkip: a deterministic id taken, a unique key held by a live job, or a call retried
  //     after a dropped connection: those rows are skipped, and the answer lists the ids inserted
  //     (only when some were skipped: a thousand ids are otherwise a thousand values to read back).
  enqueue: `
    WITH ins AS (${insertJobs('')})
    SELECT count(*)::int AS n, NULL::text[] AS ids, CASE WHEN count(*) > 0 THEN pg_notify('CHANNEL', '') END AS notified FROM ins`,
  enqueueOrSkip: `
    WITH ins AS (${insertJobs('ON CONFLICT DO NOTHING')})
    SELECT count(*)::int AS n, CASE WHEN count(*) < cardinality($1::text[]) THEN coalesce(array_agg(id), '{}') END AS ids,
           CASE WHEN count(*) > 0 THEN pg_notify('CHANNEL', '') END AS notified FROM ins`,
  // One job, random id, no key, not a workflow step (./hand-off.ts): the enqueue statement's
  // parameters, inserted already leased to a parked worker when one waits on its queue and nothing
  // ready or due is before it there (not paused, due now, not past its deadline, small enough for
  // a notification); the NOTIFY then carries the job to that worker. Otherwise as enqueue.
  enqueueHandOff: `
    WITH u AS (
      SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::integer[], $6::integer[], $7::bigint[], $8::text[],
                           $9::text[], $10::bigint[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::boolean[],
                           $17::bigint[], $18::integer[], $19::text[])
        AS u(id, task, queue, payload, priority, max_attempts, run_at, key, parent_id, expires_at,
             workflow_id, depends_on, next, input, on_dep_failure, is_join, delay_ms, pending, headers)
    ), w AS (
      SELECT p.worker_id, p.lease_ms FROM S.parked p, u
      WHERE p.slots > 0 AND u.queue = ANY (p.queues) AND p.at > NOW_MS - 15000
        AND u.run_at <= NOW_MS AND (u.expires_at IS NULL OR u.expires_at > NOW_MS)
        AND octet_length(u.payload) + coalesce(octet_length(u.headers), 0) + octet_length(u.task) + octet_length(u.queue) < 7000
        AND NOT EXISTS (SELECT 1 FROM S.jobs r WHERE r.state = 'queued' AND r.queue = u.queue)
        AND NOT EXISTS (SELECT 1 FROM S.jobs d WHERE d.state = 'scheduled' AND d.queue = u.queue AND d.run_at <= NOW_MS)
        AND NOT EXISTS (SELECT 1 FROM S.queues q WHERE q.name = u.queue AND q.paused)
        AND NOT EXISTS (SELECT 1 FROM S.workers b WHERE b.id = p.worker_id AND b.beat_at < NOW_MS - 3000)
      ORDER BY p.at LIMIT 1 FOR UPDATE OF p SKIP LOCKED
    ), taken AS (
      UPDATE S.parked p SET slots = p.slots - 1 FROM w WHERE p.worker_id = w.worker_id
    ), inbox AS (
      INSERT INTO S.handed (worker_id, job_id, token) SELECT w.worker_id, u.id, 1 FROM w, u
    ), ins AS (
      INSERT INTO S.jobs (id, task, queue, state, payload, priority, max_attempts, created_at, run_at, parent_id, expires_at, headers,
                          attempt, token, started_at, lease_until, worker_id)
      SELECT u.id, u.task, u.queue, CASE WHEN w.worker_id IS NOT NULL THEN 'active' WHEN u.run_at > NOW_MS THEN 'scheduled' ELSE 'queued' END,
             u.payload, u.priority, u.max_attempts, NOW_MS, u.run_at, u.parent_id, u.expires_at, u.headers,
             CASE WHEN w.worker_id IS NULL THEN 0 ELSE 1 END, CASE WHEN w.worker_id IS NULL THEN 0 ELSE 1 END,
             CASE WHEN w.worker_id IS NOT NULL THEN NOW_MS END, NOW_MS + w.lease_ms, w.worker_id
      FROM u LEFT JOIN w ON true
      RETURNING *
    )
    SELECT 1 AS n, NULL::text[] AS ids,
           pg_notify('CHANNEL', CASE WHEN i.worker_id IS NULL THEN '' ELSE concat('h', chr(31), i.worker_id, chr(31), ${claimText('i', "'h'")}) END) AS notified
    FROM ins i`,
  liveByKeys: `SELECT key, id FROM S.jobs WHERE key = ANY($1::text[]) AND state IN ('scheduled', 'queued', 'active')`,
  // A beat's slot: the job if absent, and the slot as the schedule's latest unless a later one is recorded.
  enqueueSlot: `
    WITH ins AS (
      INSERT INTO S.jobs (id, task, queue, state, payload, priority, max_attempts, created_at, run_at, key, parent_id, expires_at, headers)
      VALUES ($1, $2, $3, CASE WHEN $7::bigint > ${NOW_MS} THEN 'scheduled' ELSE 'queued' END, $4, $5, $6, ${NOW_MS}, $7, $8, $9, $10, $13)
      ON CONFLICT DO NOTHING RETURNING id
    ), mark AS (
      INSERT INTO S.schedules AS s (name, task, expression, tz, last_slot_at, last_job_id, active)
      VALUES ($11, $2, '', '', $12, $1, true)
      ON CONFLICT (name) DO UPDATE SET last_slot_at = excluded.last_slot_at, last_job_id = excluded.last_job_id
      WHERE s.last_slot_at IS NULL OR excluded.last_slot_at > s.last_slot_at
    )
    SELECT count(*)::int AS created, CASE WHEN count(*) > 0 THEN pg_notify('CHANNEL', '') END AS notified FROM ins`,

  // The claim (rows as claimRows() above makes them), with the jobs handed to the worker first
  // (flag 'h') and its parking after (./hand-off.ts).
  claimOrPark: claimRows(`S.claim_or_park($1, $2::text[], $3, $4, $5, $6::text[])`),
  unpark: `SELECT S.unpark($1, $2::text[]) AS n`,
  // The fast settle's answer in one value: the ordinals of the outcomes applied, and of those
  // left for the client's transaction (workflow steps others wait for) with a minus sign.
  settle: `
    SELECT string_agg(CASE WHEN s.deferred THEN '-' ELSE '' END || s.ord, ',')
    FROM S.settle($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[], true) s`,
  // The settle of workflow steps, in the client's transaction with their cascade.
  settleSteps: `SELECT * FROM S.settle($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[], false)`,
  // A job that its claim found past its deadline and that others wait for: expired in the
  // client's transaction, with its cascade.
  expireDeferred: `UPDATE S.jobs SET state = 'expired', finished_at = ${NOW_MS}, token = token + 1
                   WHERE id = ANY($1::text[]) AND state = 'queued' RETURNING id, task, queue`,
  // By primary key, not by a scan of jobs_active (state COLLATE "C": see ./settle-function.ts).
  renew: `
    UPDATE S.jobs j SET lease_until = ${NOW_MS} + $3::bigint
    FROM unnest($1::text[], $2::bigint[]) AS l(id, token)
    WHERE j.id = l.id AND j.token = l.token AND j.state COLLATE "C" = 'active'
    RETURNING j.id, j.cancel_requested`,
  // SKIP LOCKED: a lapsed job a settle or a peer's recovery is writing right now is left to it.
  recoverExpired: `
    WITH r AS (
      UPDATE S.jobs SET state = 'queued', attempt = attempt - 1, lease_until = NULL, started_at = NULL
      WHERE id IN (SELECT id FROM S.jobs WHERE state = 'active' AND lease_until <= ${NOW_MS} FOR UPDATE SKIP LOCKED)
      RETURNING 1
    )
    SELECT count(*)::int AS n, CASE WHEN count(*) > 0 THEN pg_notify('CHANNEL', '') END AS notified FROM r`,
  progress: `
    WITH p AS (UPDATE S.jobs SET progress = $3 WHERE id = $1 AND token = $2 AND state = 'active' RETURNING 1)
    SELECT count(*)::int AS n, CASE WHEN count(*) > 0 THEN pg_notify('CHANNEL', '') END AS notified FROM p`,
  notify: `SELECT pg_notify('CHANNEL', '')`,

  getJob: `SELECT ${JOB_COLUMNS} FROM S.jobs WHERE id = $1`,
  // Ids are COLLATE "C": a prefix is a range of the primary key. A suffix reads every id (the
  // planner may scan the key's index alone): fine for a lookup someone types.
  idsInRange: `SELECT id FROM S.jobs WHERE id >= $1 AND id < $2 ORDER BY id LIMIT $3`,
  idsEndingWith: `SELECT id FROM S.jobs WHERE right(id, length($1)) = $1 LIMIT $2`,
  children: `SELECT ${JOB_COLUMNS} FROM S.jobs WHERE parent_id = $1 ORDER BY seq`,
  counts: `SELECT queue, state, count(*)::int AS n FROM S.jobs GROUP BY queue, state`,
  queues: `SELECT name, paused FROM S.queues`,

  cancelWaiting: `
    WITH c AS (
      UPDATE S.jobs SET state = 'cancelled', finished_at = ${NOW_MS}
      WHERE id = ANY($1::text[]) AND state IN ('queued', 'scheduled', 'waiting') RETURNING id, next IS NOT NULL AS has_next
    )
    SELECT id, has_next, CASE WHEN count(*) OVER () > 0 THEN pg_notify('CHANNEL', '') END AS notified FROM c`,
  flagActiveCancel: `UPDATE S.jobs SET cancel_requested = true WHERE id = ANY($1::text[]) AND state = 'active' RETURNING id`,
  // Not a job whose unique key another live job holds now (one live job per key), nor more than one
  // of those asked that share a key.
  retry: `
    WITH r AS (
      UPDATE S.jobs SET state = 'queued', attempt = 0, run_at = ${NOW_MS}, finished_at = NULL, started_at = NULL,
                        cancel_requested = false, error = NULL, result = NULL, progress = NULL
      WHERE id = ANY($1::text[]) AND state IN ('failed', 'cancelled', 'expired') AND NOT is_join AND ${NOT_DEP_FAILED}
        AND (key IS NULL OR (NOT EXISTS (SELECT 1 FROM S.jobs o WHERE o.key = S.jobs.key AND o.state IN ('scheduled', 'queued', 'active'))
                             AND id = (SELECT min(o.id) FROM S.jobs o WHERE o.id = ANY($1::text[]) AND o.key = S.jobs.key
                                         AND o.state IN ('failed', 'cancelled', 'expired'))))
      RETURNING id
    )
    SELECT id, CASE WHEN count(*) OVER () > 0 THEN pg_notify('CHANNEL', '') END AS notified FROM r`,
  // Steps that never ran because a step before them failed are resumed by retrying that one.
  failedIds: `SELECT id FROM S.jobs WHERE state = 'failed' AND ($1::text IS NULL OR queue = $1) AND NOT is_join AND ${NOT_DEP_FAILED} ORDER BY seq`,
  // Also returns the steps after those deleted before they ended, one per edge (see deletedSteps).
  purge: `WITH d AS (DELETE FROM S.jobs WHERE state <> 'active' AND ($1::text IS NULL OR queue = $1) AND ($2::text IS NULL OR state = $2)
                    RETURNING state, next)
          SELECT (SELECT count(*)::int FROM d) AS n,
                 (SELECT coalesce(array_agg(x), '{}') FROM d CROSS JOIN LATERAL unnest(d.next) AS x
                   WHERE d.state NOT IN ('succeeded', 'failed', 'cancelled', 'expired')) AS released`,
  setPaused: `INSERT INTO S.queues (name, paused) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET paused = excluded.paused`,
  resumed: `SELECT pg_notify('CHANNEL', '')`,

  takeRateTokens: `SELECT * FROM S.take_rate_tokens($1, $2, $3)`,

  saveSchedules: `
    WITH s AS (
      INSERT INTO S.schedules AS s (name, task, expression, tz, next_at, active)
      SELECT * , true FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[])
      ON CONFLICT (name) DO UPDATE SET task = excluded.task, expression = excluded.expression, tz = excluded.tz,
                                       next_at = excluded.next_at, active = true
    )
    UPDATE S.schedules SET active = false WHERE active AND NOT (name = ANY($1::text[]))`,
  listSchedules: `SELECT name, task, expression, tz, next_at, last_slot_at, last_job_id FROM S.schedules WHERE active ORDER BY name`,

  heartbeat: `SELECT * FROM S.heartbeat($1, $2, $3)`,
  listWorkers: `SELECT info FROM S.workers ORDER BY id`,
  removeWorker: `DELETE FROM S.workers WHERE id = $1`,

  pruneFinished: `WITH d AS (DELETE FROM S.jobs j WHERE state IN ('succeeded', 'cancelled', 'expired') AND finished_at < $1 AND ${KEEP_RUNNING_WORKFLOWS} RETURNING 1)
                  SELECT count(*)::int AS n FROM d`,
  pruneFailed: `WITH d AS (DELETE FROM S.jobs j WHERE state = 'failed' AND finished_at < $1 AND ${KEEP_RUNNING_WORKFLOWS} RETURNING 1)
                SELECT count(*)::int AS n FROM d`,
  expireResults: `UPDATE S.jobs SET result = NULL, result_expires_at = NULL WHERE result_expires_at <= ${NOW_MS}`,
  // Jobs finished per second, read from the finished jobs themselves (jobs_done): no counter row
  // for every settle to update, which would serialise concurrent workers' settles on one row.
  throughput: `
    SELECT queue, (finished_at / 1000)::bigint - ((${NOW_MS} / 1000)::bigint - $1::bigint) - 1 AS slot, count(*)::int AS n
    FROM S.jobs
    WHERE state IN ('succeeded', 'failed', 'cancelled') AND finished_at >= (((${NOW_MS} / 1000)::bigint - $1::bigint + 1) * 1000)
      AND started_at IS NOT NULL
    GROUP BY 1, 2`,

  // ---- workflows (./workflow-steps.ts; the rules are ../workflow.ts) ----
  wfNext: `SELECT id, state, next FROM S.jobs WHERE id = ANY($1::text[]) AND next IS NOT NULL`,
  // One row per (ended job, next job): each waiting next job loses one pending dependency per
  // ended one, and counts those that did not succeed. Rows lock in id order, so two transactions
  // ending dependencies of the same jobs wait for each other instead of deadlocking.
  wfDecrement: `
    UPDATE S.jobs j SET pending = j.pending - d.n, dep_failed = j.dep_failed + d.failed
    FROM (SELECT t.id, count(*)::int AS n, sum(t.failed::int)::int AS failed
          FROM unnest($1::text[], $2::boolean[]) AS t(id, failed) GROUP BY t.id ORDER BY t.id) d
    WHERE j.id = d.id AND j.state = 'waiting'
    RETURNING j.id, j.task, j.pending, j.depends_on, j.input, j.on_dep_failure, j.is_join`,
  wfDeps: `SELECT id, task, state, result, error FROM S.jobs WHERE id = ANY($1::text[])`,
  // How resolved steps end up: 'ready' becomes queued (scheduled with a delay), the others end.
  wfResolve: `
    UPDATE S.jobs j SET
      state = CASE WHEN r.state <> 'ready' THEN r.state WHEN coalesce(j.delay_ms, 0) > 0 THEN 'scheduled' ELSE 'queued' END,
      payload = coalesce(r.payload, j.payload),
      run_at = CASE WHEN r.state = 'ready' THEN greatest(j.run_at, ${NOW_MS} + coalesce(j.delay_ms, 0)) ELSE j.run_at END,
      result = r.result,
      error = r.error,
      errors = CASE WHEN r.error IS NULL THEN j.errors ELSE (coalesce(j.errors, '[]')::jsonb || jsonb_build_array(r.error::jsonb))::text END,
      finished_at = CASE WHEN r.state = 'ready' THEN NULL ELSE ${NOW_MS} END
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) AS r(id, state, payload, result, error)
    WHERE j.id = r.id AND j.state = 'waiting'`,
  // Which of the ids name a workflow (its join: task $2, its own workflow).
  wfJoins: `SELECT id FROM S.jobs WHERE id = ANY($1::text[]) AND task = $2 AND workflow_id = id`,
  // Cancel of workflows: every step not started ends cancelled ($2: the error), running ones are flagged.
  wfCancel: `UPDATE S.jobs SET state = 'cancelled', finished_at = ${NOW_MS}, error = $2
             WHERE workflow_id = ANY($1::text[]) AND state IN ('waiting', 'queued', 'scheduled') RETURNING id`,
  wfFlag: `UPDATE S.jobs SET cancel_requested = true WHERE workflow_id = ANY($1::text[]) AND state = 'active' RETURNING id`,
  // Retry of a workflow: its steps that failed themselves (not those that never ran).
  wfFailedSteps: `SELECT id FROM S.jobs WHERE workflow_id = ANY($1::text[]) AND state = 'failed' AND NOT is_join AND ${NOT_DEP_FAILED} ORDER BY seq`,
  // A dependency that had ended (failed) runs again: the steps still waiting for it wait for it once more.
  wfWaitAgain: `
    UPDATE S.jobs j SET pending = j.pending + d.n, dep_failed = greatest(j.dep_failed - d.n, 0)
    FROM (SELECT t.id, count(*)::int AS n FROM unnest($1::text[]) AS t(id) GROUP BY t.id ORDER BY t.id) d
    WHERE j.id = d.id AND j.state = 'waiting'`,
  wfEnded: `SELECT id, state, error FROM S.jobs WHERE id = ANY($1::text[])`,
  // Steps that ended because of a dependency go back to waiting, their counters recounted from
  // their dependencies' states now: a retried one is queued again, and those in $1 wait again with
  // them, so both count as pending.
  wfRewait: `
    UPDATE S.jobs j SET state = 'waiting', finished_at = NULL, error = NULL, result = NULL,
      pending = c.pending, dep_failed = c.failed
    FROM (SELECT w.id,
                 count(*) FILTER (WHERE d.state NOT IN ('succeeded', 'failed', 'cancelled', 'expired') OR d.id = ANY($1::text[]))::int AS pending,
                 count(*) FILTER (WHERE d.state IN ('failed', 'cancelled', 'expired') AND d.id <> ALL($1::text[]))::int AS failed
          FROM S.jobs w CROSS JOIN LATERAL jsonb_array_elements_text(w.depends_on::jsonb) AS dep(id) JOIN S.jobs d ON d.id = dep.id
          WHERE w.id = ANY($1::text[]) GROUP BY w.id) c
    WHERE j.id = c.id
    RETURNING j.id`,

  // Live events: sent only while a subscriber's connection (application_name $3) is in this
  // database; each piece is one NOTIFY (at most 8000 bytes), delivered in order.
  publishEvents: `
    WITH l AS (SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND application_name = $3) AS on)
    SELECT l.on AS listening, (SELECT count(pg_notify($1, u.p)) FROM unnest($2::text[]) AS u(p) WHERE l.on)::int AS sent FROM l`,

  version: `SELECT max(version)::int AS v FROM S.schema_version`,
} as const

export type StatementName = keyof typeof STATEMENTS
export type Statements = Record<StatementName, string>

/** The statements with the schema, the clock and the channel filled in. */
export function sqlFor(schema: string): Statements {
  return Object.fromEntries(Object.entries(STATEMENTS).map(([k, sql]) => [k, fill(sql, schema)])) as Statements
}

/** The channel idle workers and result waiters LISTEN on. */
export function channelFor(schema: string): string {
  return `tq_${schema}`
}

/** Fills the placeholders of a statement, a migration or the functions. */
export function fill(sql: string, schema: string): string {
  return sql.replace(/\bS\./g, `${schema}.`).replace(/\bNOW_MS\b/g, NOW_MS).replace(/\bCHANNEL\b/g, channelFor(schema))
}

/** The migrations for a schema, filled in; migration 1 also creates the functions. */
export function migrationsFor(schema: string): string[] {
  return MIGRATIONS.map((m, i) => fill(i === 0 ? m + FUNCTIONS : m, schema))
}

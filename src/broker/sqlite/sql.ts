import type Database from 'better-sqlite3'

/**
 * Every SQL statement the SQLite broker runs, in one place. Times are epoch milliseconds.
 * Writes that touch a lease check `token` and `state = 'active'`: that is the fencing.
 */
/** Rows per statement of a bulk insert: 25 per statement inserts 40% more jobs per second than one. */
export const BULK_ROWS = 25
/** Jobs alike (same task, queue, options) inserted by one statement of SQL.insertUniform, at most. */
export const UNIFORM_ROWS = 1000
/** Fewer alike jobs than this go in 25-row statements: the JSON costs more than it saves. */
export const UNIFORM_MIN = 50
/** Columns of an inserted job, in the order of the insert statements' parameters. */
export const INSERT_COLUMNS = 12

function insertRows(n: number): string {
  const row = `(${Array(INSERT_COLUMNS).fill('?').join(', ')})`
  return `INSERT INTO jobs (id, task, queue, state, payload, priority, max_attempts, created_at, run_at, key, parent_id, expires_at)
          VALUES ${Array(n).fill(row).join(', ')}
          ON CONFLICT DO NOTHING`
}

function arrivalRows(n: number): string {
  const row = `(${Array(INSERT_COLUMNS).fill('?').join(', ')}, 0, NULL)`
  return `INSERT INTO jobs (lone_id, task, queue, state, payload, priority, max_attempts, created_at, run_at, key, parent_id, expires_at, indexed, id)
          VALUES ${Array(n).fill(row).join(', ')}`
}

/**
 * What a claim returns, as arrays (the statement is raw): building a row object in the driver
 * cost more than the UPDATE's own work per job; ClaimRow's positions follow this order. The
 * queue is not returned, the caller asked for it.
 */
const CLAIM_RETURNS = 'seq, expires_at, id, task, payload, attempt, max_attempts, token, priority, run_at, created_at, parent_id, workflow_id, headers'

/** The jobs a claim takes from a queue, in the order it hands them out (seq makes the order total). */
const CLAIMABLE = `FROM jobs WHERE state = 'queued' AND indexed = 1 AND queue = @queue ORDER BY priority DESC, run_at, seq LIMIT @limit`

/** Successes written by one statement (see settleSucceeded); 4 parameters each. */
export const SETTLE_ROWS = 25

/**
 * `n` successes in one UPDATE: each (seq, token, result, result_expires_at) row is joined to its
 * job by row id and written only while its token is current and the job active, as `succeed`
 * does one by one (measured: 1.8 against 2.5 µs of CPU a job for 250 one-row statements).
 */
export function settleSucceeded(n: number): string {
  return `UPDATE jobs SET state = 'succeeded', result = v.column3, finished_at = ?, lease_until = NULL, result_expires_at = v.column4
          FROM (VALUES ${Array(n).fill('(?, ?, ?, ?)').join(', ')}) AS v
          WHERE jobs.seq = v.column1 AND jobs.token = v.column2 AND jobs.state = 'active'`
}

/** Retention's guard: not a step of a workflow whose join is still waiting. */
const KEEP_RUNNING_WORKFLOWS = `(workflow_id IS NULL OR workflow_id = id OR (SELECT w.state FROM jobs w WHERE w.id = jobs.workflow_id) IS NOT 'waiting')`

/** Columns of an inserted workflow step, in the order of the step insert statements' parameters. */
export const STEP_COLUMNS = 18

function insertStepRows(n: number): string {
  const row = `(${Array(STEP_COLUMNS).fill('?').join(', ')})`
  return `INSERT INTO jobs (id, task, queue, state, payload, priority, max_attempts, created_at, run_at, parent_id, expires_at,
                        workflow_id, depends_on, next, input, on_dep_failure, is_join, delay_ms)
          VALUES ${Array(n).fill(row).join(', ')}
          ON CONFLICT DO NOTHING`
}

export const SQL = {
  // Positional parameters: binding twelve named ones per row cost a third of a bulk insert.
  insert: insertRows(1),
  // Arrivals (arrivals.ts): a generated id and no key, so they cannot conflict. The id waits in
  // lone_id and the row stays out of the ready index, so the INSERT writes the table alone.
  insertArrival: arrivalRows(1),
  insertArrivals: arrivalRows(BULK_ROWS),
  // Rows are appended (rowid = the largest + 1), so those not entered in the indexes yet are all
  // above the mark: a range of the table, read from its end.
  lastSeq: `SELECT coalesce(max(seq), 0) FROM jobs`,
  indexMark: `SELECT seq FROM index_mark`,
  // coalesce: a row a process from before schema 7 inserted on its own has its id in id already.
  indexArrivals: `UPDATE jobs SET id = coalesce(lone_id, id), lone_id = NULL, indexed = 1 WHERE seq > ? AND indexed = 0`,
  // After a clash (see indexArrivals in arrivals.ts): the rows that can be entered, then the rest
  // under an id of their own.
  indexArrivalsSkipping: `UPDATE OR IGNORE jobs SET id = coalesce(lone_id, id), lone_id = NULL, indexed = 1 WHERE seq > ? AND indexed = 0`,
  renameClashing: `UPDATE jobs SET id = coalesce(lone_id, id) || '-' || seq, lone_id = NULL, indexed = 1 WHERE seq > ? AND indexed = 0`,
  setIndexMark: `UPDATE index_mark SET seq = ?`,
  // After deletes: the next rowid is the largest left + 1, which must stay above the mark.
  lowerIndexMark: `UPDATE index_mark SET seq = (SELECT coalesce(max(seq), 0) FROM jobs) WHERE seq > (SELECT coalesce(max(seq), 0) FROM jobs)`,
  insertBulk: insertRows(BULK_ROWS),
  // Jobs alike (see uniformRun in job-inserts.ts): @rows is a JSON array of [id, payload text].
  // (WHERE true: without it SQLite would read ON CONFLICT as the start of a join constraint.)
  insertUniform: `INSERT INTO jobs (id, task, queue, state, payload, priority, max_attempts, created_at, run_at, parent_id, expires_at)
                  SELECT j.value ->> 0, @task, @queue, @state, j.value ->> 1, @priority, @maxAttempts, @now, @runAt, @parentId, @expiresAt
                  FROM json_each(@rows) AS j WHERE true
                  ON CONFLICT DO NOTHING`,
  // Workflow steps: always with their id (the client lays the graph out), never with a unique key.
  insertStep: insertStepRows(1),
  insertStepBulk: insertStepRows(BULK_ROWS),
  insertWait: `INSERT INTO step_waits (id, pending, dep_failed) VALUES (@id, @pending, @depFailed)
               ON CONFLICT (id) DO UPDATE SET pending = excluded.pending, dep_failed = excluded.dep_failed`,
  deleteWait: `DELETE FROM step_waits WHERE id = ?`,
  // A dependency that had ended (failed) runs again: the step waits for it once more.
  waitAgain: `UPDATE step_waits SET pending = pending + 1, dep_failed = max(dep_failed - 1, 0) WHERE id = ?`,
  idByKey: `SELECT id FROM jobs WHERE key = ? AND state IN ('scheduled', 'queued', 'active')`,

  promoteDue: `UPDATE jobs SET state = 'queued' WHERE state = 'scheduled' AND run_at <= ? RETURNING queue`,
  expireClaimed: `UPDATE jobs SET state = 'expired', finished_at = @now, attempt = attempt - 1, started_at = NULL, lease_until = NULL
                  WHERE seq = @seq`,
  // The token: max(token + 1, now), as on every broker (never issued twice, even after a restore
  // that lost the last claims; see FENCING in ../redis/scripts/lib.lua.ts).
  // A claim reads the jobs it takes, then leases the same ones (the same query in the same write
  // transaction): cheaper than UPDATE … RETURNING, whose rows SQLite buffers in a temporary table
  // (3.2 against 3.6 µs a job), and the rows come in claim order. The claim computes the new
  // attempt and token as the UPDATE writes them.
  claimable: `SELECT ${CLAIM_RETURNS} ${CLAIMABLE}`,
  claim: `UPDATE jobs SET state = 'active', attempt = attempt + 1, token = max(token + 1, @now), started_at = @now,
                 lease_until = @leaseUntil, worker_id = @workerId
          WHERE seq IN (SELECT seq ${CLAIMABLE})`,
  pausedQueues: `SELECT name FROM queues WHERE paused = 1`,

  // Positional: the hottest statement after the claim (one run per finished job).
  succeed: `UPDATE jobs SET state = 'succeeded', result = ?, finished_at = ?, lease_until = NULL, result_expires_at = ?
            WHERE seq = ? AND token = ? AND state = 'active'`,
  fail: `UPDATE jobs SET state = 'failed', error = @error, finished_at = @now, lease_until = NULL,
                errors = json_insert(coalesce(errors, '[]'), '$[#]', json(@error))
         WHERE seq = @seq AND token = @token AND state = 'active'`,
  retryLater: `UPDATE jobs SET state = 'scheduled', run_at = @runAt, error = @error, lease_until = NULL,
                      errors = json_insert(coalesce(errors, '[]'), '$[#]', json(@error))
               WHERE seq = @seq AND token = @token AND state = 'active'`,
  retryRequested: `UPDATE jobs SET state = 'scheduled', run_at = @runAt, lease_until = NULL
                   WHERE seq = @seq AND token = @token AND state = 'active'`,
  release: `UPDATE jobs SET state = CASE WHEN @runAt > @now THEN 'scheduled' ELSE 'queued' END,
                   run_at = max(run_at, @runAt), attempt = attempt - 1, lease_until = NULL, started_at = NULL
            WHERE seq = @seq AND token = @token AND state = 'active'`,
  cancelActive: `UPDATE jobs SET state = 'cancelled', error = @error, finished_at = @now, lease_until = NULL
                 WHERE seq = @seq AND token = @token AND state = 'active'`,

  renew: `UPDATE jobs SET lease_until = @leaseUntil WHERE seq = @seq AND token = @token AND state = 'active'`,
  recoverExpired: `UPDATE jobs SET state = 'queued', attempt = attempt - 1, lease_until = NULL, started_at = NULL
                   WHERE state = 'active' AND lease_until <= ? RETURNING queue`,
  seqOf: `SELECT seq, queue, workflow_id AS workflowId FROM jobs WHERE id = ?`,
  progress: `UPDATE jobs SET progress = @progress WHERE seq = @seq AND token = @token AND state = 'active'`,
  cancelRequested: `SELECT id FROM jobs WHERE cancel_requested = 1 AND state = 'active' AND id IN (SELECT value FROM json_each(?))`,
  dataVersion: `PRAGMA data_version`,
  // Walks the due index from the earliest run time and stops at the first job in one of the
  // queues (a JSON array): due jobs of every queue are promoted by any claim, so what it walks past
  // are only other queues' jobs due sooner.
  nextRunAt: `SELECT run_at AS at FROM jobs INDEXED BY jobs_due
              WHERE state = 'scheduled' AND queue IN (SELECT value FROM json_each(?)) ORDER BY run_at LIMIT 1`,

  getJob: `SELECT * FROM jobs WHERE id = ?`,
  // Arrivals not entered yet: their id is in lone_id, and they are above the mark (a range of
  // at most ARRIVALS_MAX rows or so, read from the table's end).
  getArrival: `SELECT * FROM jobs WHERE seq > (SELECT seq FROM index_mark) AND lone_id = ?`,
  arrivalIds: `SELECT lone_id AS id FROM jobs WHERE seq > (SELECT seq FROM index_mark) AND lone_id IS NOT NULL
                 AND (substr(lone_id, 1, length(@fragment)) = @fragment OR substr(lone_id, -length(@fragment)) = @fragment) LIMIT @limit`,
  // Finding an id from a fragment: a prefix is a range of the id index; a suffix scans that
  // index (it covers the query, so the table itself is not read).
  idsInRange: `SELECT id FROM jobs WHERE id >= @from AND id < @to ORDER BY id LIMIT @limit`,
  idsEndingWith: `SELECT id FROM jobs INDEXED BY jobs_id WHERE id IS NOT NULL AND substr(id, -length(@fragment)) = @fragment LIMIT @limit`,
  children: `SELECT * FROM jobs WHERE parent_id = ? ORDER BY seq`,
  // Live states are counted from the partial indexes that hold them (covering scans), plus queued
  // arrivals not in the ready index yet (a range at the table's end); finished states, which
  // grow without bound, from their counters. A queue may have two 'queued' rows: they add up.
  counts: `SELECT queue, 'queued' AS state, count(*) AS n FROM jobs WHERE state = 'queued' AND indexed = 1 GROUP BY queue
           UNION ALL SELECT queue, 'queued', count(*) FROM jobs WHERE seq > (SELECT seq FROM index_mark) AND indexed = 0 AND state = 'queued' GROUP BY queue
           UNION ALL SELECT queue, 'waiting', count(*) FROM jobs WHERE state = 'waiting' GROUP BY queue
           UNION ALL SELECT queue, 'scheduled', count(*) FROM jobs WHERE state = 'scheduled' GROUP BY queue
           UNION ALL SELECT queue, 'active', count(*) FROM jobs WHERE state = 'active' GROUP BY queue
           UNION ALL SELECT queue, state, n FROM queue_counts WHERE n <> 0`,
  addCount: `INSERT INTO queue_counts (queue, state, n) VALUES (?, ?, ?)
             ON CONFLICT (queue, state) DO UPDATE SET n = n + excluded.n`,
  stateOf: `SELECT queue, state, task, workflow_id AS workflowId FROM jobs WHERE id = ?`,
  queues: `SELECT name, paused FROM queues`,

  cancelWaiting: `UPDATE jobs SET state = 'cancelled', finished_at = @now, error = @error
                  WHERE id = @id AND state IN ('waiting', 'queued', 'scheduled') RETURNING id`,
  flagActiveCancel: `UPDATE jobs SET cancel_requested = 1 WHERE id = @id AND state = 'active' RETURNING id`,
  // Not a job whose unique key another live job holds now: one live job per key.
  retry: `UPDATE jobs SET state = 'queued', attempt = 0, run_at = @now, finished_at = NULL, started_at = NULL,
                 cancel_requested = 0, error = NULL, result = NULL, progress = NULL
          WHERE id = @id AND state IN ('failed', 'cancelled', 'expired') AND is_join = 0
            AND coalesce(json_extract(error, '$.name'), '') <> 'DependencyFailed'
            AND (key IS NULL OR NOT EXISTS (SELECT 1 FROM jobs o WHERE o.key = jobs.key AND o.state IN ('scheduled', 'queued', 'active')))
          RETURNING id`,
  // Steps that never ran because a step before them failed are resumed by retrying that one.
  failedIds: `SELECT id FROM jobs WHERE state = 'failed' AND finished_at IS NOT NULL AND (@queue IS NULL OR queue = @queue)
                AND is_join = 0 AND coalesce(json_extract(error, '$.name'), '') <> 'DependencyFailed' ORDER BY seq`,

  // ---- workflows (workflow-steps.ts) ----
  stepEnded: `SELECT state, next FROM jobs WHERE id = ?`,
  stepCountDown: `UPDATE step_waits SET pending = pending - @n, dep_failed = dep_failed + @failed WHERE id = @id RETURNING pending`,
  stepToResolve: `SELECT id, queue, depends_on AS dependsOn, input, on_dep_failure AS onDepFailure, is_join AS isJoin, delay_ms AS delayMs
                  FROM jobs WHERE id = ? AND state = 'waiting'`,
  // A dependency deleted meanwhile (purge) counts as expired, so indexes in `input` stay aligned.
  stepDeps: `SELECT e.value AS id, coalesce(j.task, '') AS task, coalesce(j.state, 'expired') AS state, j.result, j.error
             FROM json_each(?) e LEFT JOIN jobs j ON j.id = e.value ORDER BY e.key`,
  stepReady: `UPDATE jobs SET state = CASE WHEN @runAt > @now THEN 'scheduled' ELSE 'queued' END, run_at = @runAt,
                     payload = coalesce(@payload, payload)
              WHERE id = @id AND state = 'waiting' RETURNING state`,
  stepEnd: `UPDATE jobs SET state = @state, result = @result, error = @error, finished_at = @now,
                   errors = CASE WHEN @error IS NULL THEN errors ELSE json_insert(coalesce(errors, '[]'), '$[#]', json(@error)) END
            WHERE id = @id AND state = 'waiting'`,
  stepResume: `SELECT id, queue, state, error, depends_on AS dependsOn, next FROM jobs WHERE id = ?`,
  stepRewait: `UPDATE jobs SET state = 'waiting', error = NULL, result = NULL, finished_at = NULL WHERE id = ?`,
  workflowOpen: `SELECT id, queue, state FROM jobs INDEXED BY jobs_workflow
                 WHERE workflow_id = ? AND state IN ('waiting', 'scheduled', 'queued', 'active')`,
  workflowFailed: `SELECT id FROM jobs INDEXED BY jobs_workflow WHERE workflow_id = ? AND state = 'failed' AND is_join = 0
                     AND coalesce(json_extract(error, '$.name'), '') <> 'DependencyFailed' ORDER BY seq`,
  purge: `DELETE FROM jobs WHERE state <> 'active' AND (@queue IS NULL OR queue = @queue) AND (@state IS NULL OR state = @state)
          RETURNING id, queue, state, next`,
  countThroughput: `INSERT INTO throughput (second, queue, n) VALUES (@second, @queue, @n)
                    ON CONFLICT (second, queue) DO UPDATE SET n = n + excluded.n`,
  throughput: `SELECT second, queue, n FROM throughput WHERE second > ?`,
  pruneThroughput: `DELETE FROM throughput WHERE second < ?`,

  rateGet: `SELECT tat FROM rate_limits WHERE key = ?`,
  rateSet: `INSERT INTO rate_limits (key, tat) VALUES (@key, @tat) ON CONFLICT (key) DO UPDATE SET tat = excluded.tat`,

  markSlot: `INSERT INTO schedules (name, task, expression, tz, last_slot_at, last_job_id, active)
             VALUES (@name, @task, '', '', @slotAt, @jobId, 1)
             ON CONFLICT (name) DO UPDATE SET last_slot_at = excluded.last_slot_at, last_job_id = excluded.last_job_id
             WHERE last_slot_at IS NULL OR excluded.last_slot_at > last_slot_at`,
  upsertSchedule: `INSERT INTO schedules (name, task, expression, tz, next_at, active) VALUES (@name, @task, @expression, @tz, @nextAt, 1)
                   ON CONFLICT (name) DO UPDATE SET task = excluded.task, expression = excluded.expression, tz = excluded.tz,
                                                    next_at = excluded.next_at, active = 1`,
  deactivateSchedules: `UPDATE schedules SET active = 0 WHERE name NOT IN (SELECT value FROM json_each(?))`,
  listSchedules: `SELECT * FROM schedules WHERE active = 1 ORDER BY name`,

  heartbeat: `INSERT INTO workers (id, info, last_beat_at) VALUES (@id, @info, @lastBeatAt)
              ON CONFLICT (id) DO UPDATE SET info = excluded.info, last_beat_at = excluded.last_beat_at`,
  listWorkers: `SELECT info, last_beat_at FROM workers ORDER BY id`,
  deadWorkers: `SELECT id, info, last_beat_at FROM workers WHERE last_beat_at < ? AND id <> ?`,
  // A dead worker's running jobs, as recoverExpired treats a lapsed lease: the attempt is not counted.
  requeueWorkerJobs: `UPDATE jobs SET state = 'queued', attempt = attempt - 1, lease_until = NULL, started_at = NULL
                      WHERE state = 'active' AND worker_id = ? RETURNING queue`,
  removeWorker: `DELETE FROM workers WHERE id = ?`,

  // A finished step of a workflow still running is kept: a step waiting for it needs its result.
  pruneFinished: `DELETE FROM jobs WHERE finished_at < @before AND state IN ('succeeded', 'cancelled', 'expired') AND ${KEEP_RUNNING_WORKFLOWS}
                  RETURNING queue, state`,
  pruneFailed: `DELETE FROM jobs WHERE finished_at < @before AND state = 'failed' AND ${KEEP_RUNNING_WORKFLOWS} RETURNING queue, state`,
  expireResults: `UPDATE jobs SET result = NULL, result_expires_at = NULL WHERE result_expires_at <= ?`,

  setHeaders: `UPDATE jobs SET headers = ? WHERE id = ?`,

  setPaused: `INSERT INTO queues (name, paused) VALUES (@name, @paused) ON CONFLICT (name) DO UPDATE SET paused = excluded.paused`,
} as const

/** The statements above, prepared on one connection. */
export type Statements = { [K in keyof typeof SQL]: Database.Statement }

/**
 * Versioned schema. Each entry moves the database from version i to i+1 and runs in one
 * transaction; `PRAGMA user_version` records where a file is. Never edit a shipped entry:
 * append a new one.
 */
export const MIGRATIONS: readonly string[] = [
  /* 1: jobs and queues */ `
  CREATE TABLE jobs (
    seq          INTEGER PRIMARY KEY,
    id           TEXT    NOT NULL UNIQUE,
    task         TEXT    NOT NULL,
    queue        TEXT    NOT NULL,
    state        TEXT    NOT NULL,
    payload      TEXT    NOT NULL,
    priority     INTEGER NOT NULL DEFAULT 0,
    attempt      INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL DEFAULT 1,
    created_at   INTEGER NOT NULL,
    run_at       INTEGER NOT NULL,
    started_at   INTEGER,
    finished_at  INTEGER,
    token        INTEGER NOT NULL DEFAULT 0,
    lease_until  INTEGER,
    worker_id    TEXT,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    result       TEXT,
    error        TEXT,
    errors       TEXT,
    progress     TEXT,
    parent_id    TEXT,
    key          TEXT,
    expires_at   INTEGER,
    result_expires_at INTEGER
  );
  -- Ready jobs in claim order; partial, so it only holds what can be handed out.
  CREATE INDEX jobs_ready ON jobs (queue, priority DESC, run_at, seq) WHERE state = 'queued';
  -- Delayed jobs and retries by due time.
  CREATE INDEX jobs_due ON jobs (run_at) WHERE state = 'scheduled';
  -- At most one live job per unique key.
  CREATE UNIQUE INDEX jobs_key ON jobs (key) WHERE key IS NOT NULL AND state IN ('scheduled', 'queued', 'active');
  -- Listing and counting by state; also finds expired leases among the (few) active jobs.
  CREATE INDEX jobs_state ON jobs (state, queue);
  CREATE INDEX jobs_parent ON jobs (parent_id) WHERE parent_id IS NOT NULL;
  -- Retention: finished jobs by age, results by expiry.
  CREATE INDEX jobs_finished ON jobs (finished_at) WHERE finished_at IS NOT NULL;
  CREATE INDEX jobs_result_expiry ON jobs (result_expires_at) WHERE result_expires_at IS NOT NULL;
  CREATE TABLE queues (
    name   TEXT PRIMARY KEY,
    paused INTEGER NOT NULL DEFAULT 0
  ) WITHOUT ROWID;
  -- Rate limits: the theoretical arrival time of the next allowed start (GCRA).
  CREATE TABLE rate_limits (
    key TEXT PRIMARY KEY,
    tat INTEGER NOT NULL
  ) WITHOUT ROWID;
  -- Beat: what each schedule is, and the latest slot enqueued (never moves back).
  CREATE TABLE schedules (
    name         TEXT PRIMARY KEY,
    task         TEXT NOT NULL,
    expression   TEXT NOT NULL,
    tz           TEXT NOT NULL,
    next_at      INTEGER,
    last_slot_at INTEGER,
    last_job_id  TEXT,
    active       INTEGER NOT NULL DEFAULT 1
  ) WITHOUT ROWID;
  -- Worker registry: one row per live worker, refreshed by heartbeats.
  CREATE TABLE workers (
    id           TEXT PRIMARY KEY,
    info         TEXT NOT NULL,
    last_beat_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  -- Jobs finished per second and queue, for throughput; pruned after a few minutes.
  CREATE TABLE throughput (
    second INTEGER NOT NULL,
    queue  TEXT NOT NULL,
    n      INTEGER NOT NULL,
    PRIMARY KEY (second, queue)
  ) WITHOUT ROWID;
  `,
  /* 2: job counts by queue and state, kept by the broker as jobs change state, so status reads
        a few rows instead of counting a million. */ `
  CREATE TABLE queue_counts (
    queue TEXT NOT NULL,
    state TEXT NOT NULL,
    n     INTEGER NOT NULL,
    PRIMARY KEY (queue, state)
  ) WITHOUT ROWID;
  INSERT INTO queue_counts (queue, state, n) SELECT queue, state, count(*) FROM jobs GROUP BY queue, state;
  -- Counting no longer needs (state, queue); listing the newest jobs of a state does need (state, seq).
  DROP INDEX jobs_state;
  CREATE INDEX jobs_state ON jobs (state, seq);
  `,
  /* 3: fewer b-trees per write. An enqueue used to touch five (table, id, ready, state, counts),
        which capped single enqueues near 30k/s. Now it touches three: the table, the id and
        the ready (or due) index. Counts of live states are read from the partial indexes that
        hold those jobs; only finished states keep a counter, updated once per settle batch. */ `
  DROP INDEX jobs_state;
  DROP INDEX jobs_finished;
  DROP INDEX jobs_due;
  -- Delayed jobs by due time; covers counting them by queue.
  CREATE INDEX jobs_due ON jobs (run_at, queue) WHERE state = 'scheduled';
  -- Running jobs by lease expiry, for recovery; covers counting them by queue.
  CREATE INDEX jobs_active ON jobs (lease_until, queue) WHERE state = 'active';
  -- Finished jobs of a state, newest first (listing) or oldest first (retention).
  CREATE INDEX jobs_done ON jobs (state, finished_at) WHERE finished_at IS NOT NULL;
  DELETE FROM queue_counts WHERE state IN ('scheduled', 'queued', 'active');
  `,
  /* 4: workflows (chain, group, chord; see src/broker/workflow.ts). A step waits in state
        'waiting' with a counter of the jobs it waits for; the job that ends last brings it to
        zero in its own transaction. Only workflow steps fill these columns. The counters live in
        a small table of their own: a chord body's row holds its 10,000 dependencies, and SQLite
        rewrites a whole row on update, so counting down on it cost 10,000 rewrites of 400 kB. */ `
  ALTER TABLE jobs ADD COLUMN workflow_id TEXT;
  ALTER TABLE jobs ADD COLUMN depends_on TEXT;
  ALTER TABLE jobs ADD COLUMN next TEXT;
  ALTER TABLE jobs ADD COLUMN input TEXT;
  ALTER TABLE jobs ADD COLUMN on_dep_failure TEXT;
  ALTER TABLE jobs ADD COLUMN is_join INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE jobs ADD COLUMN delay_ms INTEGER;
  -- One row per waiting step: how many of its dependencies have not ended, how many failed.
  CREATE TABLE step_waits (
    id         TEXT PRIMARY KEY,
    pending    INTEGER NOT NULL,
    dep_failed INTEGER NOT NULL DEFAULT 0
  ) WITHOUT ROWID;
  -- A workflow's steps, for cancel, listing and the graph.
  CREATE INDEX jobs_workflow ON jobs (workflow_id, seq) WHERE workflow_id IS NOT NULL;
  -- Waiting steps, counted and listed like the other live states.
  CREATE INDEX jobs_waiting ON jobs (queue) WHERE state = 'waiting';
  `,
  /* 5: observability. Propagation headers (trace context) kept with a job, written only when a
        producer has some; live events for \`tq events\`: a small capped log of event batches,
        written only while someone listens (event_listeners, each row renewed while subscribed). */ `
  ALTER TABLE jobs ADD COLUMN headers TEXT;
  CREATE TABLE events (
    id   INTEGER PRIMARY KEY,
    body TEXT NOT NULL
  );
  CREATE TABLE event_listeners (
    id    TEXT PRIMARY KEY,
    until INTEGER NOT NULL
  ) WITHOUT ROWID;
  `,
  /* 6: a lone enqueue writes two b-trees, not three. A job inserted on its own (one autocommit
        INSERT) is stored with indexed = 0 and stays out of the ready index; the next claim, in its
        own transaction, enters every such row (all above index_mark.seq, since rows are appended)
        into the index before claiming. A claim writes the ready index's pages anyway, so those
        entries cost it little, and a single enqueue writes 2.5 WAL pages instead of 3.8.
        Counting and listing queued jobs also read the rows not entered yet. */ `
  ALTER TABLE jobs ADD COLUMN indexed INTEGER NOT NULL DEFAULT 1;
  DROP INDEX jobs_ready;
  CREATE INDEX jobs_ready ON jobs (queue, priority DESC, run_at, seq) WHERE state = 'queued' AND indexed = 1;
  -- Every row at or below seq has indexed = 1. One row.
  CREATE TABLE index_mark (
    one INTEGER PRIMARY KEY CHECK (one = 0),
    seq INTEGER NOT NULL
  );
  INSERT INTO index_mark (one, seq) SELECT 0, coalesce(max(seq), 0) FROM jobs;
  `,
  /* 7: a lone enqueue writes one b-tree, not two. Its id was the second: the column's UNIQUE
        index. A job inserted on its own now keeps its id in lone_id, with id NULL, and the id
        index is partial (id IS NOT NULL), so the INSERT writes the table alone (measured 37k ->
        55k rows/s). The next claim, or a write that finds jobs by id, moves lone_id to id and
        enters those rows in both indexes first; reads find them above index_mark (see
        arrivals.ts). An inline UNIQUE cannot be dropped, so the table is rebuilt, columns in the
        same order; rows left out of the ready index are entered on the way. */ `
  CREATE TABLE jobs_v7 (
    seq          INTEGER PRIMARY KEY,
    id           TEXT,
    task         TEXT    NOT NULL,
    queue        TEXT    NOT NULL,
    state        TEXT    NOT NULL,
    payload      TEXT    NOT NULL,
    priority     INTEGER NOT NULL DEFAULT 0,
    attempt      INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL DEFAULT 1,
    created_at   INTEGER NOT NULL,
    run_at       INTEGER NOT NULL,
    started_at   INTEGER,
    finished_at  INTEGER,
    token        INTEGER NOT NULL DEFAULT 0,
    lease_until  INTEGER,
    worker_id    TEXT,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    result       TEXT,
    error        TEXT,
    errors       TEXT,
    progress     TEXT,
    parent_id    TEXT,
    key          TEXT,
    expires_at   INTEGER,
    result_expires_at INTEGER,
    workflow_id  TEXT,
    depends_on   TEXT,
    next         TEXT,
    input        TEXT,
    on_dep_failure TEXT,
    is_join      INTEGER NOT NULL DEFAULT 0,
    delay_ms     INTEGER,
    headers      TEXT,
    indexed      INTEGER NOT NULL DEFAULT 1,
    lone_id      TEXT,
    -- An entered row has its id. A worker still running tq from before this schema enters rows
    -- with indexed = 1 alone: this refuses that rather than hand out a job with no id, and its
    -- name is what that worker logs.
    CONSTRAINT restart_tq_processes_started_before_this_upgrade CHECK (indexed = 0 OR id IS NOT NULL)
  );
  INSERT INTO jobs_v7 (seq, id, task, queue, state, payload, priority, attempt, max_attempts, created_at, run_at, started_at,
                       finished_at, token, lease_until, worker_id, cancel_requested, result, error, errors, progress, parent_id,
                       key, expires_at, result_expires_at, workflow_id, depends_on, next, input, on_dep_failure, is_join,
                       delay_ms, headers, indexed)
    SELECT seq, id, task, queue, state, payload, priority, attempt, max_attempts, created_at, run_at, started_at,
           finished_at, token, lease_until, worker_id, cancel_requested, result, error, errors, progress, parent_id,
           key, expires_at, result_expires_at, workflow_id, depends_on, next, input, on_dep_failure, is_join,
           delay_ms, headers, 1
    FROM jobs;
  DROP TABLE jobs;
  ALTER TABLE jobs_v7 RENAME TO jobs;
  UPDATE index_mark SET seq = (SELECT coalesce(max(seq), 0) FROM jobs);
  -- Every job's id, once entered (lone jobs wait in lone_id until then).
  CREATE UNIQUE INDEX jobs_id ON jobs (id) WHERE id IS NOT NULL;
  -- The indexes of migrations 1-6, as they stood.
  CREATE UNIQUE INDEX jobs_key ON jobs (key) WHERE key IS NOT NULL AND state IN ('scheduled', 'queued', 'active');
  CREATE INDEX jobs_parent ON jobs (parent_id) WHERE parent_id IS NOT NULL;
  CREATE INDEX jobs_result_expiry ON jobs (result_expires_at) WHERE result_expires_at IS NOT NULL;
  CREATE INDEX jobs_due ON jobs (run_at, queue) WHERE state = 'scheduled';
  CREATE INDEX jobs_active ON jobs (lease_until, queue) WHERE state = 'active';
  CREATE INDEX jobs_done ON jobs (state, finished_at) WHERE finished_at IS NOT NULL;
  CREATE INDEX jobs_workflow ON jobs (workflow_id, seq) WHERE workflow_id IS NOT NULL;
  CREATE INDEX jobs_waiting ON jobs (queue) WHERE state = 'waiting';
  CREATE INDEX jobs_ready ON jobs (queue, priority DESC, run_at, seq) WHERE state = 'queued' AND indexed = 1;
  `,
]

/** Marks a file as tq's (PRAGMA application_id), so we refuse to write into someone else's database. */
export const APPLICATION_ID = 0x74710a01

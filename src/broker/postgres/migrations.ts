/**
 * Versioned schema of the Postgres broker, inside its own schema (`tq` by default). Each entry
 * moves the schema from version i to i+1; `<schema>.schema_version` records where it is. All
 * pending entries run in one transaction under an advisory lock (./migrate.ts), so workers that
 * start together migrate once. Never edit a shipped entry: append a new one.
 *
 * `S` stands for the schema name and `NOW_MS` for the database clock in epoch ms; both are
 * substituted when the migration runs (the schema name is a checked plain identifier).
 *
 * Times are epoch milliseconds in bigint columns, as in the SQLite broker: every broker hands
 * the same StoredJob rows to ../job-json.ts, and comparisons are integer compares. JSON values
 * (payload, result, error, progress) are text: they cross the Broker interface as JSON text,
 * so the database never parses them.
 */
import { CLAIM_PLANNED_ONCE, CLAIM_TOKEN_PAST_CRASHES } from './claim-function.js'
import { HAND_OFF } from './hand-off.js'
import { SETTLE_BY_ID } from './settle-function.js'

export const MIGRATIONS: readonly string[] = [
  /* 1: jobs and the side tables */ `
  CREATE TABLE S.jobs (
    id           text COLLATE "C" PRIMARY KEY,
    -- Insertion order: FIFO among equal priority and run time, newest-first listings.
    seq          bigint GENERATED ALWAYS AS IDENTITY,
    task         text    NOT NULL,
    queue        text    NOT NULL,
    state        text    NOT NULL,
    payload      text    NOT NULL,
    priority     integer NOT NULL DEFAULT 0,
    attempt      integer NOT NULL DEFAULT 0,
    max_attempts integer NOT NULL DEFAULT 1,
    created_at   bigint  NOT NULL,
    run_at       bigint  NOT NULL,
    started_at   bigint,
    finished_at  bigint,
    -- Fencing: bumped by every claim; a write about a lease names the token it holds.
    token        bigint  NOT NULL DEFAULT 0,
    lease_until  bigint,
    worker_id    text,
    cancel_requested boolean NOT NULL DEFAULT false,
    result       text,
    error        text,
    errors       text,
    progress     text,
    parent_id    text,
    key          text,
    expires_at   bigint,
    result_expires_at bigint,
    -- Workflows (../workflow.ts): the join's id, what the step waits for (JSON list), what
    -- waits for it, how its payload is built (JSON list of pieces), its rule when a dependency
    -- fails, whether it is the join, its delay once ready, and the counters of dependencies
    -- still running and of those that did not succeed.
    workflow_id    text,
    depends_on     text,
    next           text[],
    input          text,
    on_dep_failure text,
    is_join        boolean NOT NULL DEFAULT false,
    delay_ms       bigint,
    pending        integer NOT NULL DEFAULT 0,
    dep_failed     integer NOT NULL DEFAULT 0,
    -- Propagation headers (W3C trace context) as JSON text, when the producer gave some.
    headers        text
  ) WITH (fillfactor = 85); -- room on each page for HOT updates (renewals, progress, cancel flags)
  -- Ready jobs in claim order; partial, so it holds only what can be handed out.
  CREATE INDEX jobs_ready ON S.jobs (queue, priority DESC, run_at, seq) WHERE state = 'queued';
  -- Delayed jobs and retries of a queue by due time: promotion and the drained claim's next run time.
  CREATE INDEX jobs_due ON S.jobs (queue, run_at) WHERE state = 'scheduled';
  -- Running jobs by worker (reaping a dead worker's jobs); few rows, scanned whole to find lapsed
  -- leases. Not on lease_until: a renewal then changes no indexed column, so it is a HOT update
  -- (a new row version on the same page, no index entries), which a busy worker's once-a-second
  -- renewal of every lease it holds would otherwise pay in full.
  CREATE INDEX jobs_active ON S.jobs (worker_id) WHERE state = 'active';
  -- At most one live job per unique key: enforced by the index, so racing producers cannot both win.
  CREATE UNIQUE INDEX jobs_key ON S.jobs (key) WHERE key IS NOT NULL AND state IN ('scheduled', 'queued', 'active');
  -- Finished jobs of a state by finish time: listings (newest first), retention, throughput.
  CREATE INDEX jobs_done ON S.jobs (state, finished_at) WHERE finished_at IS NOT NULL;
  -- Listings without a state, newest first; failed ids in order.
  CREATE UNIQUE INDEX jobs_seq ON S.jobs (seq);
  CREATE INDEX jobs_parent ON S.jobs (parent_id) WHERE parent_id IS NOT NULL;
  CREATE INDEX jobs_workflow ON S.jobs (workflow_id) WHERE workflow_id IS NOT NULL;
  CREATE INDEX jobs_result_expiry ON S.jobs (result_expires_at) WHERE result_expires_at IS NOT NULL;

  CREATE TABLE S.queues (
    name   text PRIMARY KEY,
    paused boolean NOT NULL DEFAULT false
  );
  -- Rate limits: the theoretical arrival time of the next allowed start (GCRA).
  CREATE TABLE S.rate_limits (
    key text PRIMARY KEY,
    tat bigint NOT NULL
  );
  -- Beat: what each schedule is, and the latest slot enqueued (never moves back).
  CREATE TABLE S.schedules (
    name         text PRIMARY KEY,
    task         text NOT NULL,
    expression   text NOT NULL,
    tz           text NOT NULL,
    next_at      bigint,
    last_slot_at bigint,
    last_job_id  text,
    active       boolean NOT NULL DEFAULT true
  );
  -- Worker registry: the record as the worker sent it, and its last beat by the database's clock
  -- (what reaping compares, so workers' clocks need not agree).
  CREATE TABLE S.workers (
    id      text PRIMARY KEY,
    info    text NOT NULL,
    beat_at bigint NOT NULL
  );
  `,
  /* 2: settle finds its jobs by primary key; claim and settle are planned once per connection */ SETTLE_BY_ID + CLAIM_PLANNED_ONCE,
  /* 3: enqueues hand jobs to parked idle workers (./hand-off.ts) */ HAND_OFF,
  /* 4: a claim's fencing token is never issued twice, even across a crash (./claim-function.ts) */ CLAIM_TOKEN_PAST_CRASHES,
]

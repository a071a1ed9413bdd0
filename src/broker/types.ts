/**
 * The one Broker interface. SQLite, Redis and Postgres implement it; the worker, beat, dev mode,
 * producers and the CLI talk only to it. One conformance suite (test/conformance) runs
 * unchanged against every implementation.
 *
 * Payloads and results cross this interface as JSON text: the producer serialises once,
 * the task thread parses once, and the engine in between never touches the values.
 */

import type { TqEvent } from './event-types.js'
import type { WorkflowStep } from './workflow-step.js'

export type { TqEvent } from './event-types.js'
export type { DepFailureRule, WorkflowStep } from './workflow-step.js'

/** `waiting`: a workflow step whose dependencies have not all ended (see WorkflowStep). */
export const JOB_STATES = ['waiting', 'scheduled', 'queued', 'active', 'succeeded', 'failed', 'cancelled', 'expired'] as const
export type JobState = (typeof JOB_STATES)[number]
export const FINAL_STATES: readonly JobState[] = ['succeeded', 'failed', 'cancelled', 'expired']

/** An error as stored on a job: the last one in `error`, every attempt's in `errors`. */
export interface JobError {
  message: string
  name?: string
  stack?: string
  /** ISO time the attempt ended. */
  at?: string
  attempt?: number
}

/** A job as users see it (SPEC "Job states and JSON"). */
export interface JobJSON {
  id: string
  task: string
  queue: string
  state: JobState
  payload: unknown
  priority: number
  attempt: number
  maxAttempts: number
  createdAt: string
  runAt: string
  startedAt: string | null
  finishedAt: string | null
  result: unknown
  error: JobError | null
  progress: unknown
  parentId: string | null
  key: string | null
  /** Every failed attempt's error, oldest first. */
  errors: JobError[]
  /** The workflow (chain, group, chord) this job is a step of: its join job's id. */
  workflowId: string | null
  /** The jobs this step waits for, in order (empty outside workflows). */
  dependsOn: string[]
  /** Propagation headers stored with the job (W3C `traceparent`/`tracestate`); absent when none were given. */
  headers?: Record<string, string>
}

/** What a producer hands the broker. */
export interface NewJob {
  /** A deterministic id (schedule slots); omitted for a random one. */
  id?: string
  task: string
  queue: string
  /** The payload as JSON text. */
  payload: string
  priority: number
  /** Epoch ms; in the future makes the job `scheduled`. */
  runAt: number
  maxAttempts: number
  /** Unique key: while a job with this key is scheduled, queued or active, enqueue returns that job. */
  key?: string | null
  parentId?: string | null
  /** Epoch ms after which a job not yet started becomes `expired`. */
  expiresAt?: number | null
  /** Set for a step of a workflow: how it waits and what it waits for. */
  step?: WorkflowStep
  /**
   * Propagation headers (the W3C trace context of the enqueue: `{"traceparent":…}`), as JSON text
   * of a string-to-string object. Stored as given and handed back on every claim (ClaimedJob) and
   * in the job's JSON (`headers`); undefined stores nothing (the path with no tracing SDK).
   */
  headers?: string
}

export interface EnqueueResult {
  id: string
  /** false when the id or unique key already existed and the existing job was returned. */
  created: boolean
}

export interface ClaimRequest {
  workerId: string
  /** Queues to take from, in order; paused queues are skipped by the broker. */
  queues: readonly string[]
  limit: number
  leaseMs: number
}

/** A job handed to a worker under a lease. `token` fences every later write. */
export interface ClaimedJob {
  id: string
  task: string
  queue: string
  payload: string
  attempt: number
  maxAttempts: number
  token: number
  priority: number
  runAt: number
  createdAt: number
  parentId: string | null
  /** The workflow this job is a step of, for logs. */
  workflowId?: string | null
  /** NewJob.headers as stored (JSON text), or null/undefined when the job has none. */
  headers?: string | null
}

/** How an attempt ended. Accepted only while `token` is the job's current lease. */
export type Outcome =
  | { id: string; token: number; kind: 'succeeded'; result: string | undefined; /** epoch ms after which the result may be deleted */ resultExpiresAt?: number }
  /** `retryAt` set: the job goes back to `scheduled` for another attempt; unset: `failed` for good. */
  | { id: string; token: number; kind: 'failed'; error: JobError; retryAt?: number }
  /** The task asked to run again later (RetryLater): back to `scheduled`, attempt counted, no error recorded. */
  | { id: string; token: number; kind: 'retry'; runAt: number }
  /**
   * Put back without counting the attempt (shutdown past grace, thread recycled, rate limit).
   * With `runAt`, the job waits as `scheduled` until then.
   */
  | { id: string; token: number; kind: 'released'; runAt?: number }
  | { id: string; token: number; kind: 'cancelled'; error?: JobError }

export interface JobFilter {
  state?: JobState
  /** Only the steps of this workflow (and its join). */
  workflowId?: string
  queue?: string
  task?: string
  limit?: number
  /**
   * Jobs to skip first, in listing order (a page of the dashboard's jobs list). Each page is read
   * from the same index as the first, so page one stays fast with millions of jobs; a deep page
   * costs what it skips.
   */
  offset?: number
}

/** Counts of jobs by state for one queue. */
export interface QueueCounts {
  queue: string
  paused: boolean
  counts: Record<JobState, number>
}

export interface CancelResult {
  /** Jobs that were queued or scheduled and are now cancelled. */
  cancelled: string[]
  /** Active jobs flagged for cancellation; their worker aborts them. */
  aborting: string[]
}

/** A schedule as beat saved it, for `tq schedules` and `tq status`. */
export interface ScheduleRecord {
  name: string
  task: string
  /** Cron expression, or `every 5s`. */
  expression: string
  tz: string
  /** Epoch ms of the next slot, as computed by the beat that saved it. */
  nextAt: number | null
  /** Epoch ms of the latest slot enqueued (kept by the broker, never moves back). */
  lastSlotAt: number | null
  lastJobId: string | null
}

/** A worker's heartbeat record. */
export interface WorkerInfo {
  id: string
  host: string
  pid: number
  queues: string[]
  concurrency: number
  running: string[]
  startedAt: number
  lastBeatAt: number
  /** Task threads alive. */
  threads?: number
  /** Each task thread: jobs on it, whether it is blocked, whether it runs one job of its own. */
  threadStates?: { jobs: number; blocked: boolean; own: boolean }[]
  /** Attempts that succeeded / failed since the worker started (retries count as failures). */
  done?: number
  failed?: number
  /** Resident memory of the worker process, threads included (bytes). */
  rssBytes?: number
  /** Jobs on a thread that stopped turning its event loop, with no timeout to end them (since: epoch ms). */
  blocked?: { id: string; task: string; since: number }[]
}

export interface PruneRequest {
  /** Delete succeeded, cancelled and expired jobs that finished before this epoch ms. */
  finishedBefore?: number
  /** Delete failed jobs that finished before this epoch ms. */
  failedBefore?: number
}

/** What a claim hands out, and when to look again. */
export interface ClaimResult {
  jobs: ClaimedJob[]
  /**
   * Epoch ms of the earliest job still scheduled in the queues asked, or null: reported when the
   * claim found fewer ready jobs than asked (the queues are drained), so an idle worker knows how
   * long it may sleep without a second round trip. Null too when the claim filled its limit.
   */
  nextRunAt: number | null
  /**
   * Jobs this claim found past their `expiresAt` and ended as `expired` instead of handing them
   * out (optional: a broker may leave it undefined when none did). The engine reports them.
   */
  expired?: { id: string; task: string; queue: string }[]
}

/** A worker found dead by another worker's heartbeat, and how many of its running jobs went back. */
export interface ReapedWorker {
  worker: WorkerInfo
  requeued: number
}

/** What a lease renewal learned about the jobs it was given. */
export interface RenewResult {
  /** Ids whose lease was not the caller's any more (lapsed and reclaimed, or settled elsewhere). */
  lost: string[]
  /** Ids still held whose cancellation was asked for (`tq cancel` of a running job). */
  cancelRequested: string[]
}

/**
 * The Broker interface, split by the roles that use it. SQLite and Redis implement all of it; each
 * part of tq asks only for the roles it needs, so what a producer can do is what ProducerBroker
 * says, and the claim/settle/lease protocol stays between the worker engine and the broker.
 */

/** Common to every role. */
export interface BrokerConnection {
  /** Human description without secrets, e.g. `sqlite:///path/tq.db` or `redis://host:6379/0`. */
  readonly describe: string
  /**
   * Resolves when jobs may have changed (an enqueue, a completion) or after `timeoutMs`.
   * Idle workers and result waiters sleep here instead of polling hot.
   */
  waitForChange(timeoutMs: number, signal?: AbortSignal): Promise<void>
  close(): Promise<void>
}

/**
 * Live events (`tq events`): best-effort fan-out, never polling. Every process that causes an
 * event publishes it (producers, engines, workers); `tq events` subscribes.
 */
export interface EventsBroker {
  /**
   * Sends events, in order, to every subscription in place when the call is made (on any
   * connection to the same store, in any process). Best effort: nothing is stored for later
   * subscribers; a failure is swallowed (never throws). With no subscriber anywhere it should cost
   * next to nothing (SQLite: one read; Redis: one PUBLISH), since workers call it for every batch.
   * Resolves to false when the broker knows that no subscription exists anywhere right now (the
   * events went nowhere), true when one may; an empty list only asks that. Publishers use it to
   * stop building events while nobody listens (see EventBatcher), checking again every 250 ms.
   */
  publishEvents(events: readonly TqEvent[]): Promise<boolean>
  /**
   * Subscribes until `signal` aborts. Resolves once the subscription is in place: every event
   * published after that (by any connection) is passed to `onEvents` (a publisher's empty probe
   * may arrive as an empty list), in each publisher's order,
   * in batches, as soon as it arrives (no polling loop). Events published before it resolves may or
   * may not be seen. Rejects if the subscription cannot be set up.
   */
  subscribeEvents(onEvents: (events: TqEvent[]) => void, signal: AbortSignal): Promise<void>
}

/** Producers: write jobs and read them back (the client, `ctx.enqueue`, `tq enqueue`). */
export interface ProducerBroker extends BrokerConnection, Pick<EventsBroker, 'publishEvents'> {
  /** Enqueues jobs atomically, in order. One job or many: bulk is the same call. */
  enqueue(jobs: readonly NewJob[]): Promise<EnqueueResult[]>
  getJob(id: string): Promise<JobJSON | null>
  /**
   * Optional: for a broker that can hand a job's end straight to the one waiting for it (Redis
   * publishes the ended job to the waiting connection, so no read follows the notification).
   * Reads the job; if it has not ended, waits for it to end, at most `timeoutMs`, and resolves
   * with it as it is then: ended, or not yet (the wait ran out, or was cut short: callers loop).
   * null if the job does not exist. Callers use awaitJobEnd() (./wait-for-job.ts), which falls
   * back to getJob after waitForChange on brokers without it.
   */
  waitForJob?(id: string, timeoutMs: number): Promise<JobJSON | null>
  /** A job handle's cancel(). */
  cancel(ids: readonly string[]): Promise<CancelResult>
}

/** The worker engine: claims under leases with fencing tokens, settles, renews. */
export interface WorkerBroker extends BrokerConnection {
  /** Moves due scheduled jobs to queued, then claims up to `limit` ready jobs under a lease. */
  claim(req: ClaimRequest): Promise<ClaimResult>
  /** Records how attempts ended; returns, per outcome, whether it was accepted (the lease was current). */
  settle(outcomes: readonly Outcome[]): Promise<boolean[]>
  /** Extends the leases still held; reports the ones lost and the ones asked to cancel, in one call. */
  renew(leases: readonly { id: string; token: number }[], leaseMs: number): Promise<RenewResult>
  /**
   * Optional: the worker claims no more (it is stopping). A broker that hands jobs to idle workers
   * between their claims (Redis: scripts/handoff-lib.lua.ts) stops handing them to this one, and
   * puts back, not counting the attempt, those it handed that no claim of the worker returned.
   */
  stopClaiming?(workerId: string): Promise<void>
  /** Requeues active jobs whose lease lapsed, without counting the lost attempt. Returns how many. */
  recoverExpired(): Promise<number>
  /** Stores a running job's progress (JSON text); false when the lease is no longer current. */
  progress(id: string, token: number, progress: string): Promise<boolean>
  /**
   * Rate limiting, shared by every worker on the broker: grants up to `n` starts for `key`, at
   * most one per `intervalMs` (strict spacing, no burst). Returns how many may start now and the
   * epoch ms at which the next one may.
   */
  takeRateTokens(key: string, intervalMs: number, n: number): Promise<{ granted: number; nextAt: number }>
  /**
   * Records a worker's heartbeat (upsert). With `reapAfterMs`, in the same atomic step, workers
   * not heard from for that long (by the broker's clock) are presumed dead: their running jobs go
   * back to the queue without counting the lost attempt (the token stays, so a worker that was
   * only paused cannot complete them), and their records are removed. Returns those reaped.
   */
  heartbeat(info: WorkerInfo, reapAfterMs?: number): Promise<ReapedWorker[]>
  removeWorker(id: string): Promise<void>
  /** Deletes old finished jobs and expired results; returns how many jobs were deleted. */
  prune(req: PruneRequest): Promise<number>
}

/** Beat: schedule slots, enqueued exactly once however many beats run. */
export interface ScheduleBroker extends BrokerConnection {
  /**
   * Enqueues a schedule slot's job (its id is deterministic) only if absent, and records the slot
   * as the schedule's latest, in one atomic step. However many beats call it, a slot runs once.
   */
  enqueueSlot(schedule: string, slotAt: number, job: NewJob & { id: string }): Promise<EnqueueResult>
  /** Stores the schedules a beat runs; schedules not in the list are removed. Slot history stays. */
  saveSchedules(schedules: readonly Omit<ScheduleRecord, 'lastSlotAt' | 'lastJobId'>[]): Promise<void>
  listSchedules(): Promise<ScheduleRecord[]>
}

/** Inspection and management: the CLI, `tq status`, the UI. */
export interface AdminBroker extends ProducerBroker {
  /**
   * Up to `limit` ids that start or end with `fragment` (case-sensitive), in no set order: how
   * `tq job` finds a job from a short id or a prefix. A prefix is a range on the id index; a
   * suffix scans the ids (SQLite's id index; ZSCAN on Redis), which is fine for a lookup
   * someone types, not for a hot path.
   */
  findJobIds(fragment: string, limit: number): Promise<string[]>
  listJobs(filter: JobFilter): Promise<JobJSON[]>
  children(parentId: string): Promise<JobJSON[]>
  counts(): Promise<QueueCounts[]>
  /** Requeues failed (or cancelled/expired) jobs with a fresh attempt budget; returns ids requeued. */
  retry(ids: readonly string[]): Promise<string[]>
  /** Ids of all failed jobs, for `tq retry --failed`. */
  failedIds(queue?: string): Promise<string[]>
  /** Deletes jobs that are not active; returns how many. */
  purge(filter: { queue?: string; state?: JobState }): Promise<number>
  pause(queue: string): Promise<void>
  resume(queue: string): Promise<void>
  listWorkers(): Promise<WorkerInfo[]>
  removeWorker(id: string): Promise<void>
  listSchedules(): Promise<ScheduleRecord[]>
  /** Jobs finished per second over the last `seconds`, per queue, oldest first. */
  throughput(seconds: number): Promise<Record<string, number[]>>
}

/** Every role: what a broker implementation provides and the conformance suite checks. */
export interface Broker extends ProducerBroker, WorkerBroker, ScheduleBroker, AdminBroker, EventsBroker {}

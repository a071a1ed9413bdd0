import { BrokerError } from '../../errors.js'
import { newJobId } from '../job-id.js'
import type { EnqueueResult, NewJob, WorkflowStep } from '../types.js'
import { BULK_ROWS, INSERT_COLUMNS, STEP_COLUMNS, UNIFORM_MIN, UNIFORM_ROWS, type Statements } from './sql.js'

/** A job that gets a generated id and has no unique key: its insert cannot meet a conflict. */
export function cannotConflict(job: NewJob): boolean {
  return job.id === undefined && job.key == null
}

/** Whether the BULK_ROWS jobs from `from` all cannot conflict. */
function plainRun(jobs: readonly NewJob[], from: number): boolean {
  for (let i = from; i < from + BULK_ROWS; i++) if (!cannotConflict(jobs[i]!)) return false
  return true
}

/** BULK_ROWS plain jobs from `from` as the args of a 25-row insert, each with a new id (noted in `out`). */
function fillPlainRows(args: unknown[], jobs: readonly NewJob[], from: number, now: number, out: EnqueueResult[]): void {
  for (let r = 0; r < BULK_ROWS; r++) {
    const id = newJobId(now)
    fillInsertArgs(args, r * INSERT_COLUMNS, id, jobs[from + r]!, now)
    out[from + r] = { id, created: true }
  }
}

/**
 * How many jobs from `from` (up to UNIFORM_ROWS) have a generated id, no unique key, and the
 * same task, queue, priority, attempts, run time, parent and expiry as the first: what
 * enqueueMany of one task makes. Those go in one statement (SQL.insertUniform).
 */
function uniformRun(jobs: readonly NewJob[], from: number): number {
  const a = jobs[from]!
  const end = Math.min(jobs.length, from + UNIFORM_ROWS)
  let i = from
  for (; i < end; i++) {
    const j = jobs[i]!
    if (!cannotConflict(j) || j.step !== undefined) break
    if (j.task !== a.task || j.queue !== a.queue || j.priority !== a.priority || j.maxAttempts !== a.maxAttempts || j.runAt !== a.runAt) break
    if ((j.parentId ?? null) !== (a.parentId ?? null) || (j.expiresAt ?? null) !== (a.expiresAt ?? null)) break
  }
  return i - from
}

/** Whether the BULK_ROWS jobs from `from` are all workflow steps (which carry their ids and no key). */
function stepRun(jobs: readonly NewJob[], from: number): boolean {
  for (let i = from; i < from + BULK_ROWS; i++) if (!jobs[i]!.step) return false
  return true
}

/** One step's values for the step insert statements, at `at` in `args` (see insertStepRows for the order). */
function fillStepArgs(args: unknown[], at: number, id: string, job: NewJob, step: WorkflowStep, now: number): void {
  const waits = step.dependsOn.length > 0
  args[at] = id
  args[at + 1] = job.task
  args[at + 2] = job.queue
  args[at + 3] = waits ? 'waiting' : job.runAt > now ? 'scheduled' : 'queued'
  args[at + 4] = job.payload
  args[at + 5] = job.priority
  args[at + 6] = job.maxAttempts
  args[at + 7] = now
  args[at + 8] = job.runAt
  args[at + 9] = job.parentId ?? null
  args[at + 10] = job.expiresAt ?? null
  args[at + 11] = step.workflowId
  args[at + 12] = waits ? JSON.stringify(step.dependsOn) : null
  args[at + 13] = step.next.length ? JSON.stringify(step.next) : null
  args[at + 14] = step.input ? JSON.stringify(step.input) : null
  args[at + 15] = step.onDepFailure
  args[at + 16] = step.join ? 1 : 0
  args[at + 17] = step.delayMs ?? null
}

/** One job's values for the insert statements, at `at` in `args` (see SQL.insert for the order). */
function fillInsertArgs(args: unknown[], at: number, id: string, job: NewJob, now: number): void {
  args[at] = id
  args[at + 1] = job.task
  args[at + 2] = job.queue
  args[at + 3] = job.runAt > now ? 'scheduled' : 'queued'
  args[at + 4] = job.payload
  args[at + 5] = job.priority
  args[at + 6] = job.maxAttempts
  args[at + 7] = now
  args[at + 8] = job.runAt
  args[at + 9] = job.key ?? null
  args[at + 10] = job.parentId ?? null
  args[at + 11] = job.expiresAt ?? null
}

/**
 * Inserting jobs, inside the caller's transaction. Inserted jobs are queued or scheduled: live
 * states, counted from their indexes (see SQL.counts), so an insert writes no counter.
 */
export class JobInserts {
  constructor(private readonly s: Statements) {}

  /**
   * Inserts in statements of BULK_ROWS rows where it can: jobs with a generated id and no
   * unique key cannot meet a conflict, so one statement's change count tells that all of its
   * rows went in. Jobs with an id or a key given (schedule slots, unique jobs) go one by one,
   * each told apart as created or existing.
   */
  insertMany(jobs: readonly NewJob[], now: number): EnqueueResult[] {
    const out: EnqueueResult[] = new Array(jobs.length)
    const args: unknown[] = new Array(BULK_ROWS * INSERT_COLUMNS)
    let i = 0
    let stepArgs: unknown[] | undefined
    while (i < jobs.length) {
      if (i + BULK_ROWS <= jobs.length && stepRun(jobs, i)) {
        // A workflow's steps, 25 to a statement (a chord of 10,000 is 400 statements, not 10,000).
        stepArgs ??= new Array(BULK_ROWS * STEP_COLUMNS)
        for (let r = 0; r < BULK_ROWS; r++) {
          const job = jobs[i + r]!
          const id = job.id ?? newJobId(now)
          fillStepArgs(stepArgs, r * STEP_COLUMNS, id, job, job.step!, now)
          out[i + r] = { id, created: true }
        }
        if (this.s.insertStepBulk.run(stepArgs).changes !== BULK_ROWS) throw new BrokerError('a workflow step id was already taken', 'enqueue the workflow again: new ids are drawn')
        for (let r = 0; r < BULK_ROWS; r++) this.insertWait(out[i + r]!.id, jobs[i + r]!.step!)
        i += BULK_ROWS
        continue
      }
      const uniform = uniformRun(jobs, i)
      if (uniform >= UNIFORM_MIN) {
        i = this.insertUniform(jobs, i, uniform, now, out)
        continue
      }
      if (i + BULK_ROWS > jobs.length || !plainRun(jobs, i)) {
        out[i] = this.insertOne(jobs[i]!, now)
        i++
        continue
      }
      fillPlainRows(args, jobs, i, now, out)
      // Ids made here are new (monotonic in this process, 50 random bits across processes):
      // fewer rows than that would be a collision. Throwing rolls the whole enqueue back.
      if (this.s.insertBulk.run(args).changes !== BULK_ROWS) throw new BrokerError('a generated job id was already taken', 'enqueue again: new ids are drawn')
      i += BULK_ROWS
    }
    return out
  }

  /**
   * `n` jobs from `from` that uniformRun found alike, in one statement: the shared values bound
   * once, each job's id and payload in one JSON array (one parameter, not 12 a row: a 100,000-job
   * batch inserts in 18 % less time). Returns the index after them.
   */
  private insertUniform(jobs: readonly NewJob[], from: number, n: number, now: number, out: EnqueueResult[]): number {
    const first = jobs[from]!
    const rows: [string, string][] = new Array(n)
    for (let r = 0; r < n; r++) {
      const id = newJobId(now)
      rows[r] = [id, jobs[from + r]!.payload]
      out[from + r] = { id, created: true }
    }
    const changes = this.s.insertUniform.run({
      rows: JSON.stringify(rows),
      task: first.task,
      queue: first.queue,
      state: first.runAt > now ? 'scheduled' : 'queued',
      priority: first.priority,
      maxAttempts: first.maxAttempts,
      now,
      runAt: first.runAt,
      parentId: first.parentId ?? null,
      expiresAt: first.expiresAt ?? null,
    }).changes
    // As for insertBulk: new ids, so fewer rows would be a collision; throwing rolls the enqueue back.
    if (changes !== n) throw new BrokerError('a generated job id was already taken', 'enqueue again: new ids are drawn')
    return from + n
  }

  /** One job; with a unique key already held by a live job, that job's id and `created: false`. */
  insertOne(job: NewJob, now: number): EnqueueResult {
    if (job.step) return this.insertStep(job, job.step, now)
    const [id, args] = oneRow(job, now)
    if (this.s.insert.run(args).changes === 1) return { id, created: true }
    if (job.key != null) {
      const existing = this.s.idByKey.get(job.key) as { id: string } | undefined
      if (existing) return { id: existing.id, created: false }
    }
    return { id, created: false }
  }

  /**
   * Arrivals (arrivals.ts), 25 to a statement and the rest one by one; every job must pass
   * isArrival. Returns their ids and the row id of the last, as `out.lastSeq`.
   */
  insertArrivals(jobs: readonly NewJob[], now: number): { out: EnqueueResult[]; lastSeq: number } {
    const out: EnqueueResult[] = new Array(jobs.length)
    let lastSeq = 0
    let i = 0
    if (jobs.length >= BULK_ROWS) {
      const args: unknown[] = new Array(BULK_ROWS * INSERT_COLUMNS)
      for (; i + BULK_ROWS <= jobs.length; i += BULK_ROWS) {
        fillPlainRows(args, jobs, i, now, out)
        lastSeq = this.s.insertArrivals.run(args).lastInsertRowid as number
      }
    }
    for (; i < jobs.length; i++) {
      const [id, args] = oneRow(jobs[i]!, now)
      lastSeq = this.s.insertArrival.run(args).lastInsertRowid as number
      out[i] = { id, created: true }
    }
    return { out, lastSeq }
  }

  /** A workflow step: `waiting` while it has dependencies, with a counter of them. */
  private insertStep(job: NewJob, step: WorkflowStep, now: number): EnqueueResult {
    const id = job.id ?? newJobId(now)
    const args: unknown[] = new Array(STEP_COLUMNS)
    fillStepArgs(args, 0, id, job, step, now)
    const created = this.s.insertStep.run(args).changes === 1
    if (created) this.insertWait(id, step)
    return { id, created }
  }

  /** The counter of a step that waits (see migration 4). */
  private insertWait(id: string, step: WorkflowStep): void {
    if (step.dependsOn.length > 0) this.s.insertWait.run({ id, pending: step.dependsOn.length, depFailed: 0 })
  }
}

/** A plain job's id (given or new) and its INSERT parameters, for a one-row statement. */
function oneRow(job: NewJob, now: number): [string, unknown[]] {
  const id = job.id ?? newJobId(now)
  const args: unknown[] = new Array(INSERT_COLUMNS)
  fillInsertArgs(args, 0, id, job, now)
  return [id, args]
}

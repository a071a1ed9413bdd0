import type Database from 'better-sqlite3'
import { emptyCounts, toJobJSON, type StoredJob } from '../job-json.js'
import type { TqEvent } from '../event-types.js'
import type {
  Broker,
  CancelResult,
  ClaimedJob,
  ClaimRequest,
  ClaimResult,
  EnqueueResult,
  JobFilter,
  JobJSON,
  JobState,
  NewJob,
  Outcome,
  PruneRequest,
  QueueCounts,
  ReapedWorker,
  RenewResult,
  ScheduleRecord,
  WorkerInfo,
} from '../types.js'
import { ChangeNotifier } from './change-notifier.js'
import { CountDeltas } from './count-deltas.js'
import { openDatabase } from './open-database.js'
import { SideTables } from './side-tables.js'
import { reapDeadWorkers } from './worker-reaper.js'
import { SqliteEventLog } from './event-log.js'
import { JobInserts } from './job-inserts.js'
import { listQuery } from './job-listing.js'
import { SQL, type Statements } from './sql.js'
import { WorkflowSteps } from './workflow-steps.js'
import { JobAdmin } from './job-admin.js'

/** The file name that opens a private in-memory database. */
export const MEMORY = ':memory:'

export interface SqliteBrokerOptions {
  /** The clock (epoch ms). Default Date.now; tqjs/testing passes its fake clock. */
  now?: () => number
}

/** Where a job is, and whether it is a workflow step (whose end may release others). */
interface Located {
  seq: number
  queue: string
  workflowId?: string | null
}

/** A claimed row: already shaped as a ClaimedJob by the claim statement's RETURNING aliases. */
type ClaimRow = ClaimedJob & { seq: number; expiresAt: number | null }

/**
 * The embedded broker: one SQLite file in WAL mode, shared safely by any number of
 * processes on one machine (`tq dev`, `tq enqueue` and `tq status` side by side).
 * better-sqlite3 is synchronous, so each method is one short transaction; the async
 * signatures are the Broker interface's.
 */
export class SqliteBroker implements Broker {
  readonly describe: string
  private readonly db: Database.Database
  private readonly s: Statements
  private readonly side: SideTables
  private readonly inserts: JobInserts
  private readonly steps: WorkflowSteps
  private readonly admin: JobAdmin
  private readonly notifier: ChangeNotifier
  private readonly events: SqliteEventLog
  private lastDataVersion = 0
  /** Count changes of the write transaction in progress (better-sqlite3 runs one at a time). */
  private readonly counts_ = new CountDeltas()
  /** Row id and queue of the jobs this connection claimed: settling by rowid skips the id index. */
  private readonly claimedSeq = new Map<string, Located>()
  private readonly listStatements = new Map<string, Database.Statement>()

  private readonly insertMany: Database.Transaction<(jobs: readonly NewJob[]) => EnqueueResult[]>
  private readonly claimTx: Database.Transaction<(req: ClaimRequest) => ClaimResult>
  private readonly settleTx: Database.Transaction<(outcomes: readonly Outcome[]) => boolean[]>

  /** The clock every time the broker records or compares is read from (epoch ms). */
  private readonly now: () => number

  /**
   * `file` is a path, or `:memory:` for a private in-memory database (tqjs/testing): no file, no
   * watch, gone on close. `now` replaces Date.now, so a test's fake clock drives run times,
   * leases, expiry, rate limits and result lifetimes.
   */
  constructor(
    readonly file: string,
    opts: SqliteBrokerOptions = {},
  ) {
    this.describe = `sqlite://${file}`
    this.now = opts.now ?? Date.now
    this.db = openDatabase(file)
    this.s = Object.fromEntries(Object.entries(SQL).map(([k, sql]) => [k, this.db.prepare(sql)])) as typeof this.s
    this.side = new SideTables(this.db, this.s, this.now)
    this.inserts = new JobInserts(this.s)
    this.steps = new WorkflowSteps(this.s, this.counts_)
    this.admin = new JobAdmin(this.s, this.counts_, this.steps)
    this.lastDataVersion = this.dataVersion()
    this.notifier = new ChangeNotifier(file === MEMORY ? null : file, () => {
      const v = this.dataVersion()
      const changed = v !== this.lastDataVersion
      this.lastDataVersion = v
      return changed
    })
    this.events = new SqliteEventLog(this.db, file === MEMORY ? null : file, this.now, () => this.notifier.notifyLocal())
    this.insertMany = this.counted((jobs: readonly NewJob[]) => this.writeHeaders(jobs, this.inserts.insertMany(jobs, this.now())))
    this.claimTx = this.counted((req: ClaimRequest) => this.claimInTx(req))
    this.settleTx = this.counted((outcomes: readonly Outcome[]) => {
      const now = this.now()
      const finished = new Map<string, number>()
      const endedSteps: string[] = []
      const accepted = outcomes.map((o) => this.settleOne(o, now, finished, endedSteps))
      const second = Math.floor(now / 1000)
      for (const [queue, n] of finished) this.s.countThroughput.run({ second, queue, n })
      if (endedSteps.length > 0) this.steps.ended(endedSteps, now)
      return accepted
    })
  }

  /** A write transaction that also applies the count changes it recorded. */
  private counted<A extends unknown[], R>(fn: (...args: A) => R): Database.Transaction<(...args: A) => R> {
    return this.db.transaction((...args: A) => {
      const out = fn(...args)
      this.counts_.flush(this.s.addCount)
      return out
    })
  }

  /** Changes when another connection commits (asked on every WAL write while idle, so prepared once). */
  private dataVersion(): number {
    return (this.s.dataVersion.get() as { data_version: number }).data_version
  }

  async enqueue(jobs: readonly NewJob[]): Promise<EnqueueResult[]> {
    if (jobs.length === 0) return []
    const out = this.insertMany.immediate(jobs)
    this.notifier.notifyLocal()
    return out
  }

  /** Headers go in a second statement, only for the jobs that have some: without tracing, inserts are unchanged. */
  private writeHeaders(jobs: readonly NewJob[], out: EnqueueResult[]): EnqueueResult[] {
    for (let i = 0; i < jobs.length; i++) {
      const headers = jobs[i]!.headers
      if (headers !== undefined && out[i]!.created) this.s.setHeaders.run(headers, out[i]!.id)
    }
    return out
  }

  async publishEvents(events: readonly TqEvent[]): Promise<boolean> {
    return this.events.publish(events)
  }

  subscribeEvents(onEvents: (events: TqEvent[]) => void, signal: AbortSignal): Promise<void> {
    return this.events.subscribe(onEvents, signal)
  }

  async claim(req: ClaimRequest): Promise<ClaimResult> {
    if (req.limit <= 0 || req.queues.length === 0) return { jobs: [], nextRunAt: null }
    return this.claimTx.immediate(req)
  }

  private claimInTx(req: ClaimRequest): ClaimResult {
    const now = this.now()
    for (const r of this.s.promoteDue.all(now) as { queue: string }[]) this.counts_.move(r.queue, 'scheduled', 'queued')
    const paused = new Set((this.s.pausedQueues.all() as { name: string }[]).map((r) => r.name))
    const out: ClaimedJob[] = []
    const expired: { id: string; task: string; queue: string }[] = []
    const expiredSteps: string[] = []
    for (const queue of req.queues) {
      if (paused.has(queue)) continue
      const limit = req.limit - out.length
      if (limit <= 0) break
      const rows = this.s.claim.all({ queue, limit, now, leaseUntil: now + req.leaseMs, workerId: req.workerId }) as ClaimRow[]
      this.counts_.move(queue, 'queued', 'active', rows.length)
      for (const r of rows) {
        // Past its expiry: it never runs. Checked here, on the few claimed rows, not by scanning the queue.
        if (r.expiresAt !== null && r.expiresAt <= now) {
          this.s.expireClaimed.run({ seq: r.seq, now })
          this.counts_.move(queue, 'active', 'expired')
          expired.push({ id: r.id, task: r.task, queue })
          if (r.workflowId) expiredSteps.push(r.id)
          continue
        }
        this.claimedSeq.set(r.id, r)
        out.push(r)
      }
    }
    if (expiredSteps.length > 0) this.steps.ended(expiredSteps, now)
    // RETURNING order is unspecified; hand jobs out in claim order.
    out.sort((a, b) => b.priority - a.priority || a.runAt - b.runAt)
    // Drained: say when the next delayed job of these queues is due, in the same transaction.
    const next = out.length < req.limit ? (this.s.nextRunAt.get(JSON.stringify(req.queues)) as { at: number } | undefined) : undefined
    return { jobs: out, nextRunAt: next ? next.at : null, ...(expired.length ? { expired } : {}) }
  }

  async settle(outcomes: readonly Outcome[]): Promise<boolean[]> {
    if (outcomes.length === 0) return []
    const accepted = this.settleTx.immediate(outcomes)
    this.notifier.notifyLocal()
    return accepted
  }

  /** Row id and queue of a job: remembered from our own claim, else looked up. */
  private locate(id: string): Located {
    return this.claimedSeq.get(id) ?? (this.s.seqOf.get(id) as Located | undefined) ?? { seq: -1, queue: '' }
  }

  private seqOf(id: string): number {
    return this.locate(id).seq
  }

  private settleOne(o: Outcome, now: number, finished: Map<string, number>, endedSteps: string[]): boolean {
    const { seq, queue, workflowId } = this.locate(o.id)
    this.claimedSeq.delete(o.id)
    const base = { seq, token: o.token }
    /** Applies the count change when the write was accepted; finished jobs count towards throughput. */
    const moved = (changes: number, to: string, finishes = false) => {
      if (changes !== 1) return false
      this.counts_.move(queue, 'active', to)
      if (finishes) finished.set(queue, (finished.get(queue) ?? 0) + 1)
      // A workflow step that ended may release the steps waiting for it (after the batch, same transaction).
      if (finishes && workflowId) endedSteps.push(o.id)
      return true
    }
    switch (o.kind) {
      case 'succeeded':
        return moved(this.s.succeed.run(o.result ?? null, now, o.resultExpiresAt ?? null, seq, o.token).changes, 'succeeded', true)
      case 'failed': {
        const error = JSON.stringify(o.error)
        if (o.retryAt !== undefined) return moved(this.s.retryLater.run({ ...base, runAt: o.retryAt, error }).changes, 'scheduled')
        return moved(this.s.fail.run({ ...base, now, error }).changes, 'failed', true)
      }
      case 'retry':
        return moved(this.s.retryRequested.run({ ...base, runAt: o.runAt }).changes, 'scheduled')
      case 'released': {
        const runAt = o.runAt ?? 0
        return moved(this.s.release.run({ ...base, now, runAt }).changes, runAt > now ? 'scheduled' : 'queued')
      }
      case 'cancelled':
        return moved(this.s.cancelActive.run({ ...base, now, error: o.error ? JSON.stringify(o.error) : null }).changes, 'cancelled', true)
    }
  }

  async renew(leases: readonly { id: string; token: number }[], leaseMs: number): Promise<RenewResult> {
    if (leases.length === 0) return { lost: [], cancelRequested: [] }
    const leaseUntil = this.now() + leaseMs
    const lost: string[] = []
    let cancelRequested: string[] = []
    this.db.transaction(() => {
      for (const l of leases) if (this.s.renew.run({ seq: this.seqOf(l.id), token: l.token, leaseUntil }).changes === 0) lost.push(l.id)
      cancelRequested = (this.s.cancelRequested.all(JSON.stringify(leases.map((l) => l.id))) as { id: string }[]).map((r) => r.id)
    }).immediate()
    return { lost, cancelRequested }
  }

  async recoverExpired(): Promise<number> {
    const n = this.counted(() => {
      const rows = this.s.recoverExpired.all(this.now()) as { queue: string }[]
      for (const r of rows) this.counts_.move(r.queue, 'active', 'queued')
      return rows.length
    }).immediate()
    if (n > 0) this.notifier.notifyLocal()
    return n
  }

  async progress(id: string, token: number, progress: string): Promise<boolean> {
    const ok = this.s.progress.run({ seq: this.seqOf(id), token, progress }).changes === 1
    this.notifier.notifyLocal()
    return ok
  }

  waitForChange(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return this.notifier.wait(timeoutMs, signal)
  }

  async getJob(id: string): Promise<JobJSON | null> {
    const row = this.s.getJob.get(id) as StoredJob | undefined
    return row ? toJobJSON(row) : null
  }

  async findJobIds(fragment: string, limit: number): Promise<string[]> {
    if (fragment === '' || limit <= 0) return []
    // The ids starting with the fragment sort between it and the fragment with its last character bumped.
    const to = fragment.slice(0, -1) + String.fromCharCode(fragment.charCodeAt(fragment.length - 1) + 1)
    const found = new Set((this.s.idsInRange.all({ from: fragment, to, limit }) as { id: string }[]).map((r) => r.id))
    if (found.size < limit) for (const r of this.s.idsEndingWith.all({ fragment, limit }) as { id: string }[]) if (found.size < limit) found.add(r.id)
    return [...found]
  }

  async listJobs(filter: JobFilter): Promise<JobJSON[]> {
    const { sql, params } = listQuery(filter)
    // A few filter shapes per state: prepare each once (tq status lists jobs every second).
    let stmt = this.listStatements.get(sql)
    if (!stmt) this.listStatements.set(sql, (stmt = this.db.prepare(sql)))
    return (stmt.all(params) as StoredJob[]).map(toJobJSON)
  }

  async children(parentId: string): Promise<JobJSON[]> {
    return (this.s.children.all(parentId) as StoredJob[]).map(toJobJSON)
  }

  async counts(): Promise<QueueCounts[]> {
    const byQueue = new Map<string, QueueCounts>()
    const get = (queue: string) => {
      let q = byQueue.get(queue)
      if (!q) byQueue.set(queue, (q = { queue, paused: false, counts: emptyCounts() }))
      return q
    }
    for (const r of this.s.counts.all() as { queue: string; state: JobState; n: number }[]) get(r.queue).counts[r.state] = r.n
    for (const r of this.s.queues.all() as { name: string; paused: number }[]) get(r.name).paused = r.paused === 1
    return [...byQueue.values()].sort((a, b) => a.queue.localeCompare(b.queue))
  }

  async cancel(ids: readonly string[]): Promise<CancelResult> {
    const result = this.counted(() => this.admin.cancel(ids, this.now())).immediate()
    this.notifier.notifyLocal()
    return result
  }

  async retry(ids: readonly string[]): Promise<string[]> {
    const done = this.counted(() => this.admin.retry(ids, this.now())).immediate()
    this.notifier.notifyLocal()
    return done
  }

  async failedIds(queue?: string): Promise<string[]> {
    return (this.s.failedIds.all({ queue: queue ?? null }) as { id: string }[]).map((r) => r.id)
  }

  async purge(filter: { queue?: string; state?: JobState }): Promise<number> {
    return this.counted(() => this.deleted(this.s.purge.all({ queue: filter.queue ?? null, state: filter.state ?? null }))).immediate()
  }

  async pause(queue: string): Promise<void> {
    this.s.setPaused.run({ name: queue, paused: 1 })
  }

  async resume(queue: string): Promise<void> {
    this.s.setPaused.run({ name: queue, paused: 0 })
    this.notifier.notifyLocal()
  }

  async enqueueSlot(schedule: string, slotAt: number, job: NewJob & { id: string }): Promise<EnqueueResult> {
    const result = this
      .counted(() => {
        const r = this.inserts.insertOne(job, this.now())
        this.s.markSlot.run({ name: schedule, task: job.task, slotAt, jobId: job.id })
        return this.writeHeaders([job], [r])[0]!
      })
      .immediate()
    if (result.created) this.notifier.notifyLocal()
    return result
  }

  async prune(req: PruneRequest): Promise<number> {
    const now = this.now()
    return this.counted(() => {
        let n = 0
        if (req.finishedBefore !== undefined) n += this.deleted(this.s.pruneFinished.all({ before: req.finishedBefore }))
        if (req.failedBefore !== undefined) n += this.deleted(this.s.pruneFailed.all({ before: req.failedBefore }))
        this.s.expireResults.run(now)
        this.s.pruneThroughput.run(Math.floor(now / 1000) - 3600)
        return n
      })
      .immediate()
  }

  /** Records deleted rows (from a DELETE … RETURNING queue, state) in the counts. */
  private deleted(rows: unknown[]): number {
    for (const r of rows as { queue: string; state: string }[]) this.counts_.move(r.queue, r.state, null)
    return rows.length
  }

  // ---- side tables (./side-tables.ts) --------------------------------------------------

  async takeRateTokens(key: string, intervalMs: number, n: number): Promise<{ granted: number; nextAt: number }> {
    return this.side.takeRateTokens(key, intervalMs, n)
  }

  async saveSchedules(schedules: readonly Omit<ScheduleRecord, 'lastSlotAt' | 'lastJobId'>[]): Promise<void> {
    this.side.saveSchedules(schedules)
  }

  async listSchedules(): Promise<ScheduleRecord[]> {
    return this.side.listSchedules()
  }

  async heartbeat(info: WorkerInfo, reapAfterMs?: number): Promise<ReapedWorker[]> {
    if (!reapAfterMs) {
      this.side.heartbeat(info)
      return []
    }
    const reaped = this.counted(() => {
      this.side.heartbeat(info)
      return reapDeadWorkers(this.s, this.counts_, info.id, this.now() - reapAfterMs)
    }).immediate()
    if (reaped.some((r) => r.requeued > 0)) this.notifier.notifyLocal()
    return reaped
  }

  async listWorkers(): Promise<WorkerInfo[]> {
    return this.side.listWorkers()
  }

  async removeWorker(id: string): Promise<void> {
    this.side.removeWorker(id)
  }

  async throughput(seconds: number): Promise<Record<string, number[]>> {
    return this.side.throughput(seconds)
  }

  async close(): Promise<void> {
    this.notifier.close()
    if (this.db.open) this.db.close()
  }
}

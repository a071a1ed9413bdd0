import type Database from 'better-sqlite3'
import { emptyCounts, toJobJSON, type StoredJob } from '../job-json.js'
import type { TqEvent } from '../event-types.js'
import type {
  Broker,
  CancelResult,
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
import { ARRIVAL_BATCH_MAX, ARRIVALS_MAX, indexArrivals, isArrival } from './arrivals.js'
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
import { ClaimSettle, NOT_ALL_CURRENT } from './claim-settle.js'

/** A jobs row: an arrival not entered yet has its id in lone_id (arrivals.ts). */
type StoredRow = StoredJob & { lone_id?: string | null }
const rowJSON = (row: StoredRow): JobJSON => toJobJSON(row.id === null ? { ...row, id: row.lone_id! } : row)

/** The file name that opens a private in-memory database. */
export const MEMORY = ':memory:'

export interface SqliteBrokerOptions {
  /** The clock (epoch ms). Default Date.now; tqjs/testing passes its fake clock. */
  now?: () => number
}

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
  /** Claims and settles: the working role's writes. */
  private readonly work: ClaimSettle
  private readonly listStatements = new Map<string, Database.Statement>()

  private readonly insertMany: Database.Transaction<(jobs: readonly NewJob[]) => EnqueueResult[]>
  private readonly arrivalsTx: Database.Transaction<(jobs: readonly NewJob[]) => { out: EnqueueResult[]; lastSeq: number }>
  /** index_mark as this process last saw it: it enters arrivals itself once ARRIVALS_MAX are above it. */
  private markSeen: number
  private readonly readJob: (id: string) => StoredRow | undefined
  private readonly readIds: (fragment: string, to: string, limit: number) => string[]
  private readonly claimTx: Database.Transaction<(req: ClaimRequest) => ClaimResult>
  private readonly settleTx: Database.Transaction<(outcomes: readonly Outcome[], batched: boolean) => boolean[]>

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
    this.s.claimable.raw(true)
    this.s.lastSeq.pluck(true)
    this.s.indexMark.pluck(true)
    this.markSeen = this.s.indexMark.get() as number
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
    // Deferred transactions: one read snapshot for both lookups, so a claim entering the arrival
    // in between cannot hide it from both.
    this.readJob = this.db.transaction((id: string) => (this.s.getJob.get(id) ?? this.s.getArrival.get(id)) as StoredRow | undefined)
    this.readIds = this.db.transaction((fragment: string, to: string, limit: number) => {
      const found = new Set((this.s.idsInRange.all({ from: fragment, to, limit }) as { id: string }[]).map((r) => r.id))
      if (found.size < limit) for (const r of this.s.idsEndingWith.all({ fragment, limit }) as { id: string }[]) if (found.size < limit) found.add(r.id)
      if (found.size < limit) for (const r of this.s.arrivalIds.all({ fragment, limit }) as { id: string }[]) if (found.size < limit) found.add(r.id)
      return [...found]
    })
    this.arrivalsTx = this.db.transaction((jobs: readonly NewJob[]) => this.inserts.insertArrivals(jobs, this.now()))
    this.work = new ClaimSettle(this.s, this.counts_, this.steps, this.now, (sql) => this.db.prepare(sql))
    this.claimTx = this.counted((req: ClaimRequest) => this.work.claim(req))
    this.settleTx = this.counted((outcomes: readonly Outcome[], batched: boolean) => this.work.settle(outcomes, batched))
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
    let out: EnqueueResult[]
    if (jobs.length <= ARRIVAL_BATCH_MAX && jobs.every(isArrival)) {
      // One job is one statement: it commits on its own (autocommit takes the write lock, waiting
      // as BEGIN IMMEDIATE would, and is durable when run() returns), without BEGIN and COMMIT.
      // Arrivals write no counter (a live state) and no index (arrivals.ts).
      const r = jobs.length === 1 ? this.inserts.insertArrivals(jobs, this.now()) : this.arrivalsTx.immediate(jobs)
      out = r.out
      if (r.lastSeq - this.markSeen > ARRIVALS_MAX || r.lastSeq < this.markSeen) this.enterArrivals()
    } else {
      out = this.insertMany.immediate(jobs)
    }
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

  async settle(outcomes: readonly Outcome[]): Promise<boolean[]> {
    if (outcomes.length === 0) return []
    let accepted: boolean[]
    try {
      accepted = this.settleTx.immediate(outcomes, true)
    } catch (err) {
      // A lease was lost: that transaction rolled back; one statement a job says which.
      if (err !== NOT_ALL_CURRENT) throw err
      accepted = this.settleTx.immediate(outcomes, false)
    }
    this.notifier.notifyLocal()
    return accepted
  }

  async renew(leases: readonly { id: string; token: number }[], leaseMs: number): Promise<RenewResult> {
    if (leases.length === 0) return { lost: [], cancelRequested: [] }
    const leaseUntil = this.now() + leaseMs
    const lost: string[] = []
    let cancelRequested: string[] = []
    this.db.transaction(() => {
      for (const l of leases) if (this.s.renew.run({ seq: this.work.seqOf(l.id), token: l.token, leaseUntil }).changes === 0) lost.push(l.id)
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
    const ok = this.s.progress.run({ seq: this.work.seqOf(id), token, progress }).changes === 1
    this.notifier.notifyLocal()
    return ok
  }

  waitForChange(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return this.notifier.wait(timeoutMs, signal)
  }

  /**
   * Enters the arrivals once ARRIVALS_MAX wait (or row ids went back below the mark this process
   * saw, after a purge). The jobs are committed already, so a failure here is not the enqueue's:
   * the next claim enters them.
   */
  private enterArrivals(): void {
    try {
      this.markSeen = this.db.transaction(() => indexArrivals(this.s)).immediate()
    } catch {
      /* busy or full: left to the next claim */
    }
  }

  async getJob(id: string): Promise<JobJSON | null> {
    const row = this.readJob(id)
    return row ? rowJSON(row) : null
  }

  async findJobIds(fragment: string, limit: number): Promise<string[]> {
    if (fragment === '' || limit <= 0) return []
    // The ids starting with the fragment sort between it and the fragment with its last character bumped.
    const to = fragment.slice(0, -1) + String.fromCharCode(fragment.charCodeAt(fragment.length - 1) + 1)
    return this.readIds(fragment, to, limit)
  }

  async listJobs(filter: JobFilter): Promise<JobJSON[]> {
    const { sql, params } = listQuery(filter)
    // A few filter shapes per state: prepare each once (tq status lists jobs every second).
    let stmt = this.listStatements.get(sql)
    if (!stmt) this.listStatements.set(sql, (stmt = this.db.prepare(sql)))
    return (stmt.all(params) as StoredRow[]).map(rowJSON)
  }

  async children(parentId: string): Promise<JobJSON[]> {
    return (this.s.children.all(parentId) as StoredRow[]).map(rowJSON)
  }

  async counts(): Promise<QueueCounts[]> {
    const byQueue = new Map<string, QueueCounts>()
    const get = (queue: string) => {
      let q = byQueue.get(queue)
      if (!q) byQueue.set(queue, (q = { queue, paused: false, counts: emptyCounts() }))
      return q
    }
    for (const r of this.s.counts.all() as { queue: string; state: JobState; n: number }[]) get(r.queue).counts[r.state] += r.n
    for (const r of this.s.queues.all() as { name: string; paused: number }[]) get(r.name).paused = r.paused === 1
    return [...byQueue.values()].sort((a, b) => a.queue.localeCompare(b.queue))
  }

  async cancel(ids: readonly string[]): Promise<CancelResult> {
    const result = this.counted(() => (indexArrivals(this.s), this.admin.cancel(ids, this.now()))).immediate()
    this.notifier.notifyLocal()
    return result
  }

  async retry(ids: readonly string[]): Promise<string[]> {
    const done = this.counted(() => (indexArrivals(this.s), this.admin.retry(ids, this.now()))).immediate()
    this.notifier.notifyLocal()
    return done
  }

  async failedIds(queue?: string): Promise<string[]> {
    return (this.s.failedIds.all({ queue: queue ?? null }) as { id: string }[]).map((r) => r.id)
  }

  async purge(filter: { queue?: string; state?: JobState }): Promise<number> {
    let woke = false
    const n = this.counted(() => {
        indexArrivals(this.s)
        const rows = this.s.purge.all({ queue: filter.queue ?? null, state: filter.state ?? null }) as { id: string; queue: string; state: JobState; next: string | null }[]
        woke = this.steps.deleted(rows, this.now())
        this.s.lowerIndexMark.run()
        return this.deleted(rows)
      })
      .immediate()
    if (woke) this.notifier.notifyLocal()
    return n
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
        this.s.lowerIndexMark.run()
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

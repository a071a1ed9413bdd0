import type Database from 'better-sqlite3'
import type { ClaimedJob, ClaimRequest, ClaimResult, JobState, Outcome } from '../types.js'
import { indexArrivals } from './arrivals.js'
import type { CountDeltas } from './count-deltas.js'
import { settleSucceeded, SETTLE_ROWS, type Statements } from './sql.js'
import type { WorkflowSteps } from './workflow-steps.js'

/** Where a job is, and whether it is a workflow step (whose end may release others). */
interface Located {
  seq: number
  queue: string
  workflowId?: string | null
}

/**
 * Thrown inside a settle's transaction when a batched write took fewer jobs than it was given
 * (a lease no longer current): the transaction rolls back and the settle runs again job by job,
 * which tells which outcomes were accepted.
 */
export const NOT_ALL_CURRENT = new Error('a batched settle found a lease that is no longer current')

/** Fewer successes than this in a settle are written one statement each. */
const MIN_BATCH = 4

/** A claimed row, as the raw claimable statement returns it (see CLAIM_RETURNS in sql.ts). */
type ClaimRow = [
  seq: number,
  expiresAt: number | null,
  id: string,
  task: string,
  payload: string,
  attempt: number,
  maxAttempts: number,
  token: number,
  priority: number,
  runAt: number,
  createdAt: number,
  parentId: string | null,
  workflowId: string | null,
  headers: string | null,
]

/**
 * The working role's writes on SQLite: claims under leases, and settles fenced by the lease's
 * token. Both run inside the broker's write transactions (which apply the count changes recorded
 * here); this class remembers the row id of each job its connection claimed, so a settle finds
 * the row by rowid without the id index.
 */
export class ClaimSettle {
  /** Row id and queue of the jobs this connection claimed. */
  private readonly claimedSeq = new Map<string, Located>()
  /** settleSucceeded statements by row count, prepared when first needed. */
  private readonly succeedMany = new Map<number, Database.Statement>()
  private readonly succeedArgs: unknown[] = []

  constructor(
    private readonly s: Statements,
    private readonly counts_: CountDeltas,
    private readonly steps: WorkflowSteps,
    private readonly now: () => number,
    private readonly prepare: (sql: string) => Database.Statement,
  ) {}

  /** Claims up to `req.limit` jobs of the queues, in the caller's write transaction. */
  claim(req: ClaimRequest): ClaimResult {
    const now = this.now()
    indexArrivals(this.s)
    for (const r of this.s.promoteDue.all(now) as { queue: string }[]) this.counts_.move(r.queue, 'scheduled', 'queued')
    const paused = new Set((this.s.pausedQueues.all() as { name: string }[]).map((r) => r.name))
    const out: ClaimedJob[] = []
    const expired: { id: string; task: string; queue: string }[] = []
    const expiredSteps: string[] = []
    for (const queue of req.queues) {
      if (paused.has(queue)) continue
      const limit = req.limit - out.length
      if (limit <= 0) break
      const rows = this.s.claimable.all({ queue, limit }) as ClaimRow[]
      if (rows.length === 0) continue
      // The same jobs, leased (same query, same transaction): the count says so.
      const leased = this.s.claim.run({ queue, limit: rows.length, now, leaseUntil: now + req.leaseMs, workerId: req.workerId }).changes
      if (leased !== rows.length) throw new Error(`claim: leased ${leased} of the ${rows.length} jobs read`)
      this.counts_.move(queue, 'queued', 'active', rows.length)
      for (const r of rows) {
        // As the UPDATE wrote them: attempt + 1, token max(token + 1, now).
        r[5] += 1
        r[7] = Math.max(r[7] + 1, now)
        const id = r[2]
        const workflowId = r[12]
        // Past its expiry: it never runs. Checked here, on the few claimed rows, not by scanning the queue.
        const expiresAt = r[1]
        if (expiresAt !== null && expiresAt <= now) {
          this.s.expireClaimed.run({ seq: r[0], now })
          this.counts_.move(queue, 'active', 'expired')
          expired.push({ id, task: r[3], queue })
          if (workflowId) expiredSteps.push(id)
          continue
        }
        this.claimedSeq.set(id, { seq: r[0], queue, workflowId })
        out.push({ id, task: r[3], queue, payload: r[4], attempt: r[5], maxAttempts: r[6], token: r[7], priority: r[8], runAt: r[9], createdAt: r[10], parentId: r[11], workflowId, headers: r[13] })
      }
    }
    if (expiredSteps.length > 0) this.steps.ended(expiredSteps, now)
    // Hand jobs out in claim order. They mostly come in that order already: a pass checks, the
    // sort runs only if not.
    if (!inClaimOrder(out)) out.sort(claimOrder)
    // Drained: say when the next delayed job of these queues is due, in the same transaction.
    const next = out.length < req.limit ? (this.s.nextRunAt.get(JSON.stringify(req.queues)) as { at: number } | undefined) : undefined
    return { jobs: out, nextRunAt: next ? next.at : null, ...(expired.length ? { expired } : {}) }
  }

  /** Row id and queue of a job: remembered from our own claim, else looked up. */
  private locate(id: string): Located {
    return this.claimedSeq.get(id) ?? (this.s.seqOf.get(id) as Located | undefined) ?? { seq: -1, queue: '' }
  }

  /** The row id to write a job by (renew and progress use it too). */
  seqOf(id: string): number {
    return this.locate(id).seq
  }

  /**
   * One batch of outcomes, in the caller's transaction. Per job: one UPDATE by row id; the count
   * changes and throughput are summed per queue and written once per batch.
   */
  settle(outcomes: readonly Outcome[], batched = true): boolean[] {
    const now = this.now()
    // Successes first, many per statement. Nothing else is written or remembered before this, so
    // a lease found lost here (NOT_ALL_CURRENT) rolls back cleanly to the one-by-one path.
    const written = batched ? this.succeedAll(outcomes, now) : undefined
    /** Jobs of a queue that ended (succeeded, failed, cancelled): the throughput of this second. */
    const finished = new Map<string, number>()
    const endedSteps: string[] = []
    const accepted: boolean[] = new Array(outcomes.length)
    for (let i = 0; i < outcomes.length; i++) {
      const o = outcomes[i]!
      const at = this.locate(o.id)
      this.claimedSeq.delete(o.id)
      const to = written?.[i] ? 'succeeded' : this.settleOne(o, at.seq, now)
      accepted[i] = to !== null
      if (to === null) continue
      this.counts_.move(at.queue, 'active', to)
      if (to === 'scheduled' || to === 'queued') continue
      finished.set(at.queue, (finished.get(at.queue) ?? 0) + 1)
      // A workflow step that ended may release the steps waiting for it (after the batch, same transaction).
      if (at.workflowId) endedSteps.push(o.id)
    }
    const second = Math.floor(now / 1000)
    for (const [queue, n] of finished) this.s.countThroughput.run({ second, queue, n })
    if (endedSteps.length > 0) this.steps.ended(endedSteps, now)
    return accepted
  }

  /**
   * Writes the successes among `outcomes` with settleSucceeded, SETTLE_ROWS a statement, and
   * returns which it wrote; undefined when there are too few to batch. Throws NOT_ALL_CURRENT
   * unless every one was written.
   */
  private succeedAll(outcomes: readonly Outcome[], now: number): boolean[] | undefined {
    let n = 0
    for (const o of outcomes) if (o.kind === 'succeeded') n++
    if (n < MIN_BATCH) return undefined
    const written: boolean[] = new Array(outcomes.length).fill(false)
    const args = this.succeedArgs
    let rows = 0
    let changed = 0
    let total = 0
    const write = () => {
      args.length = 1 + 4 * rows
      args[0] = now
      changed += this.statementFor(rows).run(args).changes
      total += rows
      rows = 0
    }
    for (let i = 0; i < outcomes.length; i++) {
      const o = outcomes[i]!
      if (o.kind !== 'succeeded') continue
      const at = 1 + 4 * rows
      args[at] = this.locate(o.id).seq
      args[at + 1] = o.token
      args[at + 2] = o.result ?? null
      args[at + 3] = o.resultExpiresAt ?? null
      written[i] = true
      if (++rows === SETTLE_ROWS) write()
    }
    if (rows > 0) write()
    if (changed !== total) throw NOT_ALL_CURRENT
    return written
  }

  private statementFor(rows: number): Database.Statement {
    let stmt = this.succeedMany.get(rows)
    if (!stmt) this.succeedMany.set(rows, (stmt = this.prepare(settleSucceeded(rows))))
    return stmt
  }

  /** Writes one outcome, fenced by its token; returns the job's new state, or null when the lease was not current. */
  private settleOne(o: Outcome, seq: number, now: number): JobState | null {
    switch (o.kind) {
      case 'succeeded':
        return this.s.succeed.run(o.result ?? null, now, o.resultExpiresAt ?? null, seq, o.token).changes === 1 ? 'succeeded' : null
      case 'failed': {
        const error = JSON.stringify(o.error)
        if (o.retryAt !== undefined) return this.s.retryLater.run({ seq, token: o.token, runAt: o.retryAt, error }).changes === 1 ? 'scheduled' : null
        return this.s.fail.run({ seq, token: o.token, now, error }).changes === 1 ? 'failed' : null
      }
      case 'retry':
        return this.s.retryRequested.run({ seq, token: o.token, runAt: o.runAt }).changes === 1 ? 'scheduled' : null
      case 'released': {
        const runAt = o.runAt ?? 0
        return this.s.release.run({ seq, token: o.token, now, runAt }).changes === 1 ? (runAt > now ? 'scheduled' : 'queued') : null
      }
      case 'cancelled':
        return this.s.cancelActive.run({ seq, token: o.token, now, error: o.error ? JSON.stringify(o.error) : null }).changes === 1 ? 'cancelled' : null
    }
  }
}

/** The order a claim hands jobs out in: higher priority first, then earlier run time. */
const claimOrder = (a: ClaimedJob, b: ClaimedJob): number => b.priority - a.priority || a.runAt - b.runAt

function inClaimOrder(jobs: readonly ClaimedJob[]): boolean {
  for (let i = 1; i < jobs.length; i++) if (claimOrder(jobs[i - 1]!, jobs[i]!) > 0) return false
  return true
}

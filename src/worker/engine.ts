import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import { toMs } from '../util/duration.js'
import type { ClaimedJob, Outcome } from '../broker/types.js'
import { applyRateLimits } from './rate-limits.js'
import { Housekeeping } from './housekeeping.js'
import { engineHooks } from './pool-hooks.js'
import { decideOutcome } from './outcome.js'
import type { EngineEvent } from './events.js'
import type { EngineBroker, EngineOptions } from './engine-options.js'
import { renewLeases } from './renew-leases.js'
import { SettleBatch } from './settle-batch.js'
import type { TaskCatalog } from './manifest.js'
import type { PoolHooks, PoolResult, ThreadPool } from './pool.js'
import { workerRecord, type Running } from './running.js'

export type { EngineBroker, EngineEvent, EngineOptions }

/** After ctx.signal aborts (timeout, cancel), how long a task has to stop before its thread is ended. */
const GRACE_MS = 500

/** Broker failures in a row after which `--burst` gives up: a batch run must end, not wait on a broken store. */
const BURST_FAILURES = 5

/** Longest idle sleep between claims when nothing announces a change. */
const IDLE_CHECK_MS = 5000

/**
 * The smallest claim worth splitting. At high concurrency a claim asks for half the slots at most,
 * so the broker works on the second half (and on the settle of the first) while the task threads
 * run the first: with one claim for every slot, the broker and the threads took turns. Below
 * twice this, claims stay whole: smaller batches cost more per job than the overlap wins.
 */
const MIN_CLAIM_CHUNK = 100

/**
 * The worker engine: claims jobs from the broker in batches, hands them to a thread pool,
 * renews their leases while they run and settles them in batches. It never runs task code
 * itself and talks to the broker only through the Broker interface.
 */
export class WorkerEngine {
  readonly id = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`
  queues: string[]
  readonly concurrency: number
  /** Most jobs one claim asks for (see MIN_CLAIM_CHUNK). */
  private readonly claimChunk: number
  private readonly leaseMs: number
  private pool: ThreadPool
  private tasks: TaskCatalog
  private readonly running = new Map<string, Running>()
  /**
   * Jobs whose task has ended but whose outcome is not committed yet. They stay in `running` (so
   * their leases are renewed) but no longer hold a slot, so the next claim overlaps the settle.
   * At most `concurrency` of them: a claim waits while that many are unsaved.
   */
  private readonly settling = new Set<string>()
  private stopping = false
  /** Aborts the idle wait in progress: stop() uses it to end the loop at once. */
  private idle: AbortController | undefined
  private slotFreed: (() => void) | undefined
  private loopDone: Promise<void> | undefined
  private renewTimer: NodeJS.Timeout | undefined
  private lastRecover = 0
  private readonly settles: SettleBatch
  /** Heartbeat and retention timers. */
  private readonly housekeeping: Housekeeping
  private readonly startedAt = Date.now()
  /** Why a burst run gave up: done() rejects with it. */
  private gaveUp: Error | undefined

  constructor(
    private readonly broker: EngineBroker,
    private readonly opts: EngineOptions,
  ) {
    this.concurrency = Math.max(1, opts.concurrency ?? 10)
    this.claimChunk = Math.max(MIN_CLAIM_CHUNK, Math.ceil(this.concurrency / 2))
    this.leaseMs = opts.leaseMs ?? 30_000
    this.tasks = opts.tasks
    this.settles = new SettleBatch(
      broker,
      this.leaseMs,
      opts.onError,
      (r, event) => {
        this.running.delete(r.job.id)
        this.settling.delete(r.job.id)
        this.opts.onEvent?.(event)
      },
      () => this.wakeSlotWaiter(),
    )
    this.housekeeping = new Housekeeping(broker, opts, () =>
      workerRecord({
        id: this.id,
        queues: this.queues,
        concurrency: this.concurrency,
        startedAt: this.startedAt,
        running: this.running,
        pool: this.pool,
        done: this.settles.succeeded,
        failed: this.settles.failed,
      }),
    )
    this.queues = this.queuesFor(opts.tasks)
    this.pool = opts.pool
    this.pool.setHooks(this.hooks())
  }

  private queuesFor(tasks: TaskCatalog): string[] {
    return this.opts.queues ?? [...new Set(['default', ...[...tasks.values()].map((t) => t.options.queue ?? 'default')])]
  }

  private hooks(): PoolHooks {
    return engineHooks({ broker: this.broker, running: this.running, tasks: () => this.tasks, onEvent: this.opts.onEvent })
  }

  /**
   * Hot reload: new jobs go to `pool` from now on; jobs running on the old pool finish there for up
   * to the swap grace, then are released back to the queue (never lost); then the old threads end.
   */
  async swapPool(pool: ThreadPool, tasks: TaskCatalog): Promise<void> {
    const old = this.pool
    pool.setHooks(this.hooks())
    this.pool = pool
    this.tasks = tasks
    this.queues = this.queuesFor(tasks)
    this.idle?.abort() // new queues may have work
    const onOld = () => [...this.running.values()].filter((r) => r.pool === old)
    const deadline = Date.now() + (this.opts.swapGraceMs ?? 10_000)
    while (onOld().length > 0 && Date.now() < deadline) await this.waitForSlotOrTimeout(Math.min(100, deadline - Date.now()))
    for (const r of onOld()) r.stopReason = 'shutdown'
    await old.close()
  }

  /** Resolves when a running job has been settled, or after `ms`. */
  private waitForSlotOrTimeout(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms)
      const prev = this.slotFreed
      this.slotFreed = () => {
        clearTimeout(t)
        prev?.()
        resolve()
      }
    })
  }

  /** Starts the claim loop and the lease, heartbeat and retention timers (the first beat awaited). */
  async start(): Promise<void> {
    // Renew well inside the lease; at least every second so cancellations are noticed quickly.
    const every = Math.max(50, Math.min(1000, Math.floor(this.leaseMs / 3)))
    this.renewTimer = setInterval(() => void renewLeases(this.broker, this.running, this.leaseMs, (r, why, msg) => this.stopJob(r, why, msg)), every)
    await this.housekeeping.start()
    // A burst run ends once the queues are drained: it takes jobs by claiming only.
    if (!this.opts.burst) this.broker.deliverHanded?.(this.id, (job) => this.startHanded(job))
    this.loopDone = this.loop()
  }

  /** Resolves when the loop has ended (burst mode finished, or stop()). */
  done(): Promise<void> {
    return (this.loopDone ?? Promise.resolve()).then(() => {
      if (this.gaveUp) throw this.gaveUp
    })
  }

  /**
   * Graceful stop: claim nothing more, let running jobs finish for up to `graceMs`, then abort
   * them and release them back to the queue (not counted as attempts).
   */
  async stop(graceMs = 30_000): Promise<void> {
    this.stopping = true
    this.broker.deliverHanded?.(this.id, undefined)
    this.idle?.abort()
    this.slotFreed?.()
    await this.loopDone
    // No more claims: a broker that hands jobs to idle workers stops handing them here.
    await this.broker.stopClaiming?.(this.id).catch(() => undefined)
    const deadline = Date.now() + graceMs
    while (this.running.size > 0 && Date.now() < deadline) await this.waitForSlotOrTimeout(Math.min(100, deadline - Date.now()))
    const pools = new Set([this.pool, ...[...this.running.values()].map((r) => r.pool)])
    for (const r of this.running.values()) {
      r.stopReason = 'shutdown'
      r.pool.abort(r.job.id, 'the worker is shutting down')
    }
    await Promise.all([...pools].map((p) => p.close()))
    await this.settles.flush()
    clearInterval(this.renewTimer)
    this.housekeeping.stop()
    await this.opts.onStopped?.().catch(() => undefined)
    await this.broker.removeWorker(this.id).catch(() => undefined)
  }

  /** Jobs running now (slots busy), for metrics. */
  get busy(): number {
    return this.running.size - this.settling.size
  }

  /**
   * Slots free for new jobs: a job whose settle is in flight frees its slot, but no more than
   * twice the concurrency are held at once (running or settling).
   */
  private freeSlots(): number {
    return Math.min(this.concurrency - this.busy, 2 * this.concurrency - this.running.size)
  }

  /**
   * A second Ctrl-C: puts the running jobs back on the queue now (the attempt not counted), so
   * they need not wait for a live worker to reap this one, and removes this worker's record. The
   * caller exits right after; bounded, since the broker may be the reason for the hurry.
   * Resolves with how many jobs went back.
   */
  async abandon(timeoutMs = 2000): Promise<number> {
    this.stopping = true
    this.idle?.abort()
    const outcomes: Outcome[] = [...this.running.values()].map((r) => ({ id: r.job.id, token: r.job.token, kind: 'released' }))
    const work = (async () => {
      const accepted = outcomes.length ? (await this.broker.settle(outcomes)).filter(Boolean).length : 0
      await this.broker.stopClaiming?.(this.id)
      await this.broker.removeWorker(this.id)
      return accepted
    })()
    const timeout = new Promise<number>((resolve) => setTimeout(() => resolve(0), timeoutMs).unref())
    return Promise.race([work.catch(() => 0), timeout])
  }

  private async loop(): Promise<void> {
    let failures = 0
    while (!this.stopping) {
      try {
        if ((await this.step()) === 'done') break
        failures = 0
      } catch (err) {
        // The broker is unreachable (Redis restarting, say): report, back off, carry on.
        // Running jobs keep their leases as long as renewals get through.
        if (this.opts.burst && failures + 1 >= BURST_FAILURES) {
          this.gaveUp = err as Error
          break
        }
        this.opts.onError?.(err as Error)
        const backoff = Math.min(5000, 250 * 2 ** failures++)
        this.idle = new AbortController()
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, backoff)
          this.idle!.signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true })
        })
      }
    }
  }

  /** One turn of the loop: claim what fits, then wait for a slot, a change or the next due job. */
  private async step(): Promise<'done' | 'again'> {
    const free = this.freeSlots()
    let claimed = 0
    let limit = 0
    // When the next delayed job of these queues is due: the claim reports it once the queues are
    // drained, and jobs a rate limit sent back are due at their turn.
    let nextAt: number | null = null
    const sooner = (at: number | null): void => {
      if (at !== null && (nextAt === null || at < nextAt)) nextAt = at
    }
    if (free > 0) {
      if (Date.now() - this.lastRecover > Math.max(250, Math.min(5000, this.leaseMs / 4))) {
        this.lastRecover = Date.now()
        await this.broker.recoverExpired()
      }
      limit = Math.min(free, this.claimChunk)
      const { jobs, nextRunAt, expired } = await this.broker.claim({ workerId: this.id, queues: this.queues, limit, leaseMs: this.leaseMs })
      if (expired) for (const job of expired) this.opts.onEvent?.({ type: 'expired', job })
      sooner(nextRunAt)
      // Jobs sent back by a rate limit do not occupy a slot: with all of them sent back, fall
      // through to the idle wait (until the next is due) instead of waiting for a slot.
      const runnable = await this.applyRateLimits(jobs, sooner)
      claimed = runnable.length
      for (const job of runnable) this.run(job)
      this.pool.flush()
    }
    if (this.stopping) return 'done'
    // Every slot taken (a settle committed while the jobs claimed after it still run): nothing
    // can be claimed until one frees, so wait for that alone. Waiting for a change as well would
    // wake on every write of our own.
    if (free <= 0) {
      await this.waitForSlot()
      return 'again'
    }
    if (claimed > 0 && claimed === limit) {
      // A part of the free slots: claim the rest at once, while the threads start on these.
      if (limit < free) return 'again'
      await this.waitForSlot()
      return 'again'
    }
    // Fewer ready jobs than free slots: the queues are drained for now; wait for a change rather
    // than claim again at once.
    if (this.opts.burst && this.running.size === 0) {
      await this.settles.idle()
      const next = await this.broker.claim({ workerId: this.id, queues: this.queues, limit: free, leaseMs: this.leaseMs })
      if (next.expired) for (const job of next.expired) this.opts.onEvent?.({ type: 'expired', job })
      if (next.jobs.length === 0) return 'done'
      sooner(next.nextRunAt)
      const runnable = await this.applyRateLimits(next.jobs, sooner)
      for (const job of runnable) this.run(job)
      this.pool.flush()
      if (runnable.length > 0) return 'again'
    }
    // Idle (or partly busy): sleep until a change, a freed slot, or the next delayed job is due.
    // Brokers wake waiters on every change; the timeout is only a safety net (an idle worker on
    // Redis then sends about one claim every few seconds).
    const timeout = nextAt === null ? IDLE_CHECK_MS : Math.max(0, Math.min(IDLE_CHECK_MS, nextAt - Date.now()))
    this.idle = new AbortController()
    // A freed slot ends the wait even with nothing running now: a job handed to this worker meanwhile
    // (startHanded) ends with a claim, which parks the worker again with its slots free.
    await Promise.race([this.broker.waitForChange(timeout, this.idle.signal), this.waitForSlot()])
    // Releases the broker-side waiter if a freed slot won the race. With a reason: abort() without
    // one builds a DOMException with a stack trace (~20 µs) on every wake, on the way to a claim.
    this.idle.abort(WOKE)
    return 'again'
  }

  private applyRateLimits(jobs: ClaimedJob[], dueAt: (at: number) => void): Promise<ClaimedJob[]> {
    return applyRateLimits(this.broker, this.tasks, jobs, (job, runAt) => {
      dueAt(runAt)
      this.opts.onEvent?.({ type: 'rate-limited', job, runAt })
    })
  }

  private waitForSlot(): Promise<void> {
    return new Promise((r) => (this.slotFreed = r))
  }

  /**
   * A job the broker handed to this worker, already leased (see HandingBroker): started here and
   * now, sent to its thread in this turn. False leaves it to the next claim: while stopping
   * (stopClaiming puts it back), with no free slot, or for a rate-limited task (its tokens are
   * taken on the claim path).
   */
  private startHanded(job: ClaimedJob): boolean {
    if (this.stopping || this.freeSlots() <= 0) return false
    if (this.tasks.get(job.task)?.options.rateLimit !== undefined) return false
    this.run(job, false)
    this.pool.flush()
    // Told once the job is on its way: the log and live events are not on its path.
    this.opts.onEvent?.({ type: 'started', job })
    return true
  }

  private run(job: ClaimedJob, announce = true): void {
    const def = this.tasks.get(job.task)
    const pool = this.pool
    const r: Running = { job, pool, started: performance.now() }
    this.running.set(job.id, r)
    if (announce) this.opts.onEvent?.({ type: 'started', job })
    const timeout = def?.options.timeout
    if (timeout !== undefined) {
      const ms = toMs(timeout, 'timeout')
      r.timer = setTimeout(() => this.stopJob(r, 'timeout', `timed out after ${timeout}`), ms)
    }
    // The claimed job goes to the pool as it is (the pool never changes it), and the outcome comes
    // back through a callback: no copy, promise or reaction per job on this, the busiest, thread.
    pool.submit(job, def?.options.ownThread === true, (res) => this.ended(r, res))
  }

  /** Aborts the job's signal, then ends its thread if it has not stopped after a grace. */
  private stopJob(r: Running, reason: NonNullable<Running['stopReason']>, message: string): void {
    if (r.stopReason) return
    r.stopReason = reason
    r.pool.abort(r.job.id, message)
    const name = reason === 'timeout' ? 'TimeoutError' : reason === 'cancelled' ? 'CancelledError' : 'LeaseLostError'
    setTimeout(() => {
      if (this.running.get(r.job.id) === r) r.pool.kill(r.job.id, { id: r.job.id, ok: false, error: { name, message }, fatal: reason === 'cancelled' })
    }, GRACE_MS).unref()
  }

  private ended(r: Running, res: PoolResult): void {
    clearTimeout(r.timer)
    const { job } = r
    const ms = performance.now() - r.started
    const { outcome, event } = decideOutcome(job, res, r.stopReason, this.tasks.get(job.task)?.options, ms)
    // The slot is free for the next claim now; the job stays in `running` (lease renewed) until
    // its outcome is committed.
    this.settling.add(job.id)
    this.wakeSlotWaiter()
    this.settles.push(outcome, r, event)
  }

  /** A slot is free (an attempt ended, or its settle is over): the one waiting for it goes on. */
  private wakeSlotWaiter(): void {
    const freed = this.slotFreed
    this.slotFreed = undefined
    freed?.()
  }
}

/** The reason an idle wait is over (see step()). */
const WOKE = 'woke'

import { format } from 'node:util'
import type { Size } from '../app/size.js'
import type { TaskContext } from '../app/task.js'
import type { Broker, ClaimedJob, Outcome } from '../broker/types.js'
import type { Registry } from '../loader/registry.js'
import { toMs } from '../util/duration.js'
import { childJob, runAttempt } from '../worker/attempt.js'
import type { TaskCatalog } from '../worker/manifest.js'
import { decideOutcome, type StopReason } from '../worker/outcome.js'
import { applyRateLimits } from '../worker/rate-limits.js'
import { UsageError } from '../errors.js'

/** A line a task logged with ctx.log. */
export interface TestLogLine {
  jobId: string
  task: string
  line: string
}

export interface RunnerParts {
  broker: Broker
  registry: Registry
  catalog: TaskCatalog
  now: () => number
  /** Queues to claim from; grows as jobs are enqueued to new queues. */
  queues: Set<string>
  concurrency: number
  leaseMs: number
  maxPayload?: Size
  logs: TestLogLine[]
}

interface Running {
  job: ClaimedJob
  controller: AbortController
  /** Epoch ms (on the test clock) at which the attempt times out. */
  deadline: number
  stop?: StopReason
}

const WORKER_ID = 'tqjs/testing'

/**
 * The worker engine's cycle, in process and on the test clock: claim ready jobs under a lease,
 * apply rate limits, run each attempt with the code the task threads run (runAttempt), decide
 * its outcome as the engine does (decideOutcome: retries, backoff, RetryLater, FatalError) and
 * settle it. Task code runs in this thread, so module mocks (vi.mock) reach it.
 */
export class InProcessRunner {
  private readonly running = new Map<string, Running>()
  /** When the earliest scheduled job of the queues is due, as the last claim that drained them said. */
  nextRunAt: number | null = null

  constructor(private readonly p: RunnerParts) {}

  /** Claims up to `limit` ready jobs, runs them together and settles them; returns the jobs claimed. */
  async runBatch(limit: number): Promise<ClaimedJob[]> {
    const { broker, catalog } = this.p
    const { jobs, nextRunAt } = await broker.claim({ workerId: WORKER_ID, queues: [...this.p.queues], limit, leaseMs: this.p.leaseMs })
    this.nextRunAt = nextRunAt
    if (jobs.length === 0) return jobs
    const runnable = await applyRateLimits(broker, catalog, jobs)
    const outcomes = await Promise.all(runnable.map((job) => this.runOne(job)))
    await broker.settle(outcomes)
    return jobs
  }

  /** Runs batches until a claim finds nothing ready; returns how many attempts ran. */
  async runUntilIdle(maxJobs: number): Promise<number> {
    let ran = 0
    for (;;) {
      const claimed = await this.runBatch(this.p.concurrency)
      if (claimed.length === 0) return ran
      ran += claimed.length
      if (ran > maxJobs) {
        throw new UsageError(`runUntilIdle() ran ${ran} jobs and more are still ready: a job may enqueue another forever`, 'look for a task that enqueues itself, or raise createTestQueue({ maxJobs })')
      }
    }
  }

  /**
   * After the clock moved: running attempts past their timeout get their signal aborted (and end
   * as timed out), and leases of the others are renewed, as a live worker would, which is also
   * where a cancel asked for meanwhile is noticed.
   */
  async clockMoved(): Promise<void> {
    if (this.running.size === 0) return
    const now = this.p.now()
    for (const r of this.running.values()) if (now >= r.deadline) this.stop(r, 'timeout', 'timed out')
    const leases = [...this.running.values()].map((r) => ({ id: r.job.id, token: r.job.token }))
    const { cancelRequested } = await this.p.broker.renew(leases, this.p.leaseMs)
    for (const id of cancelRequested) {
      const r = this.running.get(id)
      if (r) this.stop(r, 'cancelled', 'cancelled')
    }
  }

  private stop(r: Running, reason: StopReason, message: string): void {
    if (r.stop) return
    r.stop = reason
    r.controller.abort(new Error(message))
  }

  private async runOne(job: ClaimedJob): Promise<Outcome> {
    const { broker, registry, catalog, now } = this.p
    const info = catalog.get(job.task)
    const timeout = info?.options.timeout
    const r: Running = { job, controller: new AbortController(), deadline: timeout === undefined ? Infinity : now() + toMs(timeout, 'timeout') }
    this.running.set(job.id, r)
    const ctx: TaskContext = {
      id: job.id,
      attempt: job.attempt,
      signal: r.controller.signal,
      progress: (value) => void broker.progress(job.id, job.token, JSON.stringify(value ?? null)),
      log: (...args) => void this.p.logs.push({ jobId: job.id, task: job.task, line: format(...args) }),
      enqueue: async (child, payload, opts) => {
        const newJob = childJob(registry.tasks, child, payload, opts, job.id, now(), this.p.maxPayload)
        this.p.queues.add(newJob.queue)
        const [res] = await broker.enqueue([newJob])
        return { id: res!.id }
      },
    }
    const started = performance.now()
    try {
      const end = await runAttempt(registry.tasks.get(job.task), job, ctx)
      return decideOutcome(job, end, r.stop, info?.options, performance.now() - started, now()).outcome
    } finally {
      this.running.delete(job.id)
    }
  }
}

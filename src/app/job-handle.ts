import { announceCancelled } from './announce.js'
import { FINAL_STATES, type JobJSON, type JobState, type ProducerBroker } from '../broker/types.js'
import { JobFailedError, TimeoutError } from '../errors.js'
import { awaitJobEnd } from '../broker/wait-for-job.js'
import { toMs, type Duration } from '../util/duration.js'

export interface EnqueueOptions {
  /** Run no sooner than this long from now. */
  delay?: Duration
  /** Run no sooner than this time. */
  at?: Date | string | number
  priority?: number
  queue?: string
  /** Unique key; overrides the task's `unique`. */
  key?: string
  /** A job not started within this long after its run time expires. Overrides the task's `expires`. */
  expires?: Duration
  /** Links the job to a parent (set by `ctx.enqueue`). */
  parentId?: string
}

export interface ResultOptions {
  /** Give up waiting after this long (the job keeps going). Default: wait forever. */
  timeout?: Duration
  /** Called with the job each time it changes while waiting (progress, state). */
  onUpdate?: (job: JobJSON) => void
}

const FINAL = new Set<JobState>(FINAL_STATES)

/** A handle on an enqueued job. `R` is the task handler's resolved return type. */
export class JobHandle<R = unknown> {
  constructor(
    private readonly broker: ProducerBroker,
    readonly id: string,
    /** false when the enqueue found an existing job (same id or unique key) and returned it. */
    readonly created = true,
    /** The queue the enqueue put it on (unknown for a handle made from an id). */
    readonly queue?: string,
  ) {}

  /** The job as stored now, or null if it was purged. */
  get(): Promise<JobJSON | null> {
    return this.broker.getJob(this.id)
  }

  /** Cancels the job: a waiting job never runs; a running one is aborted. */
  async cancel(): Promise<void> {
    const res = await this.broker.cancel([this.id])
    await announceCancelled(this.broker, res.cancelled)
  }

  /** Waits for the job to finish: resolves with its result, rejects with JobFailedError. */
  async result(opts: ResultOptions = {}): Promise<R> {
    const timeoutMs = opts.timeout === undefined ? Infinity : toMs(opts.timeout, 'timeout')
    // Without onUpdate only the end matters: a broker that pushes it (Redis) needs no read after.
    const job = opts.onUpdate ? await this.watch(timeoutMs, opts.onUpdate) : await awaitJobEnd(this.broker, this.id, timeoutMs)
    if (!job) throw new JobFailedError(this.id, 'missing', `job ${this.id} does not exist (it may have been purged)`)
    if (!FINAL.has(job.state)) throw new TimeoutError(`job ${this.id} did not finish in time (still ${job.state})`, 'wait longer with --timeout, or check workers with tq status')
    if (job.state === 'succeeded') return job.result as R
    const message = job.error?.message ?? `job ${job.state}`
    throw new JobFailedError(job.id, job.state, message, job.error?.stack, job.error?.name)
  }

  /** Reads the job after every change until it ends or time runs out, reporting each change seen. */
  private async watch(timeoutMs: number, onUpdate: (job: JobJSON) => void): Promise<JobJSON | null> {
    const deadline = Date.now() + timeoutMs
    let lastSeen = ''
    for (;;) {
      const job = await this.broker.getJob(this.id)
      if (!job) return null
      const seen = `${job.state}|${JSON.stringify(job.progress)}|${job.attempt}`
      if (seen !== lastSeen) (lastSeen = seen), onUpdate(job)
      const left = deadline - Date.now()
      if (FINAL.has(job.state) || left <= 0) return job
      await this.broker.waitForChange(Math.min(left, 1000))
    }
  }
}

import { toMs, type Duration } from './duration.js'
import { rateInterval } from './rate.js'
import type { EnqueueOptions, JobHandle } from './job-handle.js'

/** Brand that marks task objects, so module exports can be recognised across bundles and threads. */
export const TASK = Symbol.for('tqjs.task')

export interface BackoffOptions {
  type: 'fixed' | 'exponential'
  /** First delay (and every delay when fixed). */
  delay: Duration
  /** Upper bound for exponential delays. */
  max?: Duration
  /** Randomise each delay between 50% and 100% of its value, so retries of many jobs spread out. */
  jitter?: boolean
}

export interface TaskOptions<P> {
  /** Queue the jobs go to unless the enqueue names one. Default `default`. */
  queue?: string
  /** Higher runs first. Default 0. */
  priority?: number
  /** Extra attempts after the first fails. Default 0. */
  retries?: number
  backoff?: BackoffOptions
  /** Hard limit for one attempt. */
  timeout?: Duration
  /** e.g. `'20/s'`, `'100/m'`, `'1000/h'`, enforced across all workers. */
  rateLimit?: string
  /** Unique key from the payload: while a job with the key is waiting or running, enqueue returns it. */
  unique?: (payload: P) => string
  /** How long results are kept. */
  resultTtl?: Duration
  /** A job not started within this long after its run time expires. */
  expires?: Duration
  /**
   * Validates payloads: any object with `parse(value)` that returns the payload or throws (a zod
   * schema, say). Checked at enqueue (an invalid payload is refused) and again before each run
   * (an invalid one fails without retries).
   */
  schema?: PayloadSchema<P>
}

export interface PayloadSchema<P> {
  parse(value: unknown): P
}

export interface TaskContext {
  /** This job's id. */
  readonly id: string
  /** 1 for the first attempt. */
  readonly attempt: number
  /** Aborted on cancel, timeout and shutdown. */
  readonly signal: AbortSignal
  /** Stores progress (any JSON value), visible in `tq job` and `tq status`. */
  progress(value: unknown): void
  /** Logs a line tagged with the job, shown by the worker. */
  log(...args: unknown[]): void
  /** Enqueues a child job linked to this one. */
  enqueue<P2, R2>(task: Task<P2, R2> | string, payload: P2, opts?: EnqueueOptions): Promise<{ id: string }>
}

export type Handler<P, R> = (payload: P, ctx: TaskContext) => R | Promise<R>

export interface Task<P = unknown, R = unknown> {
  readonly [TASK]: true
  readonly name: string
  readonly handler: Handler<P, R>
  readonly options: TaskOptions<P>
  /** Enqueues one job through the default client (see `connect`). */
  enqueue(payload: P, opts?: EnqueueOptions): Promise<JobHandle<Awaited<R>>>
  /** Enqueues many jobs in one atomic batch. */
  enqueueMany(payloads: readonly P[], opts?: EnqueueOptions): Promise<JobHandle<Awaited<R>>[]>
}

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.:\-/]*$/

/**
 * Defines a task. The payload and result types come from the handler:
 * `task('email.welcome', async (p: { to: string }) => ({ sent: true }))`.
 */
export function task<P, R>(name: string, handler: Handler<P, R>, options: TaskOptions<P> = {}): Task<P, R> {
  if (!NAME.test(name)) throw new Error(`invalid task name "${name}": use letters, digits and . _ - : /`)
  if (typeof handler !== 'function') throw new Error(`task "${name}" needs a handler function`)
  // Check option values now, so a typo fails when the module loads rather than at run time.
  if (options.rateLimit !== undefined) rateInterval(options.rateLimit)
  for (const key of ['timeout', 'resultTtl', 'expires'] as const) if (options[key] !== undefined) toMs(options[key]!, key)
  if (options.retries !== undefined && (!Number.isInteger(options.retries) || options.retries < 0)) {
    throw new Error(`task "${name}": retries must be a non-negative integer`)
  }
  const def: Task<P, R> = {
    [TASK]: true,
    name,
    handler,
    options,
    async enqueue(payload, opts) {
      const { defaultClient } = await import('./client.js')
      return (await defaultClient()).enqueue(def, payload, opts)
    },
    async enqueueMany(payloads, opts) {
      const { defaultClient } = await import('./client.js')
      return (await defaultClient()).enqueueMany(def, payloads, opts)
    },
  }
  return def
}

export function isTask(value: unknown): value is Task {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[TASK] === true
}

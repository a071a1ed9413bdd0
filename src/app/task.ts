import { toMs, type Duration } from './duration.js'
import { rateInterval } from './rate.js'
import type { EnqueueOptions, JobHandle } from './job-handle.js'
import type { NameIfJson, ResultJson } from './json-types.js'

/**
 * A task has two halves. Its **contract** (name, payload and result types, defaults, schema,
 * unique key) is what producers need: `defineTask<P, R>(name, options)`, importable without the
 * handler and whatever the handler imports. Its **implementation** is the contract plus a handler:
 * `contract.implement(handler)`, found by the worker in the task modules. `task(name, handler,
 * options)` is the short form of both at once.
 */

/** Brands that mark contracts and tasks, so module exports are recognised across bundles and threads. */
export const CONTRACT = Symbol.for('tqjs.contract')
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
  /** Enqueues a child job linked to this one, through the same checks as any enqueue. */
  enqueue<P2, R2>(task: TaskContract<P2, R2> | string, payload: NoInfer<P2>, opts?: EnqueueOptions): Promise<{ id: string }>
}

export type Handler<P, R> = (payload: P, ctx: TaskContext) => R | Promise<R>

/** What producers import: a task's name, types and defaults, without its handler. */
export interface TaskContract<P = unknown, R = unknown> {
  readonly [CONTRACT]: true
  readonly name: string
  readonly options: TaskOptions<P>
  /** Type-only: the handler's result type. Never set at run time. */
  readonly __result?: R
  /** Enqueues one job through the default client (see `connect`). */
  enqueue(payload: P, opts?: EnqueueOptions): Promise<JobHandle<ResultJson<R>>>
  /** Enqueues many jobs in one atomic batch. */
  enqueueMany(payloads: readonly P[], opts?: EnqueueOptions): Promise<JobHandle<ResultJson<R>>[]>
  /** The implementation: this contract plus its handler. Export it from a task module. */
  implement(handler: Handler<P, R>): Task<P, R>
}

/** A contract with its handler: what a worker runs. */
export interface Task<P = unknown, R = unknown> extends TaskContract<P, R> {
  readonly [TASK]: true
  readonly handler: Handler<P, R>
}

/** Payload type of a contract or task. */
export type PayloadOf<T> = T extends TaskContract<infer P, any> ? P : never
/** What `result()` gives for a contract or task: the handler's result after a JSON round trip. */
export type ResultOf<T> = T extends TaskContract<any, infer R> ? ResultJson<R> : never

/**
 * Enqueue by name is typed through this interface. Declare your tasks in it once
 * (`declare module 'tqjs' { interface TaskRegistry { 'email.welcome': typeof sendWelcome } }`)
 * and `tq.enqueue('email.welcome', payload)` checks the payload and types the result; a name
 * not declared there is then a compile error. While it is empty, any name is accepted.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface TaskRegistry {}

/** The names enqueue accepts: the declared ones, or any string while none is declared. */
export type TaskName = [keyof TaskRegistry] extends [never] ? string : keyof TaskRegistry & string
/** A declared name's payload (unknown while the registry is empty). */
export type PayloadFor<N extends string> = N extends keyof TaskRegistry ? PayloadOf<TaskRegistry[N]> : unknown
/** A declared name's result (unknown while the registry is empty). */
export type ResultFor<N extends string> = N extends keyof TaskRegistry ? ResultOf<TaskRegistry[N]> : unknown

/** Task and queue names: letters, digits and `. _ - : /`, starting with a letter, digit or `_`. */
export const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.:\-/]*$/

/** Checks option values when the module loads, so a typo fails there rather than at run time. */
function checkOptions(name: string, options: TaskOptions<unknown>): void {
  if (!NAME.test(name)) throw new Error(`invalid task name "${name}": use letters, digits and . _ - : /`)
  if (options.rateLimit !== undefined) rateInterval(options.rateLimit)
  for (const key of ['timeout', 'resultTtl', 'expires'] as const) if (options[key] !== undefined) toMs(options[key]!, key)
  if (options.retries !== undefined && (!Number.isInteger(options.retries) || options.retries < 0)) {
    throw new Error(`task "${name}": retries must be a non-negative integer`)
  }
}

/**
 * Declares a task's contract: `defineTask<{ to: string }, { sent: boolean }>('email.welcome', { queue: 'emails' })`.
 * A payload type that JSON cannot carry (a Date, a Map, a function) is a compile error.
 */
export function defineTask<P = unknown, R = unknown>(name: NameIfJson<P>, options: TaskOptions<P> = {}): TaskContract<P, R> {
  checkOptions(name, options as TaskOptions<unknown>)
  const contract: TaskContract<P, R> = {
    [CONTRACT]: true,
    name,
    options,
    async enqueue(payload, opts) {
      const { defaultClient } = await import('./default-client.js')
      return (await defaultClient()).enqueue(contract, payload, opts)
    },
    async enqueueMany(payloads, opts) {
      const { defaultClient } = await import('./default-client.js')
      return (await defaultClient()).enqueueMany(contract, payloads, opts)
    },
    implement(handler) {
      if (typeof handler !== 'function') throw new Error(`task "${name}" needs a handler function`)
      return { ...contract, [TASK]: true, handler }
    },
  }
  return contract
}

/**
 * Defines a task in one step; the payload and result types come from the handler:
 * `task('email.welcome', async (p: { to: string }) => ({ sent: true }))`.
 */
export function task<P, R>(name: NameIfJson<P>, handler: Handler<P, R>, options: TaskOptions<P> = {}): Task<P, R> {
  return defineTask<P, R>(name, options).implement(handler)
}

export function isTask(value: unknown): value is Task<any, any> {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[TASK] === true
}

export function isContract(value: unknown): value is TaskContract<any, any> {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[CONTRACT] === true
}

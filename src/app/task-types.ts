import type { Duration } from '../util/duration.js'
import type { Signature } from './canvas.js'
import type { EnqueueOptions, JobHandle } from './job-handle.js'
import type { ResultJson } from './json-types.js'
import type { Size } from './size.js'

/**
 * The types of tasks and their contracts (see task.ts for what they are and how to make them).
 * Kept apart from task.ts so the client can name them without importing the code that makes
 * tasks, which itself reaches the client for `task.enqueue()`.
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
   * Run each job in a thread of its own (started for it, ended after it), so CPU-heavy work never
   * shares a thread's event loop with other jobs. Costs a thread start per job (tens of ms).
   */
  ownThread?: boolean
  /**
   * Validates payloads: any object with `parse(value)` that returns the payload or throws (a zod
   * schema, say). Checked at enqueue (an invalid payload is refused) and again before each run
   * (an invalid one fails without retries).
   */
  schema?: PayloadSchema<P>
  /** Largest payload accepted at enqueue, as JSON bytes: `'256kb'`, `'4mb'` or a number. Default: the config's, else 1mb. */
  maxPayload?: Size
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
  /**
   * A signature for a workflow (chain, group, chord): with a payload, the step runs with it; with
   * none, it takes the previous step's result, which must then be a `P` (checked at compile time).
   */
  s(): Signature<P, ResultJson<R>>
  s(payload: P, opts?: EnqueueOptions): Signature<unknown, ResultJson<R>>
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

import type { EnqueueOptions } from '../app/job-handle.js'
import { buildNewJob } from '../app/new-job.js'
import type { Size } from '../app/size.js'
import type { Task, TaskContext, TaskContract, TaskOptions } from '../app/task.js'
import type { NewJob } from '../broker/types.js'
import type { AttemptEnd, RunJob } from './protocol.js'
import { errorToJob, FatalError, retryRequest } from './task-errors.js'

/**
 * One attempt of a job, from the payload's JSON text to how it ended, with the result as JSON
 * text. The task threads run it for production and tqjs/testing runs it in process, so a test
 * sees exactly what a worker does: the schema checked before the run, the payload and result
 * passed through JSON (a Date comes back as a string), a result JSON cannot hold refused.
 */
export function runAttempt(def: Task | undefined, job: RunJob, ctx: TaskContext): Promise<AttemptEnd> {
  return runAttemptIf(() => true, def, job, ctx) as Promise<AttemptEnd>
}

/**
 * runAttempt, once `begin()` agrees, asked in the same turn that calls the handler (this one). A task thread
 * uses it so that jobs sent to it but not begun can be taken back by the pool and run elsewhere
 * when an earlier job blocks the thread: `begin` claims the job (an atomic flag shared with the
 * pool) and says false if the pool took it first; the attempt then resolves to 'skipped'.
 */
export function runAttemptIf(begin: () => boolean, def: Task | undefined, job: RunJob, ctx: TaskContext): Promise<AttemptEnd | 'skipped'> {
  if (!def) return Promise.resolve({ id: job.id, ok: false, fatal: true, error: { name: 'UnknownTaskError', message: `unknown task "${job.task}" (no loaded module defines it)` } })
  if (!begin()) return Promise.resolve('skipped')
  // The handler is called in this turn, its sync throw caught here: one promise for the handler's
  // result and one for how it ended, nothing more. Every promise costs a task thread a little
  // more than itself (async hooks are on there, see thread.ts), and a no-op job is mostly promises.
  let running: Promise<unknown>
  try {
    let payload: unknown
    try {
      payload = JSON.parse(job.payload)
    } catch {
      payload = null
    }
    // The schema is checked before each run too: a job enqueued around it (by name, from an
    // older version) fails for good rather than reach the handler with a bad payload.
    if (def.options.schema) {
      try {
        payload = def.options.schema.parse(payload)
      } catch (err) {
        throw new FatalError(`invalid payload: ${(err as Error)?.message ?? err}`)
      }
    }
    running = Promise.resolve(def.handler(payload, ctx))
  } catch (err) {
    running = Promise.reject(err)
  }
  return running.then(
    (value): AttemptEnd => {
      let result: string | undefined
      try {
        // JSON.stringify turns a function or symbol into nothing at all, which would store a
        // "successful" null: refuse it as it refuses a BigInt.
        if (typeof value === 'function' || typeof value === 'symbol') throw new TypeError(`a ${typeof value} is not a JSON value`)
        result = value === undefined ? undefined : JSON.stringify(value)
      } catch (err) {
        return { id: job.id, ok: false, error: errorToJob(new Error(`result is not JSON-serialisable: ${(err as Error).message}`)) }
      }
      return { id: job.id, ok: true, result }
    },
    (err: unknown): AttemptEnd => ({ id: job.id, ok: false, error: errorToJob(err), ...retryRequest(err) }),
  )
}

/**
 * The job of a `ctx.enqueue(child, payload)`, built where the child's schema and unique-key
 * functions live (the known tasks, by name, when given one), through the same pipeline as any
 * enqueue, and linked to its parent.
 */
export function childJob(
  tasks: ReadonlyMap<string, TaskContract<any, any>>,
  child: TaskContract<any, any> | string,
  payload: unknown,
  opts: EnqueueOptions | undefined,
  parentId: string,
  now: number,
  maxPayload: Size | undefined,
): NewJob {
  const contract = typeof child === 'string' ? tasks.get(child) : child
  const name = typeof child === 'string' ? child : child.name
  return buildNewJob(name, contract?.options as TaskOptions<unknown> | undefined, payload, { ...opts, parentId }, now, maxPayload)
}

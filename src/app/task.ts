import { toMs } from '../util/duration.js'
import { QUEUE_NAME_HINT, queueNameProblem, TASK_NAME } from './names.js'
import { PRIORITY_HINT, priorityProblem } from './priority.js'
import { rateInterval } from './rate.js'
import { toBytes } from './size.js'
import type { NameIfJson } from './json-types.js'
import { signature } from './canvas.js'
import type { EnqueueOptions } from './job-handle.js'
import { CONTRACT, TASK, type Handler, type Task, type TaskContract, type TaskOptions } from './task-types.js'

export * from './task-types.js'

/**
 * A task has two halves. Its **contract** (name, payload and result types, defaults, schema,
 * unique key) is what producers need: `defineTask<P, R>(name, options)`, importable without the
 * handler and whatever the handler imports. Its **implementation** is the contract plus a handler:
 * `contract.implement(handler)`, found by the worker in the task modules. `task(name, handler,
 * options)` is the short form of both at once.
 */

/** Task and queue names: letters, digits and `. _ - : /`, starting with a letter, digit or `_`. */
export const NAME = TASK_NAME

/** Checks option values when the module loads, so a typo fails there rather than at run time. */
function checkOptions(name: string, options: TaskOptions<unknown>): void {
  if (typeof name !== 'string' || !NAME.test(name)) throw new Error(`invalid task name ${JSON.stringify(name)}: use letters, digits and . _ - : /`)
  if (options.rateLimit !== undefined) rateInterval(options.rateLimit)
  for (const key of ['timeout', 'resultTtl', 'expires'] as const) if (options[key] !== undefined) toMs(options[key]!, key)
  if (options.retries !== undefined && (!Number.isInteger(options.retries) || options.retries < 0)) {
    throw new Error(`task "${name}": retries must be a non-negative integer`)
  }
  if (options.queue !== undefined && queueNameProblem(options.queue)) throw new Error(`task "${name}": ${queueNameProblem(options.queue)} (${QUEUE_NAME_HINT})`)
  if (options.priority !== undefined && priorityProblem(options.priority)) throw new Error(`task "${name}": ${priorityProblem(options.priority)} (${PRIORITY_HINT})`)
  if (options.maxPayload !== undefined) toBytes(options.maxPayload, `maxPayload of task "${name}"`)
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
      const { defaultClient } = await import('./client.js')
      return (await defaultClient()).enqueue(contract, payload, opts)
    },
    async enqueueMany(payloads, opts) {
      const { defaultClient } = await import('./client.js')
      return (await defaultClient()).enqueueMany(contract, payloads, opts)
    },
    s(...args: [] | [P, EnqueueOptions?]) {
      return signature<any, any>(contract, args[0], args.length > 0, args[1])
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

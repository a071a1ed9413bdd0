import type { JobError } from '../broker/types.js'
import { toMs, type Duration } from '../util/duration.js'

const RETRY = Symbol.for('tqjs.retryLater')
const FATAL = Symbol.for('tqjs.fatal')

/**
 * Throw from a task to run it again after `delay`, without recording the attempt as an error
 * (a rate-limited API said "later", a resource is not ready yet). It still uses up an attempt.
 */
export class RetryLater extends Error {
  readonly [RETRY] = true
  readonly delayMs: number
  constructor(delay: Duration, message = `retry requested in ${String(delay)}`) {
    super(message)
    this.name = 'RetryLater'
    this.delayMs = toMs(delay, 'retry delay')
  }
}

/** Throw from a task for a failure that retrying cannot fix (bad input): the job fails at once. */
export class FatalError extends Error {
  readonly [FATAL] = true
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'FatalError'
  }
}

/** Anything thrown, as stored on the job. */
export function errorToJob(err: unknown): JobError {
  if (err instanceof Error) return { name: err.name, message: err.message, stack: err.stack }
  return { name: 'Error', message: typeof err === 'string' ? err : JSON.stringify(err) ?? String(err) }
}

/** Whether the thrown value asks for a delayed retry or for no retry at all (checked by brand: bundles may hold another copy of tqjs). */
export function retryRequest(err: unknown): { retryInMs?: number; fatal?: boolean } {
  if (err && typeof err === 'object') {
    if ((err as Record<symbol, unknown>)[RETRY]) return { retryInMs: (err as RetryLater).delayMs }
    if ((err as Record<symbol, unknown>)[FATAL]) return { fatal: true }
  }
  return {}
}

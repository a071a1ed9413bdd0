import { toMs } from '../util/duration.js'
import type { ClaimedJob, JobError, Outcome } from '../broker/types.js'
import { backoffDelay } from './backoff.js'
import type { EngineEvent } from './events.js'
import type { TaskInfoOptions } from './manifest.js'
import type { PoolResult } from './pool.js'

/** Why the engine stopped a job on purpose, if it did. */
export type StopReason = 'cancelled' | 'timeout' | 'lease-lost' | 'shutdown'

/**
 * How an attempt ends in the broker, from what the task thread reported and why (if at all) the
 * engine stopped it: success, a retry (backoff or requested), a final failure, a cancel, or a
 * release back to the queue (thread lost, shutdown) that does not count as an attempt.
 */
export function decideOutcome(
  job: ClaimedJob,
  res: PoolResult,
  stopReason: StopReason | undefined,
  options: TaskInfoOptions | undefined,
  ms: number,
  /** The clock (epoch ms): retry times, result lifetimes and error stamps are read from it. */
  now: number = Date.now(),
): { outcome: Outcome; event: EngineEvent } {
  const base = () => ({ id: job.id, token: job.token })
  if ('lost' in res) return { outcome: { ...base(), kind: 'released' }, event: { type: 'released', job, reason: res.reason } }
  if (stopReason === 'cancelled') {
    const error = { name: 'CancelledError', message: 'cancelled', at: new Date(now).toISOString(), attempt: job.attempt }
    return { outcome: { ...base(), kind: 'cancelled', error }, event: { type: 'failed', job, ms, error } }
  }
  if (stopReason === 'shutdown' && !res.ok) {
    return { outcome: { ...base(), kind: 'released' }, event: { type: 'released', job, reason: 'the worker shut down before it finished' } }
  }
  if (res.ok && stopReason !== 'timeout') {
    // The common case, built without spreads: it runs once per job.
    const ttl = options?.resultTtl
    const resultExpiresAt = ttl === undefined ? undefined : Math.round(now + toMs(ttl, 'resultTtl'))
    return { outcome: { id: job.id, token: job.token, kind: 'succeeded', result: res.result, resultExpiresAt }, event: { type: 'succeeded', job, ms } }
  }
  // A failure: the task's own error, or a timeout (whatever the task said as it was stopped).
  const timedOut = stopReason === 'timeout' && (res.ok || res.error.name !== 'TimeoutError')
  const error: JobError = timedOut ? { name: 'TimeoutError', message: `timed out after ${options?.timeout}` } : (res as { error: JobError }).error
  const stamped = { ...error, at: new Date(now).toISOString(), attempt: job.attempt }
  const requested = !res.ok && res.retryInMs !== undefined
  const retryIn = requested ? Math.round(res.retryInMs!) : backoffDelay(options?.backoff, job.attempt)
  const canRetry = !(!res.ok && res.fatal) && job.attempt < job.maxAttempts
  const outcome: Outcome = !canRetry
    ? { ...base(), kind: 'failed', error: stamped }
    : requested
      ? { ...base(), kind: 'retry', runAt: now + retryIn }
      : { ...base(), kind: 'failed', error: stamped, retryAt: now + retryIn }
  return { outcome, event: { type: 'failed', job, ms, error: stamped, retryInMs: canRetry ? retryIn : undefined } }
}

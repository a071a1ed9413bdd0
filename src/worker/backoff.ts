import { toMs } from '../util/duration.js'
import type { BackoffOptions } from '../app/task.js'

/** Delay before attempt `attempt + 1`, after attempt `attempt` (1-based) failed. */
export function backoffDelay(backoff: BackoffOptions | undefined, attempt: number, random = Math.random): number {
  if (!backoff) return 0
  const base = toMs(backoff.delay, 'backoff delay')
  const max = backoff.max === undefined ? Infinity : toMs(backoff.max, 'backoff max')
  let delay = backoff.type === 'exponential' ? base * 2 ** (attempt - 1) : base
  delay = Math.min(delay, max)
  // Jitter keeps retries of many jobs that failed together from arriving together.
  if (backoff.jitter) delay = delay * (0.5 + random() * 0.5)
  return Math.round(delay)
}

import type { JobError, JobJSON } from '../broker/types.js'

/**
 * The error a job's latest outcome ended with, or null. A job that failed and then succeeded on
 * a later attempt (or was retried and is waiting or running again) keeps its old `error` in
 * the record; people reading a table should not see it as the job's state. A retry waiting as
 * `scheduled` with attempt > 1 did end its last attempt with that error, so it shows.
 */
export function lastError(job: JobJSON): JobError | null {
  if (!job.error) return null
  switch (job.state) {
    case 'failed':
    case 'cancelled':
    case 'expired':
      return job.error
    case 'scheduled':
      return job.attempt > 1 ? job.error : null
    default:
      return null
  }
}

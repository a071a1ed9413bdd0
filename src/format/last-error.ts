import type { JobError, JobJSON } from '../broker/types.js'

/**
 * The error a job's latest outcome ended with, or null. A job that failed and then succeeded on
 * a later attempt (or was retried and is waiting or running again) keeps its old `error` in
 * the record; people reading a table should not see it as the job's state. A job waiting as
 * `scheduled` with an error is a retry waiting its turn: its last attempt did end with it.
 */
export function lastError(job: JobJSON): JobError | null {
  if (!job.error) return null
  switch (job.state) {
    case 'failed':
    case 'cancelled':
    case 'expired':
      return job.error
    case 'scheduled':
      return job.error
    default:
      return null
  }
}

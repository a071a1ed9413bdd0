import type { ClaimedJob, JobError } from '../broker/types.js'

/** What a worker engine reports as jobs run: the log lines of `tq worker` and `tq dev` come from these. */
export type EngineEvent =
  | { type: 'started'; job: ClaimedJob }
  | { type: 'succeeded'; job: ClaimedJob; ms: number }
  | { type: 'failed'; job: ClaimedJob; ms: number; error: JobError; retryInMs?: number }
  | { type: 'released'; job: ClaimedJob; reason: string }
  | { type: 'rate-limited'; job: ClaimedJob; runAt: number }
  | { type: 'rejected'; job: ClaimedJob; reason: string }
  | { type: 'log'; job: ClaimedJob; line: string }
  /** The job's thread has not turned its event loop for `ms`, and the task has no timeout to stop it. */
  | { type: 'blocked'; job: ClaimedJob; ms: number }
  /** The task reported progress (JSON text). */
  | { type: 'progress'; job: ClaimedJob; value: string }
  /** A claim found this job past its `expires` deadline and ended it as expired (it never ran). */
  | { type: 'expired'; job: { id: string; task: string; queue: string } }

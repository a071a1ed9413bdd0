/**
 * Live events (`tq events`), as the processes that cause them send them: producers `enqueued`
 * (and `cancelled` for jobs that had not started), the worker engine the rest of a job's life,
 * workers `worker-online` / `worker-offline`. Best effort: an event is delivered to whoever is
 * subscribed when it is published, never stored for later, never in the way of a job.
 */
export const JOB_EVENT_TYPES = ['enqueued', 'started', 'progress', 'retried', 'succeeded', 'failed', 'cancelled', 'expired'] as const
export const WORKER_EVENT_TYPES = ['worker-online', 'worker-offline'] as const
export type JobEventType = (typeof JOB_EVENT_TYPES)[number]
export type WorkerEventType = (typeof WORKER_EVENT_TYPES)[number]

/** One event; plain JSON, so every broker carries it as text. */
export interface TqEvent {
  type: JobEventType | WorkerEventType
  /** Epoch ms, by the sender's clock. */
  at: number
  /** Job events: the job. */
  id?: string
  task?: string
  queue?: string
  attempt?: number
  /** The worker that ran the job (job events from an engine), or the worker itself (worker events). */
  worker?: string
  /** succeeded / failed / retried: how long the attempt ran (ms). */
  ms?: number
  /** failed / retried / cancelled: the attempt's error. */
  error?: { name?: string; message: string }
  /** retried: epoch ms of the next attempt. */
  retryAt?: number
  /** progress: the value the task reported (JSON). */
  progress?: unknown
  /** worker-online: where the worker runs. */
  host?: string
  pid?: number
}

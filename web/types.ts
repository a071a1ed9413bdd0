/** The shapes the API returns (src/ui/*.ts on the server side; kept apart so no server code is bundled). */
// The job's own shapes are the broker's (type-only imports and two constants: no server code).
import { FINAL_STATES, JOB_STATES, type JobState, type WorkerInfo } from '../src/broker/types.js'
export { FINAL_STATES, JOB_STATES }
export type { JobError, JobJSON, JobState } from '../src/broker/types.js'
export const RETRYABLE: readonly JobState[] = ['failed', 'cancelled', 'expired']
export const CANCELLABLE: readonly JobState[] = ['waiting', 'scheduled', 'queued', 'active']

export type { JobSummary } from '../src/ui/job-views.js'

export interface QueueStatus {
  queue: string
  paused: boolean
  counts: Record<JobState, number>
  throughput: number[]
  perSecond: number
}

export interface Overview {
  time: string
  broker: string
  queues: QueueStatus[]
  workers: { id: string; host: string; pid: number; queues: string[]; concurrency: number; busy: number; alive: boolean; lastBeatAt: string; startedAt: string }[]
  running: { id: string; task: string; queue: string; attempt: number; maxAttempts: number; startedAt: string | null; elapsedMs: number; progress: unknown }[]
  failures: { id: string; task: string; queue: string; attempt: number; maxAttempts: number; finishedAt: string | null; error: { name: string; message: string } | null }[]
  schedules: unknown[]
  history: { seconds: number; end: string; series: Record<string, number[]> }
}

export interface WorkerView extends WorkerInfo {
  alive: boolean
  jobs: { id: string; task: string; runningMs: number | null }[]
}

export type { ScheduleView } from '../src/beat/schedule-list.js'

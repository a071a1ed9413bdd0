/** The shapes the API returns (src/ui/*.ts on the server side; kept apart so no server code is bundled). */
export const JOB_STATES = ['waiting', 'scheduled', 'queued', 'active', 'succeeded', 'failed', 'cancelled', 'expired'] as const
export type JobState = (typeof JOB_STATES)[number]
export const FINAL_STATES: readonly JobState[] = ['succeeded', 'failed', 'cancelled', 'expired']
export const RETRYABLE: readonly JobState[] = ['failed', 'cancelled', 'expired']
export const CANCELLABLE: readonly JobState[] = ['waiting', 'scheduled', 'queued', 'active']

export interface JobError {
  message: string
  name?: string
  stack?: string
  at?: string
  attempt?: number
}

export interface JobJSON {
  id: string
  task: string
  queue: string
  state: JobState
  payload: unknown
  priority: number
  attempt: number
  maxAttempts: number
  createdAt: string
  runAt: string
  startedAt: string | null
  finishedAt: string | null
  result: unknown
  error: JobError | null
  progress: unknown
  parentId: string | null
  key: string | null
  errors: JobError[]
  workflowId: string | null
  dependsOn: string[]
}

export interface JobSummary {
  id: string
  task: string
  queue: string
  state: JobState
  priority: number
  attempt: number
  maxAttempts: number
  createdAt: string
  runAt: string
  startedAt: string | null
  finishedAt: string | null
  progress: unknown
  error: { name: string; message: string } | null
  parentId: string | null
  workflowId: string | null
  dependsOn: string[]
}

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

export interface WorkerView {
  id: string
  host: string
  pid: number
  queues: string[]
  concurrency: number
  running: string[]
  startedAt: number
  lastBeatAt: number
  threads?: number
  threadStates?: { jobs: number; blocked: boolean; own: boolean }[]
  done?: number
  failed?: number
  rssBytes?: number
  blocked?: { id: string; task: string; since: number }[]
  alive: boolean
  jobs: { id: string; task: string; runningMs: number | null }[]
}

export interface ScheduleView {
  name: string
  task: string
  expression: string
  tz: string
  catchUp: string
  next: string[]
  lastRun: string | null
  lastJob: { id: string; state: JobState | 'purged' } | null
}

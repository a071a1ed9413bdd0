import type { Duration } from './duration.js'

export interface WorkerConfig {
  /** Queues to take jobs from. Default: `default` plus every queue the loaded tasks name. */
  queues?: string[]
  /** Jobs running at once. Default 10. */
  concurrency?: number
  /** Lease on a claimed job, renewed while it runs; a dead worker's jobs return after it. Default 30s. */
  lease?: Duration
  /** Worker threads that run task code. Default: min(concurrency, CPU cores). */
  threads?: number
  /** On shutdown, how long running jobs may take before they are released to the queue. Default 30s. */
  shutdownGrace?: Duration
}

export interface BeatConfig {
  /** Most jobs `catchUp: 'all'` enqueues for one schedule after downtime. Default 100. */
  maxCatchUp?: number
}

/** A schedule declared in the config instead of a task module. */
export interface ConfigSchedule {
  task: string
  /** Cron expression (5 fields, or 6 with seconds). */
  cron?: string
  every?: Duration
  tz?: string
  payload?: unknown
  catchUp?: 'latest' | 'all' | 'none'
  queue?: string
  priority?: number
}

export interface TqConfig {
  /** `sqlite://.tq/tq.db` (default, relative to the config file), `redis://…` or `rediss://…`. */
  broker?: string
  /** Globs of task modules, relative to the config file. Default `tasks/**\/*.{ts,js}`. */
  tasks?: string | string[]
  worker?: WorkerConfig
  beat?: BeatConfig
  /** Schedules by name, besides those exported by task modules with schedule(). */
  schedules?: Record<string, ConfigSchedule>
  /** How long finished jobs are kept. */
  retention?: RetentionConfig
}

export interface RetentionConfig {
  /** Succeeded, cancelled and expired jobs. Default 1d. */
  finished?: Duration
  /** Failed jobs. Default 7d. */
  failed?: Duration
}

/** Identity function that gives `tq.config.ts` types and completion. */
export function defineConfig(config: TqConfig): TqConfig {
  return config
}

export const DEFAULT_BROKER = 'sqlite://.tq/tq.db'
export const DEFAULT_TASKS = 'tasks/**/*.{ts,js,mts,mjs}'

import type { Duration } from '../util/duration.js'
import type { Size } from './size.js'
import type { JobError, JobJSON } from '../broker/types.js'

export interface WorkerConfig {
  /** Queues to take jobs from. Default: `default` plus every queue the loaded tasks name. */
  queues?: string[]
  /** Jobs running at once. Default 10. */
  concurrency?: number
  /** Lease on a claimed job, renewed while it runs; a dead worker's jobs return after it. Default 30s. */
  lease?: Duration
  /** Worker threads that run task code. Default: min(concurrency, CPU cores - 1), at least 1. */
  threads?: number
  /** Most task threads: while threads are blocked by CPU-bound jobs, more are started, up to this. Default threads + 4. */
  maxThreads?: number
  /** Heap limit of each task thread (`'512mb'`); a job that exhausts it fails with an out-of-memory error. Default 512mb. */
  threadHeap?: Size
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
  /** Largest payload accepted at enqueue, as JSON bytes (`'256kb'`, `'4mb'`, a number); a task's `maxPayload` wins. Default 1mb. */
  maxPayload?: Size
  /**
   * A module (relative to the config file) that registers an OpenTelemetry SDK: tq imports it
   * first in the worker process and in every task thread, before any task module.
   */
  instrumentation?: string
  /** Traces (OpenTelemetry API): on by default, a no-op until an SDK is registered. */
  tracing?: TracingConfig
  /** Called in the worker process as jobs end: the place for Sentry or a Slack message. */
  hooks?: HooksConfig
}

export interface TracingConfig {
  /** Default true. false: no spans, no trace context stored with jobs. */
  enabled?: boolean
  /** Default true: an attempt's span is a child of the enqueue's span; false: a new trace, linked to it. */
  parent?: boolean
}

/** A hook gets the job's JSON as stored after the attempt, and the attempt's error. */
export type JobHook = (job: JobJSON, error?: JobError) => void | Promise<void>

export interface HooksConfig {
  succeeded?: JobHook
  /** Failed for good (no retry left). */
  failed?: JobHook
  /** Failed, another attempt scheduled. */
  retrying?: JobHook
  /** Not started before its `expires` deadline. */
  expired?: JobHook
  /** Longest a hook may run before it is abandoned (and logged). Default 5s. */
  timeout?: Duration
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

/**
 * Every key the config understands, by section, so a typo (`wrker:`) is reported instead of
 * ignored. Add a key here when you add it to the interfaces above.
 */
export const CONFIG_KEYS = {
  top: ['broker', 'tasks', 'worker', 'beat', 'schedules', 'retention', 'maxPayload', 'instrumentation', 'tracing', 'hooks'],
  worker: ['queues', 'concurrency', 'lease', 'threads', 'maxThreads', 'threadHeap', 'shutdownGrace'],
  beat: ['maxCatchUp'],
  retention: ['finished', 'failed'],
  schedule: ['task', 'cron', 'every', 'tz', 'payload', 'catchUp', 'queue', 'priority'],
  tracing: ['enabled', 'parent'],
  hooks: ['succeeded', 'failed', 'retrying', 'expired', 'timeout'],
} as const satisfies Record<string, readonly string[]>

// Compile-time check that CONFIG_KEYS lists exactly the interfaces' keys.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
const _keysMatch: [
  Same<(typeof CONFIG_KEYS.top)[number], keyof TqConfig>,
  Same<(typeof CONFIG_KEYS.worker)[number], keyof WorkerConfig>,
  Same<(typeof CONFIG_KEYS.beat)[number], keyof BeatConfig>,
  Same<(typeof CONFIG_KEYS.retention)[number], keyof RetentionConfig>,
  Same<(typeof CONFIG_KEYS.schedule)[number], keyof ConfigSchedule>,
  Same<(typeof CONFIG_KEYS.tracing)[number], keyof TracingConfig>,
  Same<(typeof CONFIG_KEYS.hooks)[number], keyof HooksConfig>,
] = [true, true, true, true, true, true, true]
void _keysMatch

/** Messages between the engine (main thread) and the task threads. Plain data only. */
import type { JobError, NewJob } from '../broker/types.js'
import type { TqConfig } from '../app/config.js'
import type { Manifest } from './manifest.js'

/** What a thread needs to run one attempt. */
export interface RunJob {
  id: string
  task: string
  payload: string
  attempt: number
  maxAttempts: number
  /** Index of the job's start flag in the thread's shared flags (set by the pool; see pool.ts). */
  flag?: number
  /** For the attempt's trace span: the job's queue and stored trace context (ClaimedJob.headers). */
  queue?: string
  headers?: string | null
}

/** A job's start flag, shared by the pool and the thread: whoever moves it off PENDING owns the job. */
export const FLAG_PENDING = 0
export const FLAG_STARTED = 1
export const FLAG_TAKEN_BACK = 2

/** How one attempt ended, as the thread saw it. */
export type AttemptEnd =
  | { id: string; ok: true; result: string | undefined }
  | { id: string; ok: false; error: JobError; /** task asked for a retry after this long */ retryInMs?: number; /** never retry */ fatal?: boolean }

export type ToThread =
  /** Jobs packed flat, RUN_FIELDS values per job (see packJobs): far cheaper to clone than objects. */
  | { type: 'run'; packed: string | (string | number)[] }
  | { type: 'abort'; id: string; reason: string }
  | { type: 'enqueued'; reqId: number; jobId?: string; error?: string }

export type FromThread =
  | { type: 'ready'; manifest: Manifest }
  | { type: 'load-error'; message: string; file?: string; line?: number; column?: number; frame?: string }
  /** Successes packed flat as [id, result, id, result…] (result null when undefined); failures as objects. */
  | { type: 'done'; ok: (string | null)[]; failed: AttemptEnd[] }
  | { type: 'progress'; id: string; value: string }
  /** Sent every ALIVE_MS while the thread's event loop turns: a thread that goes quiet is blocked. */
  | { type: 'alive' }
  /** A job the pool took back before it began: the thread did not run it and frees its flag. */
  | { type: 'skipped'; id: string; flag: number }
  | { type: 'log'; id: string; line: string }
  /**
   * ctx.enqueue(): the job as buildNewJob made it in the thread, where the child's schema and
   * unique-key functions live, so a child goes through the same checks as any other enqueue.
   */
  | { type: 'enqueue'; reqId: number; job: NewJob }
  /** The task running `id` called process.exit(): sent just before the thread ends. */
  | { type: 'exit'; id: string | undefined; code: number }

export const RUN_FIELDS = 8
/** How often a thread says it is alive (ms). */
export const ALIVE_MS = 100

/** Separates the fields of packed jobs: JSON text never holds a raw NUL (JSON.stringify escapes it). */
const SEP = '\u0000'

/**
 * Jobs as one string, fields joined by NUL: postMessage copies one string in a fraction of the
 * time it takes to clone an array of 8 values a job (measured: 250 jobs, 41-59 µs against
 * 100-140 µs on the engine's thread). A field holding a NUL itself (a payload written to the
 * broker by hand) sends the batch as the plain array instead.
 */
export function packJobs(jobs: readonly RunJob[]): string | (string | number)[] {
  return packRuns(jobs, jobs.map((j) => j.flag ?? -1))
}

/** packJobs, with each job's start flag given beside it (the pool keeps flags off the job objects). */
export function packRuns(jobs: readonly RunJob[], flags: readonly number[]): string | (string | number)[] {
  const out: (string | number)[] = new Array(jobs.length * RUN_FIELDS)
  let i = 0
  let plain = true
  for (let k = 0; k < jobs.length; k++) {
    const j = jobs[k]!
    if (j.payload.includes(SEP) || j.id.includes(SEP) || j.task.includes(SEP)) plain = false
    out[i++] = j.id
    out[i++] = j.task
    out[i++] = j.payload
    out[i++] = j.attempt
    out[i++] = j.maxAttempts
    out[i++] = flags[k] ?? -1
    out[i++] = j.queue ?? ''
    out[i++] = j.headers ?? ''
  }
  return plain ? out.join(SEP) : out
}

export function unpackJobs(packed: string | readonly (string | number)[]): RunJob[] {
  const fields = typeof packed === 'string' ? packed.split(SEP) : packed
  const num = typeof packed === 'string' ? Number : (v: string | number) => v as number
  const out: RunJob[] = []
  for (let i = 0; i + RUN_FIELDS <= fields.length; i += RUN_FIELDS) {
    out.push({
      id: fields[i] as string,
      task: fields[i + 1] as string,
      payload: fields[i + 2] as string,
      attempt: num(fields[i + 3]!),
      maxAttempts: num(fields[i + 4]!),
      flag: num(fields[i + 5]!),
      queue: fields[i + 6] as string,
      headers: (fields[i + 7] as string) || null,
    })
  }
  return out
}

export interface ThreadData {
  bundleFile: string
  /**
   * What the thread needs of the config to build jobs as a producer would: the payload limit,
   * and the config's schedules, whose jobs are built here with the tasks' schemas and keys.
   * (Not the whole config: the broker URL and its password stay out of the threads.)
   */
  config: Pick<TqConfig, 'schedules' | 'maxPayload'>
  /** The bundled instrumentation module, imported before the tasks (see loader/instrumentation.ts). */
  instrumentation?: string
  /** Spans for attempts: off when the config's tracing.enabled is false; parent: see TracingConfig. */
  tracing?: { enabled: boolean; parent: boolean }
  configFile: string | null
  /** Start flags of the jobs sent to this thread (Int32Array over it), shared with the pool. */
  flags: SharedArrayBuffer
}

import type { AdminBroker, JobError, JobJSON, JobState } from '../broker/types.js'
import { JOB_STATES } from '../broker/types.js'
import { isAlive, isForgotten } from '../broker/worker-liveness.js'

/**
 * One look at a broker, as `tq status --json` prints it and as the TUI and the plain-text
 * summary draw it. Built only through the Broker interface, so it reads the same from SQLite
 * and Redis. Times are ISO strings (SPEC "Job states and JSON").
 */
export interface StatusSnapshot {
  /** When the snapshot was taken. */
  time: string
  /** The broker, without secrets. */
  broker: string
  queues: QueueStatus[]
  workers: WorkerStatus[]
  schedules: ScheduleStatus[]
  /** Active jobs, longest-running first. */
  running: RunningJob[]
  /** Jobs that failed for good, newest first. */
  failures: FailedJob[]
}

export interface QueueStatus {
  queue: string
  paused: boolean
  counts: Record<JobState, number>
  /** Jobs finished per second over the last 60 s, oldest first; the last entry is the current second. */
  throughput: number[]
  /** Jobs finished per second now: the mean of the last complete seconds (see PER_SECOND_WINDOW). */
  perSecond: number
}

export interface WorkerStatus {
  id: string
  host: string
  pid: number
  queues: string[]
  concurrency: number
  /** Jobs running now (`running.length`). */
  busy: number
  /** Ids of the jobs running now. */
  running: string[]
  startedAt: string
  lastBeatAt: string
  /** False once the last heartbeat is older than DEAD_AFTER_MS: the worker is presumed dead. */
  alive: boolean
  /** Jobs blocking a thread of this worker with no timeout to end them: task, id, since (ISO). */
  blocked: { id: string; task: string; since: string }[]
}

export interface ScheduleStatus {
  name: string
  task: string
  /** Cron expression, or `every 5s`. */
  expression: string
  tz: string
  /** Next slot as saved by beat; null when unknown. */
  nextAt: string | null
  /** Latest slot enqueued; null when it never ran. */
  lastRunAt: string | null
}

export interface RunningJob {
  id: string
  task: string
  queue: string
  attempt: number
  maxAttempts: number
  startedAt: string | null
  /** Time since the attempt started. */
  elapsedMs: number
  /** Whatever the task reported with ctx.progress(), or null. */
  progress: unknown
}

export interface FailedJob {
  id: string
  task: string
  queue: string
  attempt: number
  maxAttempts: number
  finishedAt: string | null
  error: { name: string; message: string } | null
}

export { DEAD_AFTER_MS, FORGET_AFTER_MS } from '../broker/worker-liveness.js'
/** Seconds of throughput kept in a snapshot (the sparkline). */
export const THROUGHPUT_SECONDS = 60
/** Complete seconds averaged for "jobs/s now". */
export const PER_SECOND_WINDOW = 5

export interface SnapshotOptions {
  /** Most active jobs to list (default 100). */
  running?: number
  /** Most failed jobs to list (default 20). */
  failures?: number
  /** The clock, for tests. */
  now?: () => number
}

const emptyCounts = (): Record<JobState, number> => Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as Record<JobState, number>
const iso = (ms: number | null | undefined) => (ms == null ? null : new Date(ms).toISOString())

/** Reads everything `tq status` shows, in one round of broker calls (run concurrently). */
export async function buildSnapshot(broker: AdminBroker, opts: SnapshotOptions = {}): Promise<StatusSnapshot> {
  const now = opts.now ?? Date.now
  const [counts, throughput, workers, schedules, active, failed] = await Promise.all([
    broker.counts(),
    broker.throughput(THROUGHPUT_SECONDS),
    broker.listWorkers(),
    broker.listSchedules(),
    broker.listJobs({ state: 'active', limit: opts.running ?? 100 }),
    broker.listJobs({ state: 'failed', limit: opts.failures ?? 20 }),
  ])
  const t = now()
  const gone = workers.filter((w) => isForgotten(w, t))
  await Promise.all(gone.map((w) => broker.removeWorker(w.id).catch(() => undefined)))

  const workerStatus: WorkerStatus[] = workers
    .filter((w) => !isForgotten(w, t))
    .map((w) => ({
      id: w.id,
      host: w.host,
      pid: w.pid,
      queues: w.queues,
      concurrency: w.concurrency,
      busy: w.running.length,
      running: w.running,
      startedAt: iso(w.startedAt)!,
      lastBeatAt: iso(w.lastBeatAt)!,
      alive: isAlive(w, t),
      blocked: (w.blocked ?? []).map((b) => ({ id: b.id, task: b.task, since: iso(b.since)! })),
    }))
    .sort((a, b) => Number(b.alive) - Number(a.alive) || a.host.localeCompare(b.host) || a.pid - b.pid)

  // Queues: those holding jobs or paused (counts), those that finished jobs lately (throughput)
  // and those live workers listen on, so an idle queue still shows up.
  const queues = new Map<string, QueueStatus>()
  const queue = (name: string): QueueStatus => {
    let q = queues.get(name)
    if (!q) queues.set(name, (q = { queue: name, paused: false, counts: emptyCounts(), throughput: zeros(), perSecond: 0 }))
    return q
  }
  for (const c of counts) Object.assign(queue(c.queue), { paused: c.paused, counts: { ...emptyCounts(), ...c.counts } })
  for (const [name, series] of Object.entries(throughput)) {
    const q = queue(name)
    q.throughput = fit(series)
    q.perSecond = perSecond(q.throughput)
  }
  for (const w of workerStatus) if (w.alive) for (const name of w.queues) queue(name)

  return {
    time: iso(t)!,
    broker: broker.describe,
    queues: [...queues.values()].sort((a, b) => a.queue.localeCompare(b.queue)),
    workers: workerStatus,
    schedules: schedules.map((s) => ({
      name: s.name,
      task: s.task,
      expression: s.expression,
      tz: s.tz,
      nextAt: iso(s.nextAt),
      lastRunAt: iso(s.lastSlotAt),
    })),
    running: active.map((j) => toRunning(j, t)).sort((a, b) => b.elapsedMs - a.elapsedMs),
    failures: failed.map(toFailed).sort((a, b) => (b.finishedAt ?? '').localeCompare(a.finishedAt ?? '')),
  }
}

const zeros = () => new Array<number>(THROUGHPUT_SECONDS).fill(0)

/** A series of exactly THROUGHPUT_SECONDS entries, keeping the newest. */
function fit(series: readonly number[]): number[] {
  const out = series.slice(-THROUGHPUT_SECONDS)
  return out.length < THROUGHPUT_SECONDS ? [...new Array<number>(THROUGHPUT_SECONDS - out.length).fill(0), ...out] : out
}

/** Mean of the last complete seconds (the newest entry is the second in progress). */
export function perSecond(series: readonly number[]): number {
  const complete = series.slice(-1 - PER_SECOND_WINDOW, -1)
  if (complete.length === 0) return 0
  const mean = complete.reduce((a, b) => a + b, 0) / complete.length
  return Math.round(mean * 10) / 10
}

function toRunning(j: JobJSON, now: number): RunningJob {
  const started = j.startedAt ? Date.parse(j.startedAt) : null
  return {
    id: j.id,
    task: j.task,
    queue: j.queue,
    attempt: j.attempt,
    maxAttempts: j.maxAttempts,
    startedAt: j.startedAt,
    elapsedMs: started == null ? 0 : Math.max(0, now - started),
    progress: j.progress ?? null,
  }
}

function toFailed(j: JobJSON): FailedJob {
  const e: JobError | null = j.error ?? j.errors.at(-1) ?? null
  return {
    id: j.id,
    task: j.task,
    queue: j.queue,
    attempt: j.attempt,
    maxAttempts: j.maxAttempts,
    finishedAt: j.finishedAt,
    error: e ? { name: e.name ?? 'Error', message: e.message } : null,
  }
}

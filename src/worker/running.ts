import { hostname } from 'node:os'
import type { ClaimedJob, WorkerInfo } from '../broker/types.js'
import type { StopReason } from './outcome.js'
import type { ThreadPool } from './pool.js'

/** A job the engine runs now. */
export interface Running {
  job: ClaimedJob
  /** The pool running it: after a reload, old jobs finish on the old pool. */
  pool: ThreadPool
  started: number
  timer?: NodeJS.Timeout
  /** Set when the job is being cancelled or stopped on purpose. */
  stopReason?: StopReason
  /** When its thread was found blocked with it on board (epoch ms), for tq status and tq workers. */
  blockedAt?: number
}

/**
 * What a worker reports in its heartbeat: who it is, what it runs, how its threads are doing and
 * what it has done since it started (`tq status`, `tq workers`).
 */
export function workerRecord(e: {
  id: string
  queues: string[]
  concurrency: number
  startedAt: number
  running: ReadonlyMap<string, Running>
  pool: ThreadPool
  done: number
  failed: number
}): WorkerInfo {
  return {
    id: e.id,
    host: hostname(),
    pid: process.pid,
    queues: e.queues,
    concurrency: e.concurrency,
    running: [...e.running.keys()],
    startedAt: e.startedAt,
    lastBeatAt: Date.now(),
    threads: e.pool.threadCount,
    threadStates: e.pool.threadStates,
    done: e.done,
    failed: e.failed,
    rssBytes: process.memoryUsage.rss(),
    blocked: [...e.running.values()].filter((r) => r.blockedAt !== undefined).map((r) => ({ id: r.job.id, task: r.job.task, since: r.blockedAt! })),
  }
}

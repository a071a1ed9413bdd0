import { Worker } from 'node:worker_threads'
import { distFile } from '../paths.js'
import type { RunJob, ThreadData } from './protocol.js'
import type { PoolResult } from './pool-types.js'

/** Start flags per thread: enough for any concurrency; a job beyond them just cannot be taken back. */
export const FLAGS = 1 << 14

/** A job on a thread, as the pool tracks it. */
export interface Entry {
  /** Never changed by the pool: the engine passes its claimed job as it is. */
  job: RunJob
  /** Index of the job's start flag on its thread (-1: none, or not sent yet). */
  flag: number
  resolve: (r: PoolResult) => void
}

/** A task thread as the pool holds it (./pool.ts). */
export interface Slot {
  worker: Worker
  /** Jobs on this thread and how to settle each. */
  jobs: Map<string, Entry>
  /** Jobs dispatched this turn, sent in one message, and their start flags. */
  outbox: RunJob[]
  outFlags: number[]
  /** Start flags shared with the thread (see protocol.ts): whoever moves one off PENDING owns the job. */
  flags: Int32Array
  freeFlags: number[]
  nextFlag: number
  /** Set when the thread ends on purpose or reports process.exit(): who is to blame. */
  culprit?: { id: string | undefined; result: PoolResult }
  retired: boolean
  /** Ended by the pool for being idle: no jobs to settle, no replacement. */
  shrunk?: boolean
  ready: boolean
  startedAt: number
  lastAlive: number
  lastBusy: number
  reported: boolean
  /** A thread of its own for one job (the task asked, or a suspect after an out-of-memory death). */
  own?: { suspect: boolean }
  outOfMemory?: boolean
}

/** Starts a task thread loading the bundle, with a heap limit of `heapMb`, and its record. */
export function startThread(data: Omit<ThreadData, 'flags'>, heapMb: number, own: Slot['own']): Slot {
  const flags = new SharedArrayBuffer(FLAGS * Int32Array.BYTES_PER_ELEMENT)
  // A capped young generation: no-op floods otherwise grow it to ~48 MB per thread for no gain.
  // The old generation's cap is the thread's heap limit: past it, the thread dies of it alone.
  const worker = new Worker(distFile('worker/thread.js'), {
    workerData: { ...data, flags } satisfies ThreadData,
    resourceLimits: { maxYoungGenerationSizeMb: 16, maxOldGenerationSizeMb: heapMb },
  })
  const now = Date.now()
  return {
    worker,
    jobs: new Map(),
    outbox: [],
    outFlags: [],
    flags: new Int32Array(flags),
    freeFlags: [],
    nextFlag: 0,
    retired: false,
    ready: false,
    startedAt: now,
    lastAlive: now,
    lastBusy: now,
    reported: false,
    own,
  }
}

import type { NewJob } from '../broker/types.js'
import type { AttemptEnd } from './protocol.js'

/** How an attempt ended from the pool's view: the thread's own word, or the thread was lost. */
export type PoolResult = AttemptEnd | { id: string; lost: true; reason: string }

export interface PoolHooks {
  onProgress?(id: string, value: string): void
  onLog?(id: string, line: string): void
  /** A task called ctx.enqueue(): the engine writes the child (built and checked in the thread) and returns its id. */
  onEnqueue?(job: NewJob): Promise<string>
  /** A thread has not turned its event loop for `ms`: one of these jobs, begun on it, is blocking it. */
  onBlocked?(jobIds: string[], ms: number): void
}

export interface ThreadState {
  jobs: number
  /** Its event loop has not turned for a while (a CPU-bound job): it gets no new work. */
  blocked: boolean
  /** Started for one job (ownThread, or a suspect after an out-of-memory death). */
  own: boolean
}

export interface PoolOptions {
  /** Threads kept running. */
  size: number
  /** Most shared threads at once: the pool grows past `size` while threads are blocked. */
  maxThreads?: number
  /** Heap limit of each thread (MB); a job that exhausts it fails with an out-of-memory error. */
  heapMb?: number
}

import type { ClaimedJob, ProducerBroker, ReapedWorker, WorkerBroker } from '../broker/types.js'
import type { EngineEvent } from './events.js'
import type { TaskCatalog } from './manifest.js'
import type { ThreadPool } from './pool.js'

/** The roles an engine uses: the worker protocol, and enqueue for children. */
export type EngineBroker = WorkerBroker & Pick<ProducerBroker, 'enqueue'> & HandingBroker

/**
 * Optional, for a broker that hands new jobs, already leased, to idle workers (Redis:
 * broker/redis/worker-inboxes.ts): it gives each such job to `start` as it arrives, so the job
 * goes to a task thread in that same turn instead of after a wake-up and a claim turn. `start`
 * returns false when the engine will not take it now (stopping, no free slot, a rate-limited
 * task): the broker then keeps it for the worker's next claim, as without `start`. Undefined
 * unregisters.
 */
export interface HandingBroker {
  deliverHanded?(workerId: string, start: ((job: ClaimedJob) => boolean) | undefined): void
}

export interface EngineOptions {
  /** Task options by name (retries, backoff, timeout, queue…), from the pool's manifest. */
  tasks: TaskCatalog
  /** A started thread pool (see ThreadPool.start). */
  pool: ThreadPool
  /** Queues to take jobs from. Default: `default` plus every queue the tasks name. */
  queues?: string[]
  concurrency?: number
  leaseMs?: number
  /** On reload, how long jobs on the old pool may run before they are released. Default 10s. */
  swapGraceMs?: number
  /** Exit once no job is ready (`tq worker --burst`). */
  burst?: boolean
  /** Finished jobs older than this are deleted (ms). Default 1 day; failed jobs 7 days. */
  retention?: { finishedMs?: number; failedMs?: number }
  /** Heartbeat interval into the worker registry (ms). Default 1 s (see broker/worker-liveness.ts). */
  heartbeatMs?: number
  /** Workers silent this long are reaped by this one's heartbeat: their jobs go back (ms). Default 8 s. */
  reapAfterMs?: number
  /** Another worker was found dead and its running jobs were put back on the queue. */
  onWorkerLost?: (lost: ReapedWorker) => void
  /** Called for each job start and end, for logs. */
  onEvent?: (event: EngineEvent) => void
  /** Called when a broker call fails (the engine backs off and retries). */
  onError?: (error: Error) => void
  /** Called once stop() has let jobs finish, before the worker's record is removed (bounded by the caller). */
  onStopped?: () => Promise<void>
}

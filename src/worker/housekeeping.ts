import type { WorkerInfo } from '../broker/types.js'
import { DEAD_AFTER_MS, HEARTBEAT_MS } from '../broker/worker-liveness.js'
import type { EngineBroker, EngineOptions } from './engine-options.js'

/** How often a worker prunes old jobs. */
const PRUNE_EVERY_MS = 60_000

/**
 * A worker's duties beside its claim loop, each on a timer: the heartbeat (its record in the
 * registry, which `tq status` and `tq workers` show, and the reaping of workers whose beats
 * stopped) and retention (deleting old finished jobs and expired results, so the store does not
 * grow without bound). A failure is left to the next tick: the broker may be restarting.
 */
export class Housekeeping {
  private heartbeatTimer: NodeJS.Timeout | undefined
  private pruneTimer: NodeJS.Timeout | undefined

  constructor(
    private readonly broker: EngineBroker,
    private readonly opts: Pick<EngineOptions, 'heartbeatMs' | 'reapAfterMs' | 'retention' | 'onWorkerLost'>,
    /** This worker's record as of now. */
    private readonly record: () => WorkerInfo,
  ) {}

  /** The first beat is awaited: the worker is registered before it claims anything. */
  async start(): Promise<void> {
    await this.heartbeat()
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), this.opts.heartbeatMs ?? HEARTBEAT_MS)
    void this.prune()
    this.pruneTimer = setInterval(() => void this.prune(), PRUNE_EVERY_MS)
  }

  stop(): void {
    clearInterval(this.heartbeatTimer)
    clearInterval(this.pruneTimer)
  }

  private async heartbeat(): Promise<void> {
    try {
      const reaped = await this.broker.heartbeat(this.record(), this.opts.reapAfterMs ?? DEAD_AFTER_MS)
      for (const lost of reaped) this.opts.onWorkerLost?.(lost)
    } catch {
      /* broker unreachable: the next beat tries again */
    }
  }

  private async prune(): Promise<void> {
    const now = Date.now()
    const r = this.opts.retention ?? {}
    try {
      await this.broker.prune({ finishedBefore: now - (r.finishedMs ?? 86_400_000), failedBefore: now - (r.failedMs ?? 7 * 86_400_000) })
    } catch {
      /* try again next time */
    }
  }
}

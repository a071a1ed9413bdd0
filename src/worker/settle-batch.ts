import type { Outcome } from '../broker/types.js'
import type { EngineBroker, EngineOptions } from './engine-options.js'
import type { EngineEvent } from './events.js'
import type { Running } from './running.js'
import { settleWhileLeased } from './settle-retry.js'

/**
 * The engine's acknowledgements: attempts that ended are settled together, one broker call for
 * every job that ended in the same turn, and that commit is the acknowledgement. Calls run one
 * after the other, in order. Each attempt is then reported as it was decided, or as `rejected`
 * when the broker refused it (the lease was no longer current) or could not save it.
 */
export class SettleBatch {
  private outbox: { outcome: Outcome; running: Running; event: EngineEvent }[] = []
  private flushing: Promise<void> = Promise.resolve()
  /** Attempts settled since start, for `tq workers`. */
  succeeded = 0
  failed = 0

  constructor(
    private readonly broker: Pick<EngineBroker, 'settle'>,
    private readonly leaseMs: number,
    private readonly onError: EngineOptions['onError'],
    /** One attempt's settle is over (accepted or not): `event` says how it ended. */
    private readonly settled: (r: Running, event: EngineEvent) => void,
    /** A settle call is over. */
    private readonly afterBatch: () => void,
  ) {}

  /**
   * Queues an attempt's outcome. Sent once this turn's microtasks have run: every job a thread
   * reported in one message goes in one settle, without waiting a turn of the event loop (that
   * turn was in every job's enqueue-to-result time).
   */
  push(outcome: Outcome, running: Running, event: EngineEvent): void {
    if (this.outbox.push({ outcome, running, event }) === 1) queueMicrotask(() => void this.flush())
  }

  /** Sends what is queued; resolves once every settle so far is over. */
  flush(): Promise<void> {
    const batch = this.outbox
    if (batch.length === 0) return this.flushing
    this.outbox = []
    this.flushing = this.flushing.then(async () => {
      const saved = await settleWhileLeased(this.broker, batch.map((b) => b.outcome), this.leaseMs, this.onError)
      batch.forEach((b, i) => {
        const reason = saved.error ? `its outcome could not be saved (${saved.error.message.split('\n')[0]})` : 'its lease was no longer current'
        const event = saved.accepted?.[i] ? b.event : ({ type: 'rejected', job: b.running.job, reason } as const)
        if (event.type === 'succeeded') this.succeeded++
        else if (event.type === 'failed') this.failed++
        this.settled(b.running, event)
      })
      this.afterBatch()
    })
    return this.flushing
  }

  /** Resolves once every settle sent so far is over. */
  idle(): Promise<void> {
    return this.flushing
  }
}

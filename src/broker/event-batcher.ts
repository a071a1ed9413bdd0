import type { TqEvent } from './event-types.js'
import type { EventsBroker } from './types.js'

/** While nobody listens, how often a busy publisher asks again (a new `tq events` waits this long). */
export const PROBE_MS = 250
/** Events pending that are sent without waiting for the timer. */
const FLUSH_AT = 500

/**
 * Collects live events and publishes them in batches: one broker call per `delayMs` (or per turn
 * of the event loop with 0), however many jobs moved, so a busy worker sends a few calls a second
 * and never waits for them. Failures are dropped (events are best effort).
 */
export class EventBatcher {
  private pending: TqEvent[] = []
  private timer: NodeJS.Timeout | NodeJS.Immediate | undefined
  private sending: Promise<void> = Promise.resolve()
  private probe: NodeJS.Timeout | undefined
  /**
   * false once the broker said nobody listens: callers then skip building events (check it
   * before), and while events keep happening the broker is asked again every PROBE_MS.
   */
  wanted = true

  constructor(
    private readonly broker: Pick<EventsBroker, 'publishEvents'>,
    private readonly delayMs = 50,
    /** Most events held; past it the oldest are dropped rather than let memory grow. */
    private readonly maxPending = 10_000,
  ) {}

  push(event: TqEvent): void {
    const n = this.pending.push(event)
    if (n > this.maxPending) this.pending.shift()
    // A producer whose enqueues never leave the microtask queue (SQLite answers synchronously)
    // never reaches the timer: send at this size too, so the broker's "nobody listens" arrives
    // and stops the building of events after the first FLUSH_AT jobs, not never.
    if (n === FLUSH_AT) {
      void this.flush()
      return
    }
    if (this.timer) return
    if (this.delayMs <= 0) this.timer = setImmediate(() => void this.flush())
    else this.timer = setTimeout(() => void this.flush(), this.delayMs).unref()
  }

  /** An event happened but was not built (nobody listened): ask again soon whether someone does. */
  skipped(): void {
    if (this.probe) return
    this.probe = setTimeout(() => {
      this.probe = undefined
      this.sending = this.sending.then(() => this.broker.publishEvents([])).then((w) => void (this.wanted = w), () => undefined)
    }, PROBE_MS).unref()
  }

  /** Sends what is pending now; resolves when every batch so far has been handed to the broker. */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer as NodeJS.Timeout)
      clearImmediate(this.timer as NodeJS.Immediate)
      this.timer = undefined
    }
    const batch = this.pending
    if (batch.length > 0) {
      this.pending = []
      this.sending = this.sending.then(() => this.broker.publishEvents(batch)).then((w) => void (this.wanted = w), () => undefined)
    }
    return this.sending
  }
}

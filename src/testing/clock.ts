import { UsageError } from '../errors.js'
import { toMs, type Duration } from '../util/duration.js'

/**
 * A test queue's time. The broker, beat and the in-process runner all read it instead of
 * Date.now, so a test moves time for its own queue only: no global Date or timer patching, and
 * test files running in parallel (or two queues in one test) keep their own clocks.
 */
export interface TestClock {
  /** The current time, epoch ms. */
  now(): number
  /** The current time as a Date. */
  date(): Date
  /**
   * Moves time forward by `duration` (`'1d'`, `'30s'`, ms): delayed and retried jobs come due,
   * running attempts past their timeout are stopped, schedules enqueue the slots passed. Jobs
   * do not run here: call `runUntilIdle()` next (or `runFor()` to play time out in order).
   */
  advance(duration: Duration): Promise<void>
  /** Moves time forward to `at` (a Date, ISO string or epoch ms); time never moves back. */
  set(at: Date | string | number): Promise<void>
}

/** Turns a Date, ISO string or epoch ms into epoch ms, naming the value when it is not a time. */
export function toEpoch(at: Date | string | number, what: string): number {
  const t = at instanceof Date ? at.getTime() : typeof at === 'number' ? at : Date.parse(at)
  if (!Number.isFinite(t)) throw new UsageError(`invalid ${what} "${String(at)}"`, 'use a Date, an epoch in ms or an ISO time like 2026-01-31T09:00:00Z')
  return t
}

/** The clock itself; `onMove` lets the queue react (fire slots, lapse timeouts) after each move. */
export class FakeClock implements TestClock {
  private t: number
  private onMove: () => Promise<void> = async () => undefined

  constructor(start: number) {
    this.t = start
  }

  /** Bound, so it can be handed around as a plain `() => number`. */
  readonly now = (): number => this.t

  date(): Date {
    return new Date(this.t)
  }

  whenMoved(fn: () => Promise<void>): void {
    this.onMove = fn
  }

  // Async, so a bad argument rejects the promise the test awaits rather than throw past it.
  async advance(duration: Duration): Promise<void> {
    await this.moveTo(this.t + toMs(duration, 'clock.advance duration'))
  }

  async set(at: Date | string | number): Promise<void> {
    const to = toEpoch(at, 'clock.set time')
    if (to < this.t) throw new UsageError(`clock.set(${JSON.stringify(at)}) would move time back by ${this.t - to} ms`, 'time only moves forward: create a new test queue with an earlier start')
    await this.moveTo(to)
  }

  private async moveTo(to: number): Promise<void> {
    this.t = to
    await this.onMove()
  }
}

import { enqueuedEvents } from '../app/announce.js'
import type { EventsBroker, ScheduleBroker, ScheduleRecord } from '../broker/types.js'
import { countSent, startProducerSpan } from '../util/tracing.js'
import { describeTiming, nextSlot, slotsBetween } from './slots.js'
import type { ScheduleDef } from './schedule-def.js'
import { slotJob } from './slot-job.js'

export interface BeatOptions {
  /** Most jobs `catchUp: 'all'` enqueues for one schedule after downtime. Default 100. */
  maxCatchUp?: number
  /** Clock, for tests. */
  now?: () => number
  /**
   * No timer of its own: the owner calls `tick()` after moving the clock (tqjs/testing, whose
   * fake clock a real timer would not follow).
   */
  manual?: boolean
  /**
   * A `send <queue>` producer span per slot enqueued, its trace context stored with the job, as
   * any enqueue makes (default true; costs nothing until an OpenTelemetry SDK is registered).
   */
  tracing?: boolean
  onEvent?: (e: BeatEvent) => void
}

export type BeatEvent =
  | { type: 'enqueued'; schedule: string; task: string; slotAt: number; jobId: string; catchUp: boolean }
  | { type: 'skipped'; schedule: string; missed: number }
  | { type: 'error'; schedule?: string; error: Error }

/** Longest single sleep; beat re-reads the clock at least this often (clock jumps, DST). */
const MAX_SLEEP_MS = 60_000

/**
 * Beat: enqueues each schedule's slots when they come due. Correctness does not rest on being
 * the only beat: a slot's job id is deterministic and the broker inserts it only if absent, so
 * any number of beats enqueue each slot once. The last enqueued slot lives in the broker, so a
 * restarted beat knows what it missed and applies the schedule's catch-up policy.
 */
export class Beat {
  private defs: ScheduleDef[] = []
  /** Latest slot handled per schedule (enqueued, or skipped by policy). */
  private last = new Map<string, number>()
  private timer: NodeJS.Timeout | undefined
  private stopped = false
  private ticking: Promise<void> = Promise.resolve()
  private readonly now: () => number
  /** Slots due before this beat started were missed (no beat ran); later ones are on time. */
  private startedAt = 0
  /** Schedules whose payload was refused, reported once each until the definitions change. */
  private refused = new Set<string>()

  constructor(
    /** Slots are enqueued through the schedule role; each one created is announced as an `enqueued` event. */
    private readonly broker: ScheduleBroker & Pick<EventsBroker, 'publishEvents'>,
    defs: readonly ScheduleDef[],
    private readonly opts: BeatOptions = {},
  ) {
    this.now = opts.now ?? Date.now
    this.defs = [...defs]
  }

  get schedules(): readonly ScheduleDef[] {
    return this.defs
  }

  async start(): Promise<void> {
    this.startedAt = this.now()
    await this.load(this.defs)
    await this.tick()
  }

  /** Swaps in new definitions (hot reload): removed schedules stop, changed ones apply from their next slot. */
  async update(defs: readonly ScheduleDef[]): Promise<void> {
    await this.ticking
    this.defs = [...defs]
    this.refused.clear()
    await this.load(this.defs)
    await this.tick()
  }

  async stop(): Promise<void> {
    this.stopped = true
    clearTimeout(this.timer)
    await this.ticking
  }

  /** Reads each schedule's last slot from the broker and saves the current definitions. */
  private async load(defs: readonly ScheduleDef[]): Promise<void> {
    const now = this.now()
    const stored = new Map<string, ScheduleRecord>()
    for (const r of await this.broker.listSchedules()) stored.set(r.name, r)
    const last = new Map<string, number>()
    for (const d of defs) {
      const rec = stored.get(d.name)
      const sameTiming = rec !== undefined && rec.expression === describeTiming(d.timing) && (d.timing.kind !== 'cron' || rec.tz === d.timing.tz)
      // A new or changed schedule starts from now: a changed expression applies from its next slot.
      last.set(d.name, sameTiming ? (rec.lastSlotAt ?? this.last.get(d.name) ?? now) : now)
    }
    this.last = last
    await this.save()
  }

  private async save(): Promise<void> {
    const now = this.now()
    await this.broker.saveSchedules(
      this.defs.map((d) => ({
        name: d.name,
        task: d.task,
        expression: describeTiming(d.timing),
        tz: d.timing.kind === 'cron' ? d.timing.tz : 'UTC',
        nextAt: nextSlot(d.timing, Math.max(now, this.last.get(d.name) ?? now)),
      })),
    )
  }

  /** Enqueues the slots due by now (what the timer calls; with `manual`, the owner does). */
  tick(): Promise<void> {
    this.ticking = this.ticking.then(() => this.runDue()).catch((error: Error) => this.opts.onEvent?.({ type: 'error', error }))
    return this.ticking
  }

  private async runDue(): Promise<void> {
    if (this.stopped) return
    clearTimeout(this.timer)
    const now = this.now()
    let enqueued = false
    for (const d of this.defs) {
      const from = this.last.get(d.name) ?? now
      const cap = this.opts.maxCatchUp ?? 100
      const due = slotsBetween(d.timing, from, now, d.catchUp === 'all' ? cap + 1000 : 1000)
      if (due.length === 0) continue
      const onTime = due.filter((s) => s >= this.startedAt)
      const missed = due.filter((s) => s < this.startedAt)
      const caughtUp = d.catchUp === 'all' ? missed.slice(-cap) : d.catchUp === 'none' ? [] : onTime.length > 0 ? [] : missed.slice(-1)
      const run = [...caughtUp, ...onTime]
      if (run.length < due.length) this.opts.onEvent?.({ type: 'skipped', schedule: d.name, missed: due.length - run.length })
      for (const slotAt of run) {
        if ('refused' in d.slot) {
          // The schedule's own payload is refused (schema, say): retrying cannot help, and one bad
          // schedule must not stop the others. Report it once and skip its slots until a reload.
          if (!this.refused.has(d.name)) {
            this.refused.add(d.name)
            this.opts.onEvent?.({ type: 'error', schedule: d.name, error: new Error(`schedule "${d.name}": ${d.slot.refused}`) })
          }
          continue
        }
        const job = slotJob(d.slot, d.name, slotAt)
        const id = job.id
        const span = this.opts.tracing !== false ? await startProducerSpan(job.queue, job.task, 1) : undefined
        if (span?.headers !== undefined) job.headers = span.headers
        try {
          const r = await this.broker.enqueueSlot(d.name, slotAt, job)
          span?.end([id])
          if (r.created) {
            enqueued = true
            countSent(job.queue, 1)
            // Best effort, like every live event: publishEvents never throws.
            await this.broker.publishEvents(enqueuedEvents([job], [r]))
            this.opts.onEvent?.({ type: 'enqueued', schedule: d.name, task: d.task, slotAt, jobId: id, catchUp: slotAt < this.startedAt })
          }
        } catch (error) {
          span?.end([], error)
          // Broker down: keep the slot as not done; the next tick tries again.
          this.opts.onEvent?.({ type: 'error', schedule: d.name, error: error as Error })
          this.arm(1000)
          return
        }
      }
      this.last.set(d.name, due[due.length - 1]!)
    }
    if (enqueued) await this.save()
    this.arm()
  }

  /** Sleeps until the earliest next slot (no polling). */
  private arm(delay?: number): void {
    if (this.stopped || this.opts.manual) return
    const now = this.now()
    let next = Infinity
    for (const d of this.defs) next = Math.min(next, nextSlot(d.timing, Math.max(now, this.last.get(d.name) ?? now)))
    const wait = delay ?? Math.min(MAX_SLEEP_MS, Math.max(0, next - now))
    if (!Number.isFinite(wait)) return
    this.timer = setTimeout(() => void this.tick(), wait)
  }
}

import type { AdminBroker, JobState } from '../broker/types.js'
import type { ScheduleDef } from './schedule-def.js'
import { describeTiming, nextSlots } from './slots.js'

export interface ScheduleView {
  name: string
  task: string
  expression: string
  tz: string
  catchUp: string
  /** The next three slots, ISO. */
  next: string[]
  lastRun: string | null
  lastJob: { id: string; state: JobState | 'purged' } | null
  origin: string
}

/** Each schedule with its next three runs, last run and that run's job state (`tq schedules`). */
export async function describeSchedules(defs: readonly ScheduleDef[], broker: AdminBroker, now = Date.now()): Promise<ScheduleView[]> {
  const records = new Map((await broker.listSchedules()).map((r) => [r.name, r]))
  const out: ScheduleView[] = []
  for (const d of defs) {
    const rec = records.get(d.name)
    const job = rec?.lastJobId ? await broker.getJob(rec.lastJobId) : null
    out.push({
      name: d.name,
      task: d.task,
      expression: describeTiming(d.timing),
      tz: d.timing.kind === 'cron' ? d.timing.tz : 'UTC',
      catchUp: d.catchUp,
      next: nextSlots(d.timing, now, 3).map((t) => new Date(t).toISOString()),
      lastRun: rec?.lastSlotAt != null ? new Date(rec.lastSlotAt).toISOString() : null,
      lastJob: rec?.lastJobId ? { id: rec.lastJobId, state: job?.state ?? 'purged' } : null,
      origin: d.origin,
    })
  }
  return out.sort((a, b) => a.name.localeCompare(b.name))
}

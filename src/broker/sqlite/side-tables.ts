import type Database from 'better-sqlite3'
import type { ScheduleRecord, WorkerInfo } from '../types.js'
import type { Statements } from './sql.js'

/**
 * The broker's tables beside the jobs: rate-limit state, schedules, the worker registry and
 * per-second throughput. None of them changes a job's state, so none touches the counts.
 */
export class SideTables {
  constructor(
    private readonly db: Database.Database,
    private readonly s: Statements,
    private readonly now: () => number,
  ) {}

  takeRateTokens(key: string, intervalMs: number, n: number): { granted: number; nextAt: number } {
    return this.db
      .transaction(() => {
        const now = this.now()
        let tat = Math.max(now, (this.s.rateGet.get(key) as { tat: number } | undefined)?.tat ?? 0)
        let granted = 0
        while (granted < n && tat <= now) {
          granted++
          tat += intervalMs
        }
        if (granted > 0) this.s.rateSet.run({ key, tat })
        return { granted, nextAt: tat }
      })
      .immediate()
  }

  saveSchedules(schedules: readonly Omit<ScheduleRecord, 'lastSlotAt' | 'lastJobId'>[]): void {
    this.db
      .transaction(() => {
        for (const s of schedules) this.s.upsertSchedule.run({ name: s.name, task: s.task, expression: s.expression, tz: s.tz, nextAt: s.nextAt })
        this.s.deactivateSchedules.run(JSON.stringify(schedules.map((s) => s.name)))
      })
      .immediate()
  }

  listSchedules(): ScheduleRecord[] {
    return (this.s.listSchedules.all() as Record<string, any>[]).map((r) => ({
      name: r.name,
      task: r.task,
      expression: r.expression,
      tz: r.tz,
      nextAt: r.next_at,
      lastSlotAt: r.last_slot_at,
      lastJobId: r.last_job_id,
    }))
  }

  heartbeat(info: WorkerInfo): void {
    this.s.heartbeat.run({ id: info.id, info: JSON.stringify(info), lastBeatAt: info.lastBeatAt })
  }

  listWorkers(): WorkerInfo[] {
    return (this.s.listWorkers.all() as { info: string; last_beat_at: number }[]).map((r) => ({ ...JSON.parse(r.info), lastBeatAt: r.last_beat_at }))
  }

  removeWorker(id: string): void {
    this.s.removeWorker.run(id)
  }

  throughput(seconds: number): Record<string, number[]> {
    const nowSec = Math.floor(this.now() / 1000)
    const from = nowSec - seconds
    const out: Record<string, number[]> = {}
    for (const r of this.s.throughput.all(from) as { second: number; queue: string; n: number }[]) {
      const series = (out[r.queue] ??= new Array<number>(seconds).fill(0))
      const i = r.second - from - 1
      if (i >= 0 && i < seconds) series[i] = r.n
    }
    return out
  }
}

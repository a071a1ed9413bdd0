import type { ReapedWorker, WorkerInfo } from '../types.js'
import type { CountDeltas } from './count-deltas.js'
import type { Statements } from './sql.js'

/**
 * Inside a heartbeat's transaction: workers not heard from since `deadBefore` are dead. Their
 * running jobs go back to the queue as a lapsed lease does (the attempt not counted, the token
 * kept, so a worker that was only paused cannot complete them), and their records go.
 */
export function reapDeadWorkers(s: Statements, counts: CountDeltas, me: string, deadBefore: number): ReapedWorker[] {
  const out: ReapedWorker[] = []
  for (const d of s.deadWorkers.all(deadBefore, me) as { id: string; info: string; last_beat_at: number }[]) {
    const rows = s.requeueWorkerJobs.all(d.id) as { queue: string }[]
    for (const r of rows) counts.move(r.queue, 'active', 'queued')
    s.removeWorker.run(d.id)
    out.push({ worker: { ...(JSON.parse(d.info) as WorkerInfo), lastBeatAt: d.last_beat_at }, requeued: rows.length })
  }
  return out
}

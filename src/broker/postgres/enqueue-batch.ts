import type { EnqueueResult, NewJob } from '../types.js'
import type { Db } from './connection.js'
import type { Statements } from './sql.js'

/** unique_violation: an INSERT without ON CONFLICT met a row with the same key. */
const UNIQUE_VIOLATION = '23505'

/**
 * Inserts a batch of jobs (`params`: ./job-params.ts) and says, per job, whether it went in or
 * which live job it is. `plain`: the batch cannot conflict (random ids, no unique keys, sent for
 * the first time), so it goes as a plain INSERT (STATEMENTS.enqueue); should a random id have been
 * drawn twice, that fails with nothing inserted and the batch goes again skipping conflicts.
 */
export async function insertBatch(db: Db, s: Statements, jobs: readonly NewJob[], ids: readonly string[], params: unknown[], plain: boolean): Promise<EnqueueResult[]> {
  if (plain) {
    try {
      // One job: it may go straight to a parked worker (./hand-off.ts).
      await db.query(jobs.length === 1 && !jobs[0]!.step ? s.enqueueHandOff : s.enqueue, params)
      return ids.map((id) => ({ id, created: true }))
    } catch (err) {
      if ((err as { code?: string }).code !== UNIQUE_VIOLATION) throw err
    }
  }
  const { rows } = await db.query<{ n: number; ids: string[] | null }>(s.enqueueOrSkip, params)
  if (rows[0]!.n === jobs.length) return ids.map((id) => ({ id, created: true }))
  const inserted = new Set(rows[0]!.ids)
  // Some conflicted: a deterministic id already taken, or a unique key held by a live job.
  const keys = jobs.map((j) => j.key ?? null).filter((k): k is string => k !== null)
  const byKey = new Map<string, string>()
  if (keys.length > 0) for (const r of (await db.query<{ key: string; id: string }>(s.liveByKeys, [keys])).rows) byKey.set(r.key, r.id)
  return jobs.map((j, i) => {
    const id = ids[i]!
    if (inserted.has(id)) return { id, created: true }
    // A retried call finds the random-id jobs it inserted the first time: those are ours.
    if (j.id === undefined && (j.key == null || byKey.get(j.key) === id)) return { id, created: true }
    if (j.key != null && byKey.has(j.key)) return { id: byKey.get(j.key)!, created: false }
    return { id, created: false }
  })
}

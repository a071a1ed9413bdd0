import type Database from 'better-sqlite3'

/** States whose jobs sit in a partial index, counted from it when asked (see SQL.counts). */
const LIVE = new Set(['waiting', 'scheduled', 'queued', 'active'])

/**
 * Changes to the per-queue counts of finished states made by one transaction, written as one
 * upsert per (queue, state) at its end: counting stays O(changes), and status reads a handful of
 * rows however many finished jobs are kept. Live states are not counted here, so an enqueue or a
 * claim writes no counter.
 */
export class CountDeltas {
  /** By queue, then state: no key string is built per job (a settle moves every job it writes). */
  private readonly deltas = new Map<string, Map<string, number>>()

  /** A job of `queue` moved from `from` to `to` (either may be null: inserted, deleted). */
  move(queue: string, from: string | null, to: string | null, n = 1): void {
    if (from === to || n === 0) return
    if (from) this.add(queue, from, -n)
    if (to) this.add(queue, to, n)
  }

  /** Writes the deltas with `addCount` (queue, state, n) and clears them. Call inside the transaction. */
  flush(addCount: Database.Statement): void {
    for (const [queue, byState] of this.deltas) for (const [state, n] of byState) if (n !== 0) addCount.run(queue, state, n)
    this.deltas.clear()
  }

  private add(queue: string, state: string, n: number): void {
    if (LIVE.has(state)) return
    let byState = this.deltas.get(queue)
    if (!byState) this.deltas.set(queue, (byState = new Map()))
    byState.set(state, (byState.get(state) ?? 0) + n)
  }
}

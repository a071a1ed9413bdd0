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
  private readonly deltas = new Map<string, number>()

  /** A job of `queue` moved from `from` to `to` (either may be null: inserted, deleted). */
  move(queue: string, from: string | null, to: string | null, n = 1): void {
    if (from === to || n === 0) return
    if (from) this.add(queue, from, -n)
    if (to) this.add(queue, to, n)
  }

  /** Writes the deltas with `addCount` (queue, state, n) and clears them. Call inside the transaction. */
  flush(addCount: Database.Statement): void {
    for (const [key, n] of this.deltas) {
      if (n === 0) continue
      const cut = key.indexOf('\u0000')
      addCount.run(key.slice(0, cut), key.slice(cut + 1), n)
    }
    this.deltas.clear()
  }

  private add(queue: string, state: string, n: number): void {
    if (LIVE.has(state)) return
    const key = `${queue}\u0000${state}`
    this.deltas.set(key, (this.deltas.get(key) ?? 0) + n)
  }
}

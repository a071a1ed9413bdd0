import type { NewJob } from '../types.js'
import type { Statements } from './sql.js'

/**
 * Jobs enqueued one at a time, or a few together, are "arrivals": they skip both indexes. Their
 * id waits in lone_id and they are left out of the ready index (migrations 6 and 7), so their
 * INSERT writes the table alone. Rows are appended, so the arrivals are the rows above
 * index_mark. Whatever finds jobs through an index (a claim, a lookup by id, a listing, a count)
 * enters them first; a claim rewrites those rows anyway.
 *
 * Measured with 50 concurrent callers enqueueing 20,000 jobs, then a drain by claims of 500: the
 * enqueues cost 4.5 instead of 6.4 µs of CPU a job, the claims 10.7 instead of 10.1, so less in
 * all. Big batches are cheaper entered at once (a drain after a bulk enqueue would pay the
 * entering), so only small ones arrive this way.
 */

/** Batches up to this many jobs arrive unindexed: a group commit of concurrent callers, not a bulk enqueue. */
export const ARRIVAL_BATCH_MAX = 100

/**
 * A process enters the arrivals itself once this many rows are above the mark it last saw: with
 * no worker claiming, the next claim or lookup would otherwise enter millions at once. Entering
 * costs about 2 µs a row (bench/tmp-style probe: 100,000 in 199 ms), so this bounds that write
 * lock to ~100 ms; the cost per job is the same whoever pays it.
 */
export const ARRIVALS_MAX = 50_000

/** Whether a job can arrive unindexed: a generated id (it cannot conflict), no unique key, not a step, no headers. */
export function isArrival(job: NewJob): boolean {
  return job.id === undefined && job.key == null && job.step === undefined && job.headers === undefined
}

/** Whether rows were inserted above the mark (two reads; a plain check before taking the write lock). */
export function hasArrivals(s: Statements): boolean {
  return (s.lastSeq.get() as number) > (s.indexMark.get() as number)
}

/** Enters the arrivals in the id and ready indexes, in the caller's write transaction; returns the mark. */
export function indexArrivals(s: Statements): number {
  const last = s.lastSeq.get() as number
  const mark = s.indexMark.get() as number
  if (last <= mark) return mark
  s.indexArrivals.run(mark)
  s.setIndexMark.run(last)
  return last
}

import type { NewJob } from '../types.js'
import { cannotConflict } from './job-inserts.js'
import type { Statements } from './sql.js'

/**
 * Jobs enqueued one at a time, or a few together, are "arrivals": they skip both indexes. Their
 * id waits in lone_id and they are left out of the ready index (migrations 6 and 7), so their
 * INSERT writes the table alone. Rows are appended, so the arrivals are the rows above
 * index_mark. A claim enters them first (it rewrites those rows anyway), as do the writes that
 * find jobs by id (cancel, retry, purge), in their own transaction. Reads never write: they find
 * arrivals above the mark, by lone_id, in the same statement or read transaction.
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
  return cannotConflict(job) && job.step === undefined && job.headers === undefined
}

/**
 * Enters the arrivals in the id and ready indexes, in the caller's write transaction; returns the
 * mark. Ids are drawn so that two processes practically never make the same one (job-id.ts) and
 * an arrival's is not checked when inserted; should two ever clash, the later job is entered under
 * `<id>-<row id>` rather than leave every later claim failing on the unique index.
 */
export function indexArrivals(s: Statements): number {
  const last = s.lastSeq.get() as number
  const mark = s.indexMark.get() as number
  if (last <= mark) return mark
  try {
    s.indexArrivals.run(mark)
  } catch (err) {
    if ((err as { code?: string }).code !== 'SQLITE_CONSTRAINT_UNIQUE') throw err
    // The failed statement was undone on its own; the transaction goes on.
    s.indexArrivalsSkipping.run(mark)
    s.renameClashing.run(mark)
  }
  s.setIndexMark.run(last)
  return last
}
